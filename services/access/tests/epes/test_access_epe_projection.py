"""The registry's EPE events feed `registry_epes`, the source of which unit supervises an EPE:
idempotent and order-proof handling, assignments by the registry's unit (including EPEs no
vendor client names), and what follows when the registry moves an EPE to another unit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from access.assignments.models import Assignment
from access.audit.models import AuditRecord
from access.clients.models import ClientKind, EpeBinding
from access.clients.service import create_client, public_view
from access.context import AuditContext
from access.epes.models import RegistryEpe
from access.seed import DEMO_UNIT
from access.vault.models import VaultEntry
from servicekit.events import CloudEvent, PermanentError
from servicekit.events.outbox import TABLES
from servicekit.units import UNIT_MAX_LENGTH

REGISTERED = "registry.epe.registered.v1"
UPDATED = "registry.epe.updated.v1"
OTHER_UNIT = "HQ-KCX-TT"  # the second unit of the `world` fixture


def registry_event(
    event_type: str,
    epe_id: str,
    unit: str,
    *,
    at: datetime | None = None,
    name: str = "Công ty TNHH Demo",
    status: str = "active",
    **extra: Any,
) -> CloudEvent:
    """An event as the registry publishes it (every field of its schema, plus `extra`)."""
    data: dict[str, Any] = {
        "epe_id": epe_id,
        "name": name,
        "address": "KCN Quế Võ, Bắc Ninh",
        "tax_code": "0100109106",
        "unit": unit,
        "status": status,
        "exemption_category": "I.1.3.b",
        "exempt": False,
        "exemption_reason": "",
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        **extra,
    }
    if event_type == UPDATED:
        data.setdefault("changed_fields", ["unit"])
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/registry",
        type=event_type,
        subject=epe_id,
        time=at or datetime.now(UTC),
        data=data,
    )


def deliver(app: Any, event: CloudEvent) -> None:
    """Run the handler the app subscribed for the event, in its own transaction (as the
    consumer does)."""
    handler = app.state.spec.subscriptions[event.type]
    with Session(app.state.engine) as session:
        handler(event, session)
        session.commit()


def projection(app: Any, epe_id: str) -> RegistryEpe | None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        return session.get(RegistryEpe, epe_id)


def audit_actions(app: Any, action: str) -> list[AuditRecord]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        return list(session.exec(select(AuditRecord).where(AuditRecord.action == action)).all())


def test_the_service_subscribes_to_the_registry_epe_events(app):
    assert {REGISTERED, UPDATED} <= set(app.state.spec.subscriptions)


def test_a_redelivered_event_changes_nothing(app, world):
    event = registry_event(REGISTERED, "EPE-REG-01", DEMO_UNIT, name="Alpha")
    deliver(app, event)
    first = projection(app, "EPE-REG-01")
    assert first is not None
    assert (first.unit, first.name, first.status) == (DEMO_UNIT, "Alpha", "active")
    assert first.event_time == event.time and first.event_id == event.id
    records = len(audit_actions(app, "epe.supervision_changed"))
    deliver(app, event)
    again = projection(app, "EPE-REG-01")
    assert again == first
    assert len(audit_actions(app, "epe.supervision_changed")) == records
    with Session(app.state.engine) as session:
        count = session.exec(select(func.count()).select_from(RegistryEpe)).one()
    assert count == 1


def test_an_older_event_arriving_late_is_ignored(app, world):
    t0 = datetime.now(UTC)
    registered = registry_event(REGISTERED, "EPE-REG-02", DEMO_UNIT, at=t0, name="Old name")
    renamed = registry_event(
        UPDATED, "EPE-REG-02", OTHER_UNIT, at=t0 + timedelta(seconds=5), name="New name"
    )
    deliver(app, renamed)
    deliver(app, registered)  # redelivered after the newer one
    row = projection(app, "EPE-REG-02")
    assert row is not None and (row.unit, row.name) == (OTHER_UNIT, "New name")
    assert row.event_id == renamed.id
    suspended = registry_event(
        UPDATED, "EPE-REG-02", OTHER_UNIT, at=t0 + timedelta(seconds=9), status="suspended"
    )
    deliver(app, suspended)
    row = projection(app, "EPE-REG-02")
    assert row is not None and row.status == "suspended" and row.event_time == suspended.time


def test_extra_fields_are_ignored_and_bad_data_is_refused(app, world):
    event = registry_event(
        UPDATED, "EPE-REG-03", DEMO_UNIT, future_field={"x": 1}, changed_fields=["name"]
    )
    deliver(app, event)
    assert projection(app, "EPE-REG-03") is not None
    for data in (
        {"unit": DEMO_UNIT, "name": "no id"},
        {"epe_id": "EPE-REG-04", "name": "no unit"},
        {"epe_id": "EPE-REG-04", "unit": 12},
        {"epe_id": "EPE-REG-04", "unit": "U" * (UNIT_MAX_LENGTH + 1)},
    ):
        bad = registry_event(REGISTERED, "EPE-REG-04", DEMO_UNIT)
        bad = bad.model_copy(update={"data": data})
        with pytest.raises(PermanentError):
            deliver(app, bad)
    assert projection(app, "EPE-REG-04") is None


def test_an_epe_known_only_from_the_registry_can_be_assigned(client, flows, world, app):
    deliver(app, registry_event(REGISTERED, "EPE-REG-ONLY", DEMO_UNIT))
    with Session(app.state.engine) as session:
        assert session.get(EpeBinding, "EPE-REG-ONLY") is None  # no vendor client
    head = flows.officer_headers("head")
    assigned = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-REG-ONLY"},
        headers=head,
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["unit"] == DEMO_UNIT
    mine = client.get("/assignments/me", headers=flows.officer_headers("officer")).json()["data"]
    assert "EPE-REG-ONLY" in {a["epe_id"] for a in mine}


def test_an_epe_of_another_unit_per_the_registry_is_refused(client, flows, world, app):
    deliver(app, registry_event(REGISTERED, "EPE-REG-TT", OTHER_UNIT))
    refused = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-REG-TT"},
        headers=flows.officer_headers("head"),
    )
    assert refused.status_code == 403, refused.text
    # the registry's unit may: its head assigns themselves
    other_head = flows.officer_headers("other_head")
    own = client.post(
        "/assignments",
        json={"officer_id": world.user_id("other_head"), "epe_id": "EPE-REG-TT"},
        headers=other_head,
    )
    assert own.status_code == 201, own.text


def test_the_registry_overrides_a_vendor_client_binding(client, flows, world, app):
    # EPE-OTHER-01's vendor client says HQ-KCX-TT; the registry says the demo unit.
    deliver(app, registry_event(REGISTERED, "EPE-OTHER-01", DEMO_UNIT))
    head = flows.officer_headers("head")
    assigned = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-OTHER-01"},
        headers=head,
    )
    assert assigned.status_code == 201, assigned.text
    foreign = client.post(
        "/assignments",
        json={"officer_id": world.user_id("other_head"), "epe_id": "EPE-OTHER-01"},
        headers=flows.officer_headers("other_head"),
    )
    assert foreign.status_code == 403
    with Session(app.state.engine) as session:
        binding = session.get(EpeBinding, "EPE-OTHER-01")
        assert binding is not None and binding.unit == DEMO_UNIT


def test_a_closed_epe_takes_no_new_assignments(client, flows, world, app):
    deliver(app, registry_event(REGISTERED, "EPE-REG-CLOSED", DEMO_UNIT, status="closed"))
    refused = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-REG-CLOSED"},
        headers=flows.officer_headers("head"),
    )
    assert refused.status_code == 409, refused.text
    assert "closed" in refused.json()["detail"]


def test_the_demo_assignment_survives_the_registry_confirming_its_unit(client, flows, world, app):
    # seed-demo assigned EPE-DEMO-01 from its vendor client's binding; the registry agrees.
    deliver(app, registry_event(REGISTERED, "EPE-DEMO-01", DEMO_UNIT))
    mine = client.get("/assignments/me", headers=flows.officer_headers("officer")).json()["data"]
    assert [a["epe_id"] for a in mine] == ["EPE-DEMO-01"]
    assert audit_actions(app, "epe.supervision_changed") == []
    admin = flows.officer_headers("admin")
    vendor = client.get("/clients/epe-demo-01-vendor", headers=admin).json()
    assert vendor["registry_unit"] == DEMO_UNIT and vendor["unit_mismatch"] is False
    assert client.get("/vault/entries", headers=flows.client_headers("epe_vendor_1")).is_success


def test_a_registry_unit_move_ends_the_old_units_hold(client, flows, world, app):
    vendor_token = flows.client_token("epe_vendor_1")
    vendor = {"Authorization": f"Bearer {vendor_token}"}
    assert client.get("/vault/entries", headers=vendor).status_code == 200
    t0 = datetime.now(UTC)
    deliver(app, registry_event(REGISTERED, "EPE-DEMO-01", DEMO_UNIT, at=t0))
    moved = registry_event(
        UPDATED, "EPE-DEMO-01", OTHER_UNIT, at=t0 + timedelta(seconds=1), changed_fields=["unit"]
    )
    deliver(app, moved)

    # the old unit's assignment ended, and that was published
    officer = flows.officer_headers("officer")
    assert client.get("/assignments/me", headers=officer).json()["data"] == []
    with Session(app.state.engine) as session:
        ended = session.exec(select(Assignment).where(Assignment.epe_id == "EPE-DEMO-01")).one()
        assert ended.ended_at is not None and ended.ended_by == "service:registry"
        envelopes = session.execute(
            sa_select(TABLES.outbox.c.envelope)
            .where(TABLES.outbox.c.type == "access.assignment.changed.v1")
            .where(TABLES.outbox.c.subject == "EPE-DEMO-01")
        ).scalars()
        changes = [json.loads(e)["data"]["change"] for e in envelopes]
        assert sorted(changes) == ["assigned", "ended"]
        entries = session.exec(select(VaultEntry).where(VaultEntry.epe_id == "EPE-DEMO-01")).all()
        assert entries and all(e.unit == OTHER_UNIT for e in entries)
        binding = session.get(EpeBinding, "EPE-DEMO-01")
        assert binding is not None and binding.unit == OTHER_UNIT

    # the old unit's head may not assign any more; the new unit's head may
    refused = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-DEMO-01"},
        headers=flows.officer_headers("head"),
    )
    assert refused.status_code == 403
    accepted = client.post(
        "/assignments",
        json={"officer_id": world.user_id("other_head"), "epe_id": "EPE-DEMO-01"},
        headers=flows.officer_headers("other_head"),
    )
    assert accepted.status_code == 201, accepted.text

    # the vendor client still bound to the old unit: visible, its tokens revoked and refused
    admin = flows.officer_headers("admin")
    shown = client.get("/clients/epe-demo-01-vendor", headers=admin).json()
    assert shown["unit"] == DEMO_UNIT and shown["registry_unit"] == OTHER_UNIT
    assert shown["unit_mismatch"] is True
    listed = client.get("/clients", headers=admin).json()["data"]
    assert {c["client_id"] for c in listed if c["unit_mismatch"]} == {"epe-demo-01-vendor"}
    assert client.get("/vault/entries", headers=vendor).status_code == 401
    account = world.accounts["epe_vendor_1"]
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["client_id"], account["client_secret"]),
    )
    assert token.status_code == 400 and token.json()["error"] == "unauthorized_client"
    assert OTHER_UNIT in token.json()["error_description"]

    # a client for the old unit is refused; one for the registry's unit works
    wrong = client.post(
        "/clients",
        json={
            "client_id": "epe-demo-01-vendor-b",
            "name": "EPE DEMO 01 vendor, old unit",
            "kind": "epe_vendor",
            "epe_id": "EPE-DEMO-01",
            "unit": DEMO_UNIT,
        },
        headers=admin,
    )
    assert wrong.status_code == 409 and wrong.json()["errors"][0]["field"] == "body.unit"
    new_unit_client = {
        "client_id": "epe-demo-01-vendor-tt",
        "name": "EPE DEMO 01 vendor, new unit",
        "kind": "epe_vendor",
        "epe_id": "EPE-DEMO-01",
        "unit": OTHER_UNIT,
    }
    # the old unit's administrator may not make it; the new unit's administrator does
    assert client.post("/clients", json=new_unit_client, headers=admin).status_code == 403
    with Session(app.state.engine) as session:
        row, secret = create_client(
            session,
            **{**new_unit_client, "kind": ClientKind.EPE_VENDOR},
            runtime=app.state.runtime,
            context=AuditContext.system("admin-of-the-new-unit"),
            now=datetime.now(UTC),
        )
        session.commit()
        assert public_view(session, row).unit_mismatch is False
    fresh = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("epe-demo-01-vendor-tt", secret),
    )
    assert fresh.status_code == 200, fresh.text

    # one audit record tells the story
    (record,) = audit_actions(app, "epe.supervision_changed")
    assert record.actor == "service:registry" and record.target == "epe:EPE-DEMO-01"
    details = json.loads(record.details)
    assert details["previous_unit"] == DEMO_UNIT and details["unit"] == OTHER_UNIT
    assert details["assignments_ended"] == [ended.id]
    assert details["mismatched_clients"] == ["epe-demo-01-vendor"]
    assert details["event_id"] == moved.id
    assert client.get("/audit/verify", headers=flows.officer_headers("auditor")).json()["ok"]


def test_an_assignment_made_on_a_stale_binding_ends_when_the_registry_speaks(
    client, flows, world, app
):
    # EPE-DEMO-02 is known from its vendor client only; the head assigns on that word ...
    assigned = client.post(
        "/assignments",
        json={"officer_id": world.user_id("officer"), "epe_id": "EPE-DEMO-02"},
        headers=flows.officer_headers("head"),
    )
    assert assigned.status_code == 201
    # ... then the registry's first event places the EPE under another unit.
    deliver(app, registry_event(REGISTERED, "EPE-DEMO-02", OTHER_UNIT))
    with Session(app.state.engine) as session:
        row = session.get(Assignment, assigned.json()["id"])
        assert row is not None and row.ended_at is not None
        still = session.exec(
            select(Assignment)
            .where(Assignment.epe_id == "EPE-DEMO-01")
            .where(col(Assignment.ended_at).is_(None))
        ).all()
        assert len(still) == 1  # other EPEs are untouched
