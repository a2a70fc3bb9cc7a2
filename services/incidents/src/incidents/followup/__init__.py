"""Daily follow-up by the assigned officers while an incident is open (Decision I.2.3.c)."""
