"""Direction: a container cleared for export, seen leaving, that comes back in."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ..conftest import Feed
from .test_risk_matching import declare, outbox, post, warnings

RULE = "exported_container_reentered"
BACK = {"event_id": "anpr-000002", "direction": "entry", "occurred_at": "2025-01-20T09:03:00+07:00"}


def test_an_exported_container_coming_back_is_a_warning_that_explains_itself(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    out = post(client, epe_headers)
    back = post(client, epe_headers, **BACK)
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity) == (RULE, "CSQU3054383", "medium")
    facts = warning.explanation
    assert facts["gate_event_id"] == back["id"] and facts["direction"] == "entry"
    assert facts["exits"] == [
        {
            "id": out["id"],
            "href": f"/gate-events/{out['id']}",
            "occurred_at": "2025-01-20T01:55:00+00:00",
        }
    ]
    [compared] = facts["compared"]
    assert (compared["kind"], compared["number"]) == ("declaration", "305123456789")
    assert compared["cleared_at"] == "2025-01-20T01:30:00+00:00"


def test_an_entry_before_any_exit_or_without_export_raises_nothing(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    post(client, epe_headers, **{**BACK, "occurred_at": "2025-01-20T08:50:00+07:00"})  # empty in
    post(client, epe_headers)  # loaded out
    assert warnings(app) == []
    post(client, epe_headers, **{**BACK, "event_id": "x-1", "container_numbers": ["MSCU1234566"]})
    post(
        client,
        epe_headers,
        **{
            **BACK,
            "event_id": "x-2",
            "occurred_at": "2025-01-20T09:04:00+07:00",
            "container_numbers": ["MSCU1234566"],
            "direction": "exit",
        },
    )
    post(
        client,
        epe_headers,
        **{
            **BACK,
            "event_id": "x-3",
            "occurred_at": "2025-01-20T09:05:00+07:00",
            "container_numbers": ["MSCU1234566"],
        },
    )
    assert [w.rule for w in warnings(app)] == ["container_exit_uncleared"]  # never declared


def test_a_late_declaration_or_a_late_exit_rematches_exactly_once(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    post(client, epe_headers, **BACK)  # the entry first: the exit's read is late
    post(client, epe_headers)
    declare(client, customs_headers)
    declare(client, customs_headers)  # resent
    rules = {w.rule: w.state for w in warnings(app)}
    assert rules == {"container_exit_uncleared": "resolved", RULE: "new"}
    raised = [e["rule"] for e in outbox(app, "risk.warning.raised.v1")]
    assert sorted(raised) == ["container_exit_uncleared", RULE]


def test_an_exit_read_arriving_after_the_entry_rematches_it(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    post(client, epe_headers, **BACK)
    assert warnings(app) == []
    post(client, epe_headers)  # the exit at 08:55, read late
    [warning] = warnings(app)
    assert warning.rule == RULE
    assert len(outbox(app, "risk.warning.raised.v1")) == 1
