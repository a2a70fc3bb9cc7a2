"""Incidents: an interruption of an EPE's camera system from detection or notice to closure."""
