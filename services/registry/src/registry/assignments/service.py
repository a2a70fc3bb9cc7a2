"""Which officers are assigned to which EPE.

The access service owns assignments (heads assign officers to EPEs of their unit). Until it
publishes them as events, the registry treats every supervisory officer of the EPE's unit as
assigned; `is_assigned` is the single place to change when the projection arrives.
"""

from __future__ import annotations

from sqlmodel import Session


def is_assigned(session: Session, *, officer: str, epe_id: str, unit: str) -> bool:
    """Whether `officer` (a supervisory officer of `unit`) may act for the EPE."""
    del session, officer, epe_id, unit
    return True
