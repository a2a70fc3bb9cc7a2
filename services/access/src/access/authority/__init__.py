"""authority."""
