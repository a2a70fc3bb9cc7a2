"""Schemathesis against the evidence API: no generated request may cause a server error."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from devkit.testing.contract import callers, check_case
from devkit.testing.tokens import TokenFactory
from evidence.db import metadata
from evidence.main import create_app
from evidence.settings import Settings
from servicekit.clock import ManualClock
from servicekit.settings import Environment

_DIR = Path(tempfile.mkdtemp(prefix="evidence-contract-"))
TOKENS = TokenFactory()
APP = create_app(
    Settings(
        environment=Environment.TEST,
        database_url=f"sqlite:///{_DIR / 'evidence.db'}",
        events_enabled=False,
        log_json=False,
    ),
    token_verifier=TOKENS.verifier(),
    watcher_enabled=False,
)
APP.state.clock = ManualClock(datetime(2025, 1, 20, 2, 0, tzinfo=UTC))
metadata.create_all(APP.state.engine)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CALLERS = callers(TOKENS)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    check_case(case, CALLERS)
