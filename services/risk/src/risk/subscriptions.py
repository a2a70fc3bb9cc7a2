"""Everything the risk service consumes, in one place: {subject: handler}."""

from __future__ import annotations

from risk.assignments.service import handle_assignment_changed
from risk.gate.handlers import gate_log_handler
from risk.indicators.handlers import (
    handle_extension_filed,
    handle_extension_missed,
    handle_notice_filed,
    handle_restored,
    handle_went_overdue,
)
from risk.projection.handlers import (
    handle_came_back,
    handle_camera_changed,
    handle_camera_removed,
    handle_epe_changed,
    handle_went_offline,
)
from risk.settings import Settings
from servicekit.events import EventHandler


def subscriptions(settings: Settings) -> dict[str, EventHandler]:
    """Registry events feed the projection; incidents' manual gate logs become gate events;
    access assignments say who acts on an EPE's warnings; incidents' interruption events feed
    the risk indicators."""
    return {
        "registry.epe.registered.v1": handle_epe_changed,
        "registry.epe.updated.v1": handle_epe_changed,
        "registry.camera.added.v1": handle_camera_changed,
        "registry.camera.changed.v1": handle_camera_changed,
        "registry.camera.removed.v1": handle_camera_removed,
        "registry.camera.went_offline.v1": handle_went_offline,
        "registry.camera.came_back.v1": handle_came_back,
        "incidents.gate_log.recorded.v1": gate_log_handler(settings),
        "access.assignment.changed.v1": handle_assignment_changed,
        "incidents.notice.filed.v1": handle_notice_filed,
        "incidents.incident.went_overdue.v1": handle_went_overdue,
        "incidents.extension.missed.v1": handle_extension_missed,
        "incidents.extension.filed.v1": handle_extension_filed,
        "incidents.incident.restored.v1": handle_restored,
    }
