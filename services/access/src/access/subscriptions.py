"""Everything the access service consumes: `{subject: handler}`."""

from __future__ import annotations

from access.cameraview.handlers import handle_camera_event
from access.epes.handlers import make_epe_handler
from access.logdigest.handlers import handle_custody_verified, handle_server_errors
from servicekit.clock import Clock
from servicekit.events import EventHandler


def subscriptions(*, clock: Clock) -> dict[str, EventHandler]:
    """The registry's EPE events feed `registry_epes`, the source of each EPE's unit; its
    camera events feed `view_cameras`, the cameras officers may watch; the gateway's 5xx counts
    and evidence's daily custody check feed the daily log digest."""
    epe_changed = make_epe_handler(clock)
    return {
        "registry.epe.registered.v1": epe_changed,
        "registry.epe.updated.v1": epe_changed,
        "registry.camera.added.v1": handle_camera_event,
        "registry.camera.changed.v1": handle_camera_event,
        "registry.camera.removed.v1": handle_camera_event,
        "gateway.server_errors.counted.v1": handle_server_errors,
        "evidence.custody.verified.v1": handle_custody_verified,
    }
