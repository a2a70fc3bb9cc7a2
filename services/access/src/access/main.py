"""Composition root of the access service: identity, authority codes, vault, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from access import api
from access.audit import service as audit
from access.audit.anchoring import anchor_task
from access.crypto.keyring import MasterKeyProvider
from access.db import metadata
from access.events import PUBLISHES
from access.keys.service import ensure_signing_key
from access.logdigest.timer import digest_task
from access.oauth.maintenance import purge_task
from access.oauth.verifier import LocalTokenVerifier
from access.runtime import build_runtime
from access.settings import Settings
from access.subscriptions import subscriptions
from servicekit.app import ServiceSpec, create_service_app
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """Identity and access for camwatch (Decision 247/QD-TCHQ, seed 2 section 4).

* OAuth 2 / OpenID Connect authorization server: authorization code + PKCE for the officer SPA
  (after a password + TOTP sign-in), client credentials for customs systems and EPE vendor
  software, rotating refresh tokens with reuse detection, revocation and introspection.
* Authority codes prepared by user administrators and approved by the unit head; separation
  of duties; assignments of officers to EPEs.
* The credential vault for the camera-system accounts EPEs hand to customs: write-only for
  EPEs, revealed to assigned officers through single-use handles after a step-up.
* A keyed (HMAC) hash-chained, append-only audit log, anchored hourly in Object-Locked S3.
* Operations notices (planned maintenance, breakdowns) and the daily log digest.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    key_provider: MasterKeyProvider | None = None,
    engine: Engine | None = None,
    token_verifier: TokenVerifier | None = None,
    **overrides: Any,
) -> FastAPI:
    """Build the access API (tests may pass a clock, a keyring, an engine or a verifier)."""
    settings = settings or Settings()
    runtime = build_runtime(settings, clock=clock, provider=key_provider)
    engine = engine or make_engine(settings.resolved_database_url, schema=settings.database_schema)
    spec = ServiceSpec(
        title="camwatch access",
        description=DESCRIPTION,
        settings=settings,
        metadata=metadata,
        routers=api.routers,
        public_routers=api.public_routers,
        publishes=PUBLISHES,
        subscriptions=subscriptions(clock=runtime.clock),
        background=[purge_task, anchor_task, digest_task],
        startup=[lambda app: ensure_signing_key(app.state.engine, runtime=runtime)],
    )
    app = create_service_app(
        spec,
        engine=engine,
        token_verifier=token_verifier or LocalTokenVerifier(engine=engine, runtime=runtime),
        **overrides,
    )
    app.state.runtime = runtime
    app.state.clock = runtime.clock
    audit.bind_key(engine, runtime.chain_key)
    return app
