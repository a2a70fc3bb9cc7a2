"""The monthly monitoring plan (Decision II.1.a, II.1.c): draft, approval, amendments, results."""
