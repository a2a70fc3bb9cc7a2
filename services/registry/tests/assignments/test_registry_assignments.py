"""The projection of access.assignment.changed.v1: idempotent, order-tolerant, strict on bad data."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from devkit.testing.registry import EPE_ID, UNIT, assign
from registry.assignments.service import is_assigned
from servicekit.events import CloudEvent, PermanentError


def assigned(app, officer="officer-an"):
    with Session(app.state.engine) as session:
        return is_assigned(session, officer=officer, epe_id=EPE_ID, unit=UNIT)


def test_assign_end_redeliver_and_out_of_order(app):
    t = datetime(2025, 1, 1, tzinfo=UTC)
    assign(app, officer="officer-an", at=t)
    assign(app, officer="officer-an", at=t)  # redelivery
    assert assigned(app)
    assign(app, officer="officer-an", change="ended", at=t + timedelta(hours=1))
    assert not assigned(app)
    assign(app, officer="officer-an", at=t)  # the old "assigned" arriving late
    assert not assigned(app)
    assign(app, officer="officer-an", at=t + timedelta(hours=2))  # re-assigned later
    assert assigned(app)
    assert not assigned(app, officer="officer-ba")


def test_bad_event_is_permanent(app):
    handler = app.state.spec.subscriptions["access.assignment.changed.v1"]
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/access",
        type="access.assignment.changed.v1",
        time=datetime.now(UTC),
        data={"assignment_id": "a", "change": "promoted"},
    )
    with Session(app.state.engine) as session, pytest.raises(PermanentError):
        handler(event, session)
