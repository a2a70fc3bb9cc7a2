"""Everything the registry consumes: `{subject: handler}`."""

from registry.assignments.service import handle_assignment_changed
from registry.health.view_failures import handle_view_unreachable
from servicekit.events import EventHandler

subscriptions: dict[str, EventHandler] = {
    "access.assignment.changed.v1": handle_assignment_changed,
    "access.camera_view.unreachable.v1": handle_view_unreachable,
}
