"""logbook domain."""
