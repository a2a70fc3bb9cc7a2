"""Direct data corrections, applied (seed 2 §3): `python -m servicekit.corrections apply <id>`.

The plan lives in the access service (prepared by an IT operator, approved by the head). This
command runs with the target service's environment, as the backup job does: it claims the
approved plan, takes and verifies a backup of that one service's database, then changes the
row in one transaction whose UPDATE holds only if every planned `from` value still does, and
reports the backup and the values before and after (or why nothing changed) to access, which
writes the minutes. Append-only tables (those the kit's `appendonly` triggers protect) are
refused: they are corrected by appending.
"""
