"""The assignment projection's rules, on a table of the test's own (as a service declares it)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, create_engine

from servicekit.assignments import Assignments
from servicekit.columns import utc_field
from servicekit.events import CloudEvent, PermanentError


class _Base(SQLModel, registry=registry()):
    pass


class Assignment(_Base, table=True):
    assignment_id: str = Field(primary_key=True)
    officer_id: str
    epe_id: str
    unit: str
    active: bool
    changed_at: datetime = utc_field()


T0 = datetime(2026, 1, 5, 2, tzinfo=UTC)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def event(change="assigned", at=T0, assignment_id="a1", officer="officer-an", epe="EPE-1"):
    data = {
        "assignment_id": assignment_id,
        "officer_id": officer,
        "epe_id": epe,
        "unit": "BN",
        "change": change,
        "changed_at": at.isoformat(),
    }
    return CloudEvent(
        id=f"{assignment_id}-{change}-{at}",
        source="camwatch/access",
        type="access.assignment.changed.v1",
        time=at,
        data=data,
    )


def test_later_change_wins_and_redelivery_is_harmless(session):
    kept = Assignments(Assignment)
    kept.handle_changed(event(), session)
    kept.handle_changed(event(), session)
    assert kept.assigned_epes(session, officer="officer-an", unit="BN") == ["EPE-1"]
    kept.handle_changed(event("ended", T0 + timedelta(hours=1)), session)
    kept.handle_changed(event("assigned", T0), session)  # late
    assert not kept.is_assigned(session, officer="officer-an", epe_id="EPE-1", unit="BN")
    kept.handle_changed(event("assigned", T0 + timedelta(hours=2)), session)
    assert kept.is_assigned(session, officer="officer-an", epe_id="EPE-1", unit="BN")
    assert not kept.is_assigned(session, officer="officer-an", epe_id="EPE-1", unit="HN")
    assert kept.assigned_epes(session, officer="officer-ba", unit="BN") == []


def test_ended_at_the_same_instant_wins_either_order(session):
    kept = Assignments(Assignment)
    kept.handle_changed(event("ended"), session)
    assert (
        kept.apply(
            session,
            assignment_id="a1",
            officer_id="officer-an",
            epe_id="EPE-1",
            unit="BN",
            active=True,
            changed_at=T0,
        )
        is False
    )
    assert kept.assigned_epes(session, officer="officer-an", unit="BN") == []


@pytest.mark.parametrize(
    "data",
    [{"change": "promoted"}, {"change": "assigned"}, {"change": "assigned", "changed_at": "soon"}],
)
def test_malformed_events_are_permanent_errors(session, data):
    bad = event()
    bad_data = {**bad.data, **data}
    if data == {"change": "assigned"}:
        del bad_data["officer_id"]
    with pytest.raises(PermanentError):
        Assignments(Assignment).handle_changed(bad.model_copy(update={"data": bad_data}), session)
