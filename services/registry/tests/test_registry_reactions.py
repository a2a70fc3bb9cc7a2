"""In-process domain events: handlers get the facts they subscribed to, in the same transaction."""

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from registry import reactions
from registry.cameras.events import CameraRemoved
from registry.reactions import notify, record, subscribe
from servicekit.events.outbox import pending_count

NOW = datetime(2026, 3, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Apple:
    n: int


@dataclass(frozen=True)
class Pear:
    n: int


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[object]]]:
    monkeypatch.setattr(reactions, "_subscribers", [])
    monkeypatch.setattr(reactions, "_loaded", True)
    seen: list[tuple[str, list[object]]] = []

    @subscribe(Apple)
    def apples(session: Session, facts: list[object], now: datetime) -> None:
        seen.append(("apples", facts))

    @subscribe(Apple, Pear, CameraRemoved)
    def fruit(session: Session, facts: list[object], now: datetime) -> None:
        assert now == NOW
        seen.append(("fruit", facts))

    subscribe(Apple)(apples)  # subscribing twice changes nothing
    return seen


def test_each_handler_gets_its_facts_of_one_announcement_in_one_call(calls, app: FastAPI):
    with Session(app.state.engine) as session:
        notify(session, [Apple(1), Pear(2), Apple(3)], now=NOW)
        notify(session, [Pear(4)], now=NOW)
        notify(session, [], now=NOW)
    assert calls == [
        ("apples", [Apple(1), Apple(3)]),
        ("fruit", [Apple(1), Pear(2), Apple(3)]),
        ("fruit", [Pear(4)]),
    ]


def test_recorded_events_reach_the_outbox_and_the_handlers_in_the_same_transaction(
    calls, app: FastAPI
):
    removed = CameraRemoved(
        camera_id="cam-1",
        epe_id="epe-1",
        unit="CC-KCX-TANTHUAN",
        camera_number="C01",
        position_kind="epe_gate",
        must_be_online=True,
        removed_at=NOW,
    )
    with Session(app.state.engine) as session:
        record(session, [(removed, "cam-1")], now=NOW)
        assert calls == [("fruit", [removed])]
        assert pending_count(session.connection()) == 1
        session.rollback()
        assert pending_count(session.connection()) == 0


def test_the_handlers_subscribe_without_the_app_on_the_first_announcement():
    # A fresh interpreter: domain code run by a script or benchmark reacts as in the app.
    script = """
import sys
from datetime import UTC, datetime
from registry import reactions
assert not reactions._subscribers
reactions.notify(None, [], now=datetime.now(UTC))
print([handler.__module__ for _kinds, handler in reactions._subscribers])
print("registry.main" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split("\n")[:2] == [
        "['registry.health.handlers', 'registry.coverage.handlers', 'registry.cameras.handlers']",
        "False",
    ]
