"""Everything the incidents service consumes, in one place: {subject: handler}."""

from __future__ import annotations

from incidents.incident.handlers import make_handlers
from incidents.projection.handlers import (
    handle_camera_changed,
    handle_camera_removed,
    handle_epe_changed,
)
from incidents.settings import Settings
from servicekit.clock import Clock
from servicekit.events import EventHandler
from servicekit.workdays import WorkingCalendar


def subscriptions(
    *, calendar: WorkingCalendar, settings: Settings, clock: Clock
) -> dict[str, EventHandler]:
    """Registry events feeding the EPE/camera projection and the detection of incidents."""
    went_offline, came_back = make_handlers(calendar=calendar, settings=settings, clock=clock)
    return {
        "registry.epe.registered.v1": handle_epe_changed,
        "registry.epe.updated.v1": handle_epe_changed,
        "registry.camera.added.v1": handle_camera_changed,
        "registry.camera.changed.v1": handle_camera_changed,
        "registry.camera.removed.v1": handle_camera_removed,
        "registry.camera.went_offline.v1": went_offline,
        "registry.camera.came_back.v1": came_back,
    }
