"""What the health domain announces in-process, besides its published events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CameraStatesChanged:
    """The live state of some cameras of these EPEs changed (online, offline, refused).

    Not every transition publishes an event (a camera first seen online, one whose outage is
    still open), so reactions to live state follow this rather than the published events.
    """

    epe_ids: frozenset[str]
