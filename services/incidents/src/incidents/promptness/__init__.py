"""Restoration promptness per EPE, for risk scoring (Decision I.2.3.c)."""
