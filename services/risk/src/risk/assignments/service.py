"""Who is assigned to which EPE (access.assignment.changed.v1), kept by the kit's rules."""

from __future__ import annotations

from risk.assignments.models import OfficerAssignment
from servicekit.assignments import Assignments

assignments = Assignments(OfficerAssignment)
assigned_epes = assignments.assigned_epes
apply_change = assignments.apply
handle_assignment_changed = assignments.handle_changed
