"""Warnings raised by matching, and the officer's workflow on them."""
