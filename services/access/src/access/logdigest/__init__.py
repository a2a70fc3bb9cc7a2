"""The daily log digest (seed 2 §3: daily logs kept and checked)."""
