"""Customs unit codes, as every service stores and accepts them: one limit, declared once.

The registry names an EPE's supervising unit and the other services keep that code (access:
officers' units, vault entries, client bindings, its projection of the registry's EPEs); a
code one service accepts and another cannot store would be dead-lettered on the way.
"""

UNIT_MAX_LENGTH = 64
"""The longest unit code, in characters (columns, inputs and consumed events alike)."""

UNIT_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{UNIT_MAX_LENGTH - 1}}}$"
"""A unit code as the registry accepts it."""
