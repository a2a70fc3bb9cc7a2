"""Selectivity: CEL criteria over EPE indicators, approved by heads; seeded random lanes."""
