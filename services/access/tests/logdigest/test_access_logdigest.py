"""The daily log digest (seed 2 §3): a day's sign-ins, failures, lockouts, reveals, authority
changes and dead letters, the audit chain checked; kept, listed, anomalies raised as an event;
made once a day by a database-held timer whichever replica reads it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from access.audit import service as audit
from access.context import AuditContext
from access.logdigest import service as digests
from access.logdigest import timer
from access.logdigest.models import LogDigestTimer
from access.subscriptions import subscriptions
from servicekit.events import CloudEvent, DeadLetter, PermanentError
from servicekit.events.servererrors import SERVER_ERRORS_SUBJECT

CONTEXT = AuditContext.system("test-digest")
CUSTODY = "evidence.custody.verified.v1"


def audited(app, action: str, at: datetime, times: int = 1) -> None:
    with Session(app.state.engine) as session:
        for _ in range(times):
            audit.record(session, context=CONTEXT, action=action, occurred_at=at)
        session.commit()


def anomaly_events(app) -> list[str]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT subject FROM event_outbox WHERE type = :t"),
            {"t": "access.log_digest.anomalies_found.v1"},
        )
        return list(rows.scalars())


def delivered(app, event_type: str, data: dict[str, Any], event_id: str | None = None) -> str:
    """An event handed to its handler as the consumer does (in one transaction)."""
    event = CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=f"camwatch/{event_type.split('.')[0]}",
        type=event_type,
        subject="s",
        time=datetime.now(UTC),
        data=data,
    )
    with Session(app.state.engine) as session:
        subscriptions(clock=app.state.runtime.clock)[event_type](event, session)
        session.commit()
    return event.id


def custody_verified(app, day: date, *, verified: bool = True, **data: Any) -> str:
    return delivered(
        app,
        CUSTODY,
        {
            "day": day.isoformat(),
            "verified": verified,
            "records_checked": 12,
            "anchors_checked": 2,
            "last_seq": 12,
            "head_mac": "ab" * 32,
            "first_broken_seq": None if verified else 7,
            "problem": None if verified else "record 7 was altered",
            "checked_at": datetime.now(UTC).isoformat(),
            **data,
        },
    )


def server_errors(app, start: datetime, routes: list[dict[str, Any]], event_id=None) -> str:
    return delivered(
        app,
        SERVER_ERRORS_SUBJECT,
        {
            "gateway": "gw-1",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(minutes=1)).isoformat(),
            "routes": routes,
        },
        event_id,
    )


def test_day_bounds_are_the_day_in_vietnam():
    start, end = digests.day_bounds(date(2026, 11, 30))
    assert start == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert digests.yesterday(datetime(2026, 11, 30, 16, 59, tzinfo=UTC)) == date(2026, 11, 29)
    assert digests.yesterday(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == date(2026, 11, 30)
    due = digests.next_due(datetime(2026, 11, 30, 17, 0, tzinfo=UTC), minute_of_day=30)
    assert due == datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    assert digests.next_due(due, minute_of_day=30) == due + timedelta(days=1)


def test_on_demand_digest_counts_yesterday_and_is_kept(app, client, flows):
    operator, auditor = flows.officer_headers("it_operator"), flows.officer_headers("auditor")
    now = app.state.runtime.clock.now()
    day = digests.yesterday(now)
    start, _ = digests.day_bounds(day)
    noon = start + timedelta(hours=5)
    audited(app, "signin.succeeded", noon, 3)
    audited(app, "signin.failed", noon, 2)
    audited(app, "vault.revealed", noon)
    audited(app, "authority.grant.approved", noon)
    audited(app, "signin.failed", start - timedelta(seconds=1))  # the day before: not counted
    custody_verified(app, day)

    made = client.post("/log-digests", json={}, headers=operator)
    assert made.status_code == 201, made.text
    digest = made.json()
    assert digest["day"] == day.isoformat() and digest["trigger"] == "on_demand"
    counts = digest["counts"]
    assert counts["signins"] == 3 and counts["signin_failures"] == 2
    assert counts["reveals"] == 1 and counts["authority_changes"] == 1
    assert counts["lockouts"] == 0
    assert counts["dead_letters"] is None  # events are off in these tests
    assert digest["audit_chain"]["ok"] is True and digest["audit_chain"]["records_checked"] > 0
    assert counts["server_errors"] == 0 and counts["server_errors_by_route"] == []
    assert digest["custody_chain"]["verified"] is True
    assert digest["custody_chain"]["head_mac"] == "ab" * 32
    assert digest["ok"] is True and digest["anomalies"] == []
    assert anomaly_events(app) == []

    listed = client.get("/log-digests", headers=auditor).json()
    assert [d["id"] for d in listed["data"]] == [digest["id"]]
    one = client.get(f"/log-digests/{digest['id']}", headers=auditor)
    assert one.status_code == 200 and one.json() == digest
    assert (
        client.get("/log-digests", params={"day": "2001-01-01"}, headers=auditor).json()["data"]
        == []
    )
    assert client.get("/log-digests/nope", headers=auditor).status_code == 404
    with app.state.engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_records")).scalars().all()
    assert "log_digest.run" in actions


def test_today_is_the_day_so_far_and_a_future_day_is_refused(app, client, flows):
    operator = flows.officer_headers("it_operator")
    now = app.state.runtime.clock.now()
    today = now.astimezone(digests.VIETNAM_TZ).date()
    made = client.post("/log-digests", json={"day": today.isoformat()}, headers=operator)
    assert made.status_code == 201, made.text
    start, end = digests.day_bounds(today)
    assert start < datetime.fromisoformat(made.json()["period_end"]) <= end  # so far
    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = client.post("/log-digests", json={"day": tomorrow}, headers=operator)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.day"
    unknown = client.post("/log-digests", json={"since": "x"}, headers=operator)
    assert unknown.status_code == 422


def test_anomalies_are_listed_and_raised_as_an_event(app, client, flows):
    operator = flows.officer_headers("it_operator")
    day = digests.yesterday(app.state.runtime.clock.now())
    start, _ = digests.day_bounds(day)
    audited(app, "signin.locked_out", start + timedelta(hours=1), 6)
    custody_verified(app, day)
    digest = client.post("/log-digests", json={"day": day.isoformat()}, headers=operator).json()
    assert digest["ok"] is False
    assert digest["anomalies"] == ["6 lockouts (more than 5)"]
    assert anomaly_events(app) == [f"log_digest:{digest['id']}"]
    # kept as made: the database refuses edits
    with pytest.raises((DBAPIError, IntegrityError)), app.state.engine.begin() as conn:
        conn.execute(text("UPDATE log_digests SET ok = true"))


def test_dead_letters_of_the_day_are_counted_per_consumer():
    start, end = digests.day_bounds(date(2026, 11, 29))

    def letter(consumer: str, at: datetime) -> DeadLetter:
        return DeadLetter(
            sequence=1,
            subject=f"deadletter.{consumer}.x",
            consumer=consumer,
            original_subject="x",
            error="boom",
            deliveries=5,
            failed_at=at,
            envelope="{}",
            headers={},
        )

    letters = [
        letter("risk-gate", start + timedelta(hours=1)),
        letter("risk-gate", start + timedelta(hours=2)),
        letter("incidents-x", start + timedelta(hours=3)),
        letter("incidents-x", end),  # the next day
    ]
    assert digests.count_dead_letters(letters, start, end) == (
        3,
        {"incidents-x": 1, "risk-gate": 2},
    )
    assert digests.count_dead_letters(None, start, end) == (None, {})
    counts = digests.DigestCounts(
        signins=0,
        signin_failures=0,
        lockouts=0,
        reveals=0,
        reveal_refusals=0,
        authority_changes=0,
        dead_letters=3,
    )
    chain = digests.AuditChainCheck(ok=True, records_checked=1, anchors_checked=0)
    thresholds = digests.Thresholds(signin_failures=50, lockouts=5)
    assert digests.anomalies_of(counts, chain, thresholds, events_on=True) == [
        "3 event(s) dead-lettered"
    ]
    unread = counts.model_copy(update={"dead_letters": None})
    assert digests.anomalies_of(unread, chain, thresholds, events_on=True) == [
        "dead letters could not be read from the event bus"
    ]


def test_a_tampered_audit_chain_is_an_anomaly(app, client, flows):
    operator = flows.officer_headers("it_operator")
    with app.state.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_records_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_records_no_change ON audit_records"))
        conn.execute(text("UPDATE audit_records SET actor = 'someone else' WHERE seq = 1"))
    digest = client.post("/log-digests", json={}, headers=operator).json()
    assert digest["audit_chain"]["ok"] is False
    assert digest["audit_chain"]["first_broken_seq"] == 1
    assert digest["anomalies"][0].startswith("audit chain not verified at record 1")


def test_the_timer_runs_the_daily_digest_once_across_replicas(app, client, flows):
    runtime = app.state.runtime
    flows.officer_headers("it_operator")  # some audited activity
    first = asyncio.run(timer.tick(app))
    assert first is None, "the first read only sets the timer"
    with Session(app.state.engine) as session:
        due = session.get(LogDigestTimer, 1).due_at
    clock = runtime.clock
    clock.advance((due.replace(tzinfo=UTC) - clock.now()).total_seconds() + 1)

    async def two_replicas():
        return await asyncio.gather(timer.tick(app), timer.tick(app))

    made = [d for d in asyncio.run(two_replicas()) if d is not None]
    assert len(made) == 1 and made[0].trigger == "scheduled"
    assert made[0].day == digests.yesterday(clock.now())
    assert asyncio.run(timer.tick(app)) is None, "not again the same day"
    listed = client.get("/log-digests", headers=flows.officer_headers("auditor")).json()
    assert [d["trigger"] for d in listed["data"]] == ["scheduled"]


def test_5xx_of_the_day_are_listed_per_route_and_are_anomalies(app, client, flows):
    operator = flows.officer_headers("it_operator")
    day = digests.yesterday(app.state.runtime.clock.now())
    start, end = digests.day_bounds(day)
    custody_verified(app, day)
    cameras = {"service": "registry", "method": "GET", "route": "/epes/{epe_id}/cameras"}
    first = server_errors(
        app,
        start + timedelta(hours=2),
        [{**cameras, "status": 503, "count": 2}, {**cameras, "status": 500, "count": 1}],
    )
    server_errors(  # another gateway process, later that day
        app,
        start + timedelta(hours=9),
        [
            {**cameras, "status": 503, "count": 1},
            {"service": "risk", "method": "POST", "route": "*", "status": 502, "count": 1},
        ],
    )
    server_errors(  # redelivered: the same event changes nothing
        app, start + timedelta(hours=2), [{**cameras, "status": 503, "count": 2}], first
    )
    server_errors(app, end, [{**cameras, "status": 500, "count": 5}])  # the next day

    digest = client.post("/log-digests", json={"day": day.isoformat()}, headers=operator).json()
    counts = digest["counts"]
    assert counts["server_errors"] == 5
    assert counts["server_errors_by_route"] == [
        {**cameras, "count": 4, "by_status": {"500": 1, "503": 3}},
        {"service": "risk", "method": "POST", "route": "*", "count": 1, "by_status": {"502": 1}},
    ]
    assert digest["ok"] is False
    assert digest["anomalies"] == [
        "4 server error(s) on registry GET /epes/{epe_id}/cameras (1x 500, 3x 503)",
        "1 server error(s) on risk POST * (1x 502)",
    ]
    with app.state.engine.connect() as conn:
        kept = conn.execute(text("SELECT COUNT(*) FROM server_error_counts")).scalar_one()
    assert kept == 5  # 2 + 2 + 1 rows: the redelivery added none


def test_a_threshold_allows_some_5xx_per_route():
    counts = digests.DigestCounts(
        signins=0,
        signin_failures=0,
        lockouts=0,
        reveals=0,
        reveal_refusals=0,
        authority_changes=0,
        dead_letters=0,
        server_errors=3,
        server_errors_by_route=[
            digests.RouteServerErrors(
                service="risk", method="GET", route="/x", count=3, by_status={"503": 3}
            )
        ],
    )
    chain = digests.AuditChainCheck(ok=True, records_checked=1, anchors_checked=0)
    lenient = digests.Thresholds(signin_failures=50, lockouts=5, server_errors=3)
    assert digests.anomalies_of(counts, chain, lenient, events_on=True) == []
    strict = digests.Thresholds(signin_failures=50, lockouts=5, server_errors=2)
    assert digests.anomalies_of(counts, chain, strict, events_on=True) == [
        "3 server error(s) on risk GET /x (3x 503)"
    ]


def test_a_missing_or_failed_custody_check_is_an_anomaly(app, client, flows):
    operator = flows.officer_headers("it_operator")
    day = digests.yesterday(app.state.runtime.clock.now())
    before = day - timedelta(days=1)
    missing = client.post("/log-digests", json={"day": before.isoformat()}, headers=operator)
    assert missing.json()["custody_chain"] is None
    assert missing.json()["anomalies"] == [
        f"no verification of the evidence custody chain was received for {before}"
    ]

    custody_verified(app, day, checked_at="2020-01-01T00:00:00+00:00")
    custody_verified(app, day, verified=False)  # the latest check of the day counts
    digest = client.post("/log-digests", json={"day": day.isoformat()}, headers=operator).json()
    assert digest["custody_chain"]["verified"] is False
    assert digest["custody_chain"]["first_broken_seq"] == 7
    assert digest["anomalies"] == [
        "evidence custody chain not verified at record 7: record 7 was altered"
    ]
    assert anomaly_events(app) == [
        f"log_digest:{missing.json()['id']}",
        f"log_digest:{digest['id']}",
    ]


def test_an_invalid_event_is_refused_for_good(app):
    with pytest.raises(PermanentError):
        delivered(app, CUSTODY, {"day": "yesterday"})
    with pytest.raises(PermanentError):
        delivered(app, SERVER_ERRORS_SUBJECT, {"gateway": "g", "routes": []})
