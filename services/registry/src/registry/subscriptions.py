"""Everything the registry consumes: `{subject: handler}`."""

from registry.assignments.service import handle_assignment_changed
from servicekit.events import EventHandler

subscriptions: dict[str, EventHandler] = {
    "access.assignment.changed.v1": handle_assignment_changed,
}
