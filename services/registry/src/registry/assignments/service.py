"""Which officers are assigned to which EPE, from the access service's events.

Heads assign officers to EPEs of their unit in the access service, which publishes
`access.assignment.changed.v1`; the registry keeps the projection (kept current by the kit's
rules) and never calls access.
"""

from __future__ import annotations

from registry.assignments.models import OfficerAssignment
from servicekit.assignments import Assignments

assignments = Assignments(OfficerAssignment)
is_assigned = assignments.is_assigned
apply_change = assignments.apply
handle_assignment_changed = assignments.handle_changed
