"""What the services share: settings, errors, web shell, database, event backbone, stack."""
