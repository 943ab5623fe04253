"""The four services of a national node and of the hub: identity, intake, indicators, reporting."""
