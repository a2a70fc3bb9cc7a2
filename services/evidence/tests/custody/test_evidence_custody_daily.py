"""The daily custody check: the chain verified against its anchors once a day whichever
replica reads the timer, the result published through the outbox for the log digest, and a
tampered record reported as not verified."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from evidence.custody import daily
from evidence.custody.anchoring import anchor
from evidence.custody.models import CustodyAction
from servicekit.clock import ManualClock

from ..conftest import Feed
from .test_evidence_custody import _record, _request, _tamper

SUBJECT = "evidence.custody.verified.v1"


def published(app: FastAPI) -> list[dict[str, Any]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT envelope FROM event_outbox WHERE type = :t ORDER BY created_at"),
            {"t": SUBJECT},
        )
        return [json.loads(envelope)["data"] for envelope in rows.scalars()]


def test_next_run_is_the_minute_of_the_next_day_in_vietnam() -> None:
    now = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
    assert daily.next_due(now, minute_of_day=15) == datetime(2025, 1, 20, 17, 15, tzinfo=UTC)
    assert daily.yesterday(now) == date(2025, 1, 19)


def test_verified_at_once_then_daily_exactly_once(
    client: TestClient,
    app: FastAPI,
    clock: ManualClock,
    feed: Feed,
    head_headers: dict[str, str],
) -> None:
    request_id = _request(client, head_headers)
    _record(app, request_id, CustodyAction.UPLOADED)
    anchored = anchor(
        app.state.engine, app.state.anchor_store, now=datetime.now(UTC), interval=timedelta(hours=1)
    )
    assert anchored is not None

    first = asyncio.run(daily.tick(app))  # a new installation verifies at once
    assert first is not None and first.verified is True
    assert first.day == date(2025, 1, 19)
    assert first.records_checked == 2 and first.anchors_checked == 1
    assert first.last_seq == 2 and first.head_mac and first.first_broken_seq is None
    # two replicas reading the timer in the same minute: nobody runs it again
    assert asyncio.run(daily.tick(app)) is None
    assert asyncio.run(daily.tick(app)) is None

    clock.set(datetime(2025, 1, 20, 17, 15, tzinfo=UTC))  # 00:15 on the 21st in Vietnam
    runs = [asyncio.run(daily.tick(app)) for _ in range(2)]
    done = [r for r in runs if r is not None]
    assert len(done) == 1 and done[0].day == date(2025, 1, 20)

    events = published(app)
    assert [e["day"] for e in events] == ["2025-01-19", "2025-01-20"]
    assert events[0]["verified"] is True and events[0]["head_mac"] == first.head_mac


def test_a_tampered_record_is_published_as_not_verified(
    client: TestClient,
    app: FastAPI,
    clock: ManualClock,
    feed: Feed,
    head_headers: dict[str, str],
) -> None:
    request_id = _request(client, head_headers)
    _record(app, request_id, CustodyAction.UPLOADED)
    _record(app, request_id, CustodyAction.DOWNLOADED)
    _tamper(app, "UPDATE custody_records SET actor = 'someone-else' WHERE seq = 2")

    result = asyncio.run(daily.tick(app))
    assert result is not None and result.verified is False
    assert result.first_broken_seq == 2 and result.problem and "altered" in result.problem
    (event,) = published(app)
    assert event["verified"] is False and event["first_broken_seq"] == 2


def test_unreadable_anchors_are_not_a_verification(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str]
) -> None:
    _request(client, head_headers)
    result = daily.verify_and_publish(app.state.engine, None, day=date(2025, 1, 19), now=START)
    assert result.verified is False and "anchors" in (result.problem or "")


START = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)
