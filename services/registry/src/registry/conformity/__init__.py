"""conformity domain."""
