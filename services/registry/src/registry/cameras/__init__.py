"""cameras domain."""
