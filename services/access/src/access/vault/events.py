"""Events the vault publishes: never a secret, only who, which entry, which version, why."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class VaultEntryCreated(EventPayload):
    """An EPE stored a new camera-system access entry for customs."""

    event_type: ClassVar[str] = "access.vault_entry.created.v1"

    entry_id: str
    epe_id: str
    unit: str
    label: str
    access_method: str
    version: int
    created_by: str
    created_at: datetime


class VaultEntryRotated(EventPayload):
    """An EPE replaced the secret of an entry (new version; old ones beyond N destroyed)."""

    event_type: ClassVar[str] = "access.vault_entry.rotated.v1"

    entry_id: str
    epe_id: str
    unit: str
    version: int
    rotated_by: str
    rotated_at: datetime


class VaultEntryRevealed(EventPayload):
    """An officer opened a reveal handle and saw the camera-system account."""

    event_type: ClassVar[str] = "access.vault_entry.revealed.v1"

    entry_id: str
    epe_id: str
    unit: str
    version: int
    officer_id: str
    reason: str
    revealed_at: datetime


class VaultRevealRefused(EventPayload):
    """A reveal (or the opening of a handle) was refused, and why."""

    event_type: ClassVar[str] = "access.vault_reveal.refused.v1"

    entry_id: str | None
    epe_id: str | None
    unit: str | None
    actor: str
    refusal: str
    refused_at: datetime


class MasterKeyRotated(EventPayload):
    """The vault master key was rotated and data keys re-wrapped under the new version."""

    event_type: ClassVar[str] = "access.master_key.rotated.v1"

    version: int
    rewrapped: int
    rotated_by: str
    rotated_at: datetime
