"""A package's chain-of-custody trail exported for a court: JSON and a Vietnamese PDF."""
