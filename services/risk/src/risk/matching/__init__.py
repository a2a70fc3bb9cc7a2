"""Matching gate events against customs data, and the warnings it raises."""
