"""areas domain."""
