"""What the areas domain announces in-process (nothing is published for areas)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaChanged:
    """An area of the EPE was declared, changed or retired."""

    epe_id: str
    area_id: str


@dataclass(frozen=True)
class AreaMoved:
    """An area's coordinates changed: the events describing its cameras carry them."""

    epe_id: str
    area_id: str
