"""Fixtures of the risk tests: an app on a fresh database with a manual clock, and callers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from risk.db import metadata
from risk.main import create_app
from risk.settings import Settings
from servicekit.auth import Role
from servicekit.clock import ManualClock
from servicekit.settings import Environment

UNIT = "CC-HQ-KCX-TANTHUAN"
START = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)  # Monday 20 January 2025, 09:00 in Vietnam


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database: Any) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=False,
        log_json=False,
    )


@pytest.fixture
def app(settings: Settings, tokens: Any, clock: ManualClock) -> FastAPI:
    application = create_app(settings, token_verifier=tokens.verifier())
    application.state.clock = clock
    metadata.create_all(application.state.engine)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def customs_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(
        subject="vnaccs-gateway", roles=[Role.CUSTOMS_SYSTEM], unit=None, client_id="vnaccs"
    )


@pytest.fixture
def epe_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(
        subject="vendor-epe-1", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-1"
    )


@pytest.fixture
def officer_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="officer-an", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)
