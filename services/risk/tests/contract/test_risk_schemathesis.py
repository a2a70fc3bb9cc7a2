"""Schemathesis against the risk API: no generated request may cause a server error."""

from __future__ import annotations

from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, settings

from devkit.testing.contract import callers, check_case, scratch_dir
from devkit.testing.tokens import TokenFactory
from risk.db import metadata
from risk.main import create_app
from risk.settings import Settings
from servicekit.clock import ManualClock
from servicekit.settings import Environment

_DIR = scratch_dir("risk")
TOKENS = TokenFactory()
APP = create_app(
    Settings(
        environment=Environment.TEST,
        database_url=f"sqlite:///{_DIR / 'risk.db'}",
        events_enabled=False,
        log_json=False,
    ),
    token_verifier=TOKENS.verifier(),
    sweeper_enabled=False,
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
