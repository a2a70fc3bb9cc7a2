"""officers."""
