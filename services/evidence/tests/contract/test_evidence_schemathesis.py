"""Schemathesis against the evidence API with object storage reachable: no generated request may
cause a server error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from devkit.testing.contract import callers, check_case, scratch_dir
from devkit.testing.tokens import TokenFactory
from evidence.db import metadata
from evidence.main import create_app
from evidence.settings import Settings
from evidence.storage import EvidenceStore
from servicekit.chain import AnchorStore
from servicekit.clock import ManualClock
from servicekit.objectstore import s3_client
from servicekit.settings import Environment

_DIR = scratch_dir("evidence")
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


def _use_s3(s3: Any) -> None:
    """Point the stores at the session's S3 server (once)."""
    if getattr(APP.state, "contract_s3", None) == s3.endpoint:
        return
    settings = APP.state.settings.model_copy(
        update={
            "s3_endpoint": s3.endpoint,
            "s3_access_key": s3.access_key,
            "s3_secret_key": SecretStr(s3.secret_key),
            "evidence_bucket": "evidence-contract",
        }
    )
    retention = timedelta(days=settings.retention_days)
    APP.state.settings = settings
    APP.state.evidence_store = EvidenceStore(
        s3_client(settings), settings.evidence_bucket, retention=retention
    )
    APP.state.anchor_store = AnchorStore(
        s3_client(settings), settings.evidence_bucket, retention=retention
    )
    APP.state.contract_s3 = s3.endpoint


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case, s3: Any) -> None:
    _use_s3(s3)
    check_case(case, CALLERS)
