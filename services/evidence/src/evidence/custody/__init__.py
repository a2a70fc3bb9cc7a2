"""Chain of custody: an append-only, keyed and anchored record of every action on evidence."""
