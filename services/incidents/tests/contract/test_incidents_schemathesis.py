"""Schemathesis against the incidents API: no generated request may cause a server error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import schemathesis
from hypothesis import HealthCheck, settings
from sqlmodel import Session

from devkit.testing.contract import CONTRACT_EPE, CONTRACT_UNIT, callers, check_case, scratch_dir
from devkit.testing.tokens import TokenFactory
from incidents.db import metadata
from incidents.main import create_app
from incidents.settings import Settings
from servicekit.clock import ManualClock
from servicekit.events import CloudEvent
from servicekit.settings import Environment

_DIR = scratch_dir("incidents")
TOKENS = TokenFactory()
CLOCK = ManualClock(datetime(2025, 1, 20, 2, 0, tzinfo=UTC))
APP = create_app(
    Settings(
        environment=Environment.TEST,
        database_url=f"sqlite:///{_DIR / 'incidents.db'}",
        events_enabled=False,
        log_json=False,
    ),
    clock=CLOCK,
    token_verifier=TOKENS.verifier(),
    watcher_enabled=False,
)
metadata.create_all(APP.state.engine)


def _feed(event_type: str, data: dict[str, object]) -> None:
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/registry",
        type=event_type,
        time=CLOCK.now() - timedelta(days=1),
        data=data,
    )
    with Session(APP.state.engine) as session:
        APP.state.spec.subscriptions[event_type](event, session)
        session.commit()


_feed(
    "registry.epe.registered.v1",
    {
        "epe_id": CONTRACT_EPE,
        "name": "Công ty Kiểm thử",
        "address": "KCX Tân Thuận",
        "tax_code": "0301234567",
        "unit": CONTRACT_UNIT,
    },
)
for number in ("1", "2"):
    _feed(
        "registry.camera.added.v1",
        {
            "camera_id": f"cam-{number}",
            "epe_id": CONTRACT_EPE,
            "unit": CONTRACT_UNIT,
            "camera_number": number,
            "position_kind": "epe_gate",
            "must_be_online": True,
        },
    )

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
