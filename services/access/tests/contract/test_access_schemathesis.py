"""Schemathesis against the access API: no generated request may cause a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from sqlmodel import Session

from access.context import AuditContext
from access.db import metadata
from access.main import create_app
from access.seed import seed_demo
from access.settings import Settings
from devkit.testing.contract import callers, check_case, scratch_dir
from devkit.testing.tokens import TokenFactory
from servicekit.auth import Role
from servicekit.settings import Environment

_DIR = scratch_dir("access")
TOKENS = TokenFactory()
APP = create_app(
    Settings(
        environment=Environment.TEST,
        database_url=f"sqlite:///{_DIR / 'access.db'}",
        master_key_file=_DIR / "keys.json",
        events_enabled=False,
        audit_anchor_enabled=False,
        log_json=False,
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        argon2_parallelism=1,
    ),
    token_verifier=TOKENS.verifier(),
)
metadata.create_all(APP.state.engine)
with Session(APP.state.engine, expire_on_commit=False) as _session:
    _accounts = seed_demo(
        _session, runtime=APP.state.runtime, context=AuditContext.system("contract")
    )
    _session.commit()

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CALLERS = [
    *callers(TOKENS),
    # the demo world's own people and clients, so deeper paths are reached too
    TOKENS.headers(
        subject=_accounts["officer"]["user_id"], roles=[Role.SUPERVISORY_OFFICER], unit="HQ-KCX-BN"
    ),
    TOKENS.headers(
        subject=_accounts["head"]["user_id"],
        roles=[Role.HEAD_OF_SUBDEPARTMENT, Role.USER_ADMINISTRATOR, Role.AUDITOR],
        unit="HQ-KCX-BN",
    ),
    TOKENS.headers(
        subject=_accounts["it_operator"]["user_id"], roles=[Role.IT_OPERATOR], unit="HQ-KCX-BN"
    ),
    TOKENS.headers(
        subject="epe-demo-01-vendor",
        client_id="epe-demo-01-vendor",
        roles=[Role.EPE_CLIENT],
        unit="HQ-KCX-BN",
        epe_id="EPE-DEMO-01",
    ),
]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    check_case(case, CALLERS)
