"""What the four services share: settings, errors, the web shell, the database, the event backbone."""
