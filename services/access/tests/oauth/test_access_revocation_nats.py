"""Revocations reach the other services within seconds (real NATS, a private server): a token
revoked at access gets 401 at the registry, and still does after the registry restarts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc.jwk import KeySet

from devkit.testing.database import TestDatabase
from devkit.testing.nats import NatsServer
from devkit.testing.registry import registry_settings
from registry.main import create_app as create_registry_app
from registry.models import metadata as registry_metadata
from servicekit.auth import TokenVerifier

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
SPA = "camwatch-spa"


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[str]:
    server = NatsServer(tmp_path / "nats")
    yield server.start()
    server.stop()


@pytest.fixture
def clock(clock: Any) -> Any:
    """Each sign-in moves the access clock 30 s on (one TOTP step), but the registry checks
    `iat` against real time: start in the past so tokens are never issued in its future."""
    clock.advance(-150)
    return clock


@pytest.fixture
def access_settings(access_settings: Any, private_nats: str) -> Any:
    return access_settings.model_copy(update={"events_enabled": True, "nats_url": private_nats})


@pytest.fixture
def registry(
    tmp_path: Path, private_nats: str, client: TestClient, access_settings: Any
) -> Callable[[], FastAPI]:
    """A registry app (new process state each call) trusting the access service's keys."""
    issuer = access_settings.oidc_issuer
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    database = TestDatabase("sqlite", f"sqlite:///{tmp_path / 'registry.db'}")
    settings = registry_settings(
        database, events_enabled=True, nats_url=private_nats, oidc_issuer=issuer
    )

    def start() -> FastAPI:
        verifier = TokenVerifier(issuer=issuer, audience="camwatch", keys=keys)
        app = create_registry_app(settings, token_verifier=verifier)
        registry_metadata.create_all(app.state.engine)
        return app

    return start


def eventually_refused(registry: TestClient, headers: dict[str, str], within: float) -> float:
    """Seconds until the registry answers 401 (fails after `within`)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = registry.get("/epes", headers=headers)
        if response.status_code == 401:
            assert "revoked" in response.json()["detail"]
            return time.monotonic() - started
        assert response.status_code == 200, response.text
        time.sleep(0.1)
    raise AssertionError(f"the registry still accepts the token after {within} s")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_is_refused_by_the_registry_within_seconds(client, flows, registry):
    tokens = flows.officer_tokens("officer")
    headers = bearer(tokens["access_token"])
    other = bearer(flows.officer_tokens("head")["access_token"])
    app = registry()
    with TestClient(app) as registry_client:
        first = registry_client.get("/epes", headers=headers)
        assert first.status_code == 200, first.text
        revoked = client.post(
            "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": SPA}
        )
        assert revoked.status_code == 200
        assert eventually_refused(registry_client, headers, within=5.0) < 5.0
        assert registry_client.get("/epes", headers=other).status_code == 200
    app.state.engine.dispose()

    restarted = registry()
    with TestClient(restarted) as registry_client:  # replayed from JetStream at start-up
        assert registry_client.get("/epes", headers=headers).status_code == 401
        assert registry_client.get("/epes", headers=other).status_code == 200
    restarted.state.engine.dispose()


def test_a_deactivated_officers_tokens_are_refused(client, flows, world, registry):
    headers = bearer(flows.officer_tokens("officer")["access_token"])
    admin = flows.officer_headers("admin")
    app = registry()
    with TestClient(app) as registry_client:
        assert registry_client.get("/epes", headers=headers).status_code == 200
        response = client.post(
            f"/users/{world.user_id('officer')}/deactivate",
            json={"reason": "left the service"},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        eventually_refused(registry_client, headers, within=5.0)
        assert registry_client.get("/epes", headers=admin).status_code == 200
    app.state.engine.dispose()


def test_a_deactivated_clients_tokens_are_refused(client, flows, registry):
    headers = flows.client_headers("customs_system")
    admin = flows.officer_headers("admin")
    app = registry()
    with TestClient(app) as registry_client:
        assert registry_client.get("/epes", headers=headers).status_code == 200
        client_id = flows.world.accounts["customs_system"]["client_id"]
        response = client.post(
            f"/clients/{client_id}/deactivate", json={"reason": "contract ended"}, headers=admin
        )
        assert response.status_code == 200, response.text
        eventually_refused(registry_client, headers, within=5.0)
    app.state.engine.dispose()
