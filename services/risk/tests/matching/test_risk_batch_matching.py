"""A batch of gate reads is matched as the same reads one by one would be (set-based path)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, select
from stdnum import iso6346

from risk.gate.models import GateEvent
from risk.scoring.models import ScoreDue
from risk.warnings.models import TimelineEntry

from ..conftest import START, Feed
from ..gate.test_risk_gate_events import read
from .test_risk_gps import FAR, located  # noqa: F401 - the fixture
from .test_risk_matching import declare, outbox, warnings
from .test_risk_travel import release


def container(serial: int) -> str:
    head = f"TGHU{serial:06d}"
    return head + str(iso6346.calc_check_digit(head))


C1, C2, C3, C4, C5, C6 = (container(n) for n in (100001, 100002, 100003, 100004, 100005, 100006))
C4_MISREAD = C4[:5] + "O" + C4[6:] if C4[5] == "0" else C4
EXPECTED = {
    ("plate_not_declared", "51C12345"),
    ("container_exit_uncleared", C3),
    ("container_unreadable", "XXXX0000001"),
    ("container_exit_uncleared", C4),
    ("gps_elsewhere_at_gate", "60C-111.11"),
    ("release_travel_implausible", C6),
    ("exported_container_reentered", C1),
    ("blind_window_traffic", "(the read)"),
}


def reads() -> list[dict[str, Any]]:
    """Reads breaking each rule, in the order a vendor sends them (one resent)."""

    def at(minute: int) -> str:
        return f"2025-01-20T08:{minute:02d}:00+07:00"

    return [
        read(event_id="r-1", container_numbers=[C1], occurred_at=at(55)),
        read(event_id="r-2", container_numbers=[C2], occurred_at=at(50)),
        read(event_id="r-3", container_numbers=[C3], occurred_at=at(50)),
        read(event_id="r-4", container_numbers=["XXXX0000001"], occurred_at=at(50)),
        read(event_id="r-5", container_numbers=[C4_MISREAD], occurred_at=at(50)),
        read(event_id="r-6", container_numbers=[C5], plate="60C-111.11", occurred_at=at(50)),
        read(event_id="r-7", container_numbers=[C6], plate="51D-222.22", occurred_at=at(50)),
        read(event_id="r-8", container_numbers=[C1], direction="entry", occurred_at=at(57)),
        read(event_id="r-9", container_numbers=[C1], occurred_at=at(59)),
        read(event_id="r-1", container_numbers=[C1], occurred_at=at(55)),
    ]


def customs_data(client: TestClient, headers: dict[str, str], feed: Feed) -> None:
    declare(client, headers, number="300000000001", container_numbers=[C1])
    declare(client, headers, number="300000000002", container_numbers=[C2], plates=["51C-999.99"])
    declare(client, headers, number="300000000005", container_numbers=[C5], plates=["60C-111.11"])
    declare(client, headers, number="300000000006", container_numbers=[C6], plates=["51D-222.22"])
    too_soon = {"released_at": "2025-01-20T08:40:00+07:00", "container_numbers": [C6]}
    assert release(client, headers, declaration_number="300000000006", **too_soon) == 201
    fix = {"plate": "60C-111.11", "at": "2025-01-20T08:48:00+07:00"}
    fix |= {"latitude": FAR[0], "longitude": FAR[1]}
    assert client.post("/customs/gps-fixes", json=fix, headers=headers).status_code == 201
    feed.outage("gate-1", "epe-1", "out-1", START - timedelta(minutes=2))


@pytest.mark.parametrize("mode", ["one_by_one", "batch"])
def test_a_batch_raises_what_the_reads_one_by_one_raise(
    mode: str,
    client: TestClient,
    app: FastAPI,
    located: Feed,  # noqa: F811 - the fixture
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    customs_data(client, customs_headers, located)
    with Session(app.state.engine) as session:  # forget the rescoring the customs data asked for
        session.execute(delete(ScoreDue))
        session.commit()
    if mode == "batch":
        response = client.post("/gate-events/batch", json={"records": reads()}, headers=epe_headers)
        assert response.status_code == 200, response.text
        result = response.json()
        assert (result["created"], result["unchanged"], result["rejected"]) == (9, 1, 0)
        assert result["items"][9]["id"] == result["items"][0]["id"]
    else:
        codes = [
            client.post("/gate-events", json=r, headers=epe_headers).status_code for r in reads()
        ]
        assert codes == [201] * 9 + [200]
    found = warnings(app)
    with Session(app.state.engine) as session:
        reference = {e.id: e.reference for e in session.exec(select(GateEvent))}
        raised = [e.warning_id for e in session.exec(select(TimelineEntry))]
    blind = [w for w in found if w.rule == "blind_window_traffic"]
    assert [reference[w.subject] for w in blind] == ["r-9"]
    keys = {(w.rule, "(the read)" if w in blind else w.subject) for w in found}
    assert keys == EXPECTED
    assert len(found) == len(EXPECTED)
    by_rule = {(w.rule, w.subject): w.explanation for w in found}
    assert by_rule[("container_exit_uncleared", C4)]["repaired"] is (C4_MISREAD != C4)
    assert by_rule[("release_travel_implausible", C6)]["compared"][0]["why"] == "too_fast"
    assert by_rule[("gps_elsewhere_at_gate", "60C-111.11")]["compared"][0]["distance_m"] > 1000
    [reentry] = [w for w in found if w.rule == "exported_container_reentered"]
    assert reference[reentry.gate_event_id or ""] == "r-8"
    assert [reference[e["id"]] for e in reentry.explanation["exits"]] == ["r-1"]
    events = outbox(app, "risk.warning.raised.v1")
    assert sorted(e["warning_id"] for e in events) == sorted(w.id for w in found)
    assert {e["unit"] for e in events} == {"CC-HQ-KCX-TANTHUAN"}
    assert sorted(raised) == sorted(w.id for w in found)
    with Session(app.state.engine) as session:  # both paths ask for a new risk score
        due = session.exec(select(ScoreDue.epe_id)).all()
    assert set(due) >= {w.epe_id for w in found}
