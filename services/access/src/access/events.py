"""Every event payload the access service publishes (listed in its ServiceSpec)."""

from __future__ import annotations

from access.assignments.events import AssignmentChanged
from access.audit.events import AuditAnchored
from access.authority.events import GrantApproved, GrantRevoked
from access.cameraview.events import CameraViewUnreachable
from access.corrections.events import CorrectionApplied, CorrectionApproved
from access.logdigest.events import LogDigestAnomalies
from access.maintenance.events import MaintenanceAnnounced, MaintenanceUpdated
from access.officers.events import OfficerMoved
from access.vault.events import (
    MasterKeyRotated,
    VaultEntryCreated,
    VaultEntryRevealed,
    VaultEntryRotated,
    VaultRevealRefused,
)
from servicekit.events import EventPayload
from servicekit.events.revocations import TokensRevoked

PUBLISHES: list[type[EventPayload]] = [
    GrantApproved,
    GrantRevoked,
    AssignmentChanged,
    OfficerMoved,
    VaultEntryCreated,
    VaultEntryRotated,
    VaultEntryRevealed,
    VaultRevealRefused,
    MasterKeyRotated,
    AuditAnchored,
    CameraViewUnreachable,
    TokensRevoked,
    MaintenanceAnnounced,
    MaintenanceUpdated,
    LogDigestAnomalies,
    CorrectionApproved,
    CorrectionApplied,
]
