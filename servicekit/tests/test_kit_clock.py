"""The clock: the wall clock by default, the app's clock when it keeps one, overridable."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from servicekit.clock import Clock, ClockDep, ManualClock, SystemClock, get_clock, utc_now

START = datetime(2026, 3, 1, 1, tzinfo=UTC)


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/now")
    def now(clock: ClockDep) -> dict[str, str]:
        return {"now": clock.now().isoformat()}

    return app


def asked(app: FastAPI) -> datetime:
    with TestClient(app) as client:
        return datetime.fromisoformat(client.get("/now").json()["now"])


def test_the_wall_clock_is_aware_utc() -> None:
    before = datetime.now(UTC)
    for moment in (utc_now(), SystemClock().now()):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
        assert before <= moment <= datetime.now(UTC)


def test_a_route_asks_the_wall_clock_when_the_app_keeps_none() -> None:
    before = datetime.now(UTC)
    assert before <= asked(make_app()) <= datetime.now(UTC)


def test_a_route_asks_the_clock_the_app_keeps() -> None:
    app = make_app()
    app.state.clock = ManualClock(START)
    assert asked(app) == START


def test_a_test_can_override_the_dependency() -> None:
    app = make_app()
    clock = ManualClock(START)

    def manual() -> Clock:
        return clock

    app.dependency_overrides[get_clock] = manual
    clock.advance(timedelta(hours=2))
    assert asked(app) == START + timedelta(hours=2)


def test_a_manual_clock_moves_only_when_told_and_keeps_utc() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=7))))
    assert clock.now() == START and clock.now().utcoffset() == timedelta(0)
    clock.set(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 1))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 3, 1))
