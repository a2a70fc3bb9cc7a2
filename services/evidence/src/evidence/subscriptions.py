"""Everything the evidence service consumes, in one place: {subject: handler}."""

from __future__ import annotations

from evidence.projection.handlers import (
    handle_assignment_changed,
    handle_camera_changed,
    handle_camera_removed,
    handle_epe_changed,
)
from servicekit.events import EventHandler


def subscriptions() -> dict[str, EventHandler]:
    """Registry events say which EPE has which cameras in which unit; access assignments say
    which officer may request data from which EPE."""
    return {
        "registry.epe.registered.v1": handle_epe_changed,
        "registry.epe.updated.v1": handle_epe_changed,
        "registry.camera.added.v1": handle_camera_changed,
        "registry.camera.changed.v1": handle_camera_changed,
        "registry.camera.removed.v1": handle_camera_removed,
        "access.assignment.changed.v1": handle_assignment_changed,
    }
