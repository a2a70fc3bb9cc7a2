"""Fixtures of the access tests: an app on a fresh database (SQLite and PostgreSQL), a clock
the tests move, the demo world (plus a second unit), and helpers that drive the real flows."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from access.authority import service as authority
from access.clients import service as clients
from access.clients.models import ClientKind
from access.context import AuditContext
from access.db import metadata
from access.main import create_app
from access.officers import service as officers
from access.runtime import Runtime
from access.seed import DEMO_UNIT, seed_demo
from access.settings import Settings
from access.signin import enrollment
from servicekit.auth import Role
from servicekit.db import make_engine

ISSUER = "http://127.0.0.1:8000/api/access"
SPA = "camwatch-spa"
REDIRECT = "http://127.0.0.1:8000/callback"
OTHER_UNIT = "HQ-KCX-TT"


class FakeClock:
    """Real time plus an offset the test moves forward (TOTP steps, expiry)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        """The kit's `Clock` protocol: what the service reads."""
        return datetime.now(UTC) + self.offset

    def __call__(self) -> datetime:
        return self.now()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def make_settings(database: Any, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "database_schema": database.schema,
        "events_enabled": False,
        "environment": "test",
        "master_key_file": tmp_path / "keys" / "master.json",
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "argon2_parallelism": 1,
        "oidc_issuer": ISSUER,
        "audit_hmac_key": "test-audit-hmac-key",
        "audit_anchor_enabled": False,
        "log_json": False,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def access_settings(database: Any, tmp_path: Path) -> Settings:
    return make_settings(database, tmp_path)


@pytest.fixture
def app(access_settings: Settings, clock: FakeClock) -> Iterator[FastAPI]:
    engine = make_engine(
        access_settings.resolved_database_url, schema=access_settings.database_schema
    )
    metadata.create_all(engine)
    application = create_app(access_settings, clock=clock, engine=engine)
    yield application
    engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class World:
    """The demo accounts, a second unit with its own head and EPE, and the app's runtime."""

    accounts: dict[str, dict[str, Any]]
    runtime: Runtime
    engine: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def user_id(self, name: str) -> str:
        return str(self.accounts[name]["user_id"])

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture
def world(app: FastAPI) -> World:
    runtime: Runtime = app.state.runtime
    engine = app.state.engine
    context = AuditContext.system("test-setup")
    with Session(engine, expire_on_commit=False) as session:
        accounts = seed_demo(session, runtime=runtime, context=context)
        now = runtime.clock.now()
        officers.ensure_unit(
            session, code=OTHER_UNIT, name="Chi cục Hải quan KCX Tân Thuận", now=now
        )
        other_head = enrollment.provision_officer(
            session,
            username="ho.thi.k",
            full_name="Hồ Thị K",
            unit=OTHER_UNIT,
            password="Other head password 1",
            totp_secret_value="MNQW253BORRWQLLPORUGK4RNNBSWCZBB",
            runtime=runtime,
            context=context,
            now=now,
        )
        authority.grant_directly(
            session,
            user=other_head,
            role=Role.HEAD_OF_SUBDEPARTMENT,
            approved_by="test",
            reason="test setup",
            context=context,
            now=now,
        )
        clients.create_client(
            session,
            client_id="epe-other-vendor",
            name="Other EPE vendor",
            kind=ClientKind.EPE_VENDOR,
            epe_id="EPE-OTHER-01",
            unit=OTHER_UNIT,
            runtime=runtime,
            context=context,
            now=now,
            secret="other-epe-secret-2024",
        )
        clients.create_client(
            session,
            client_id="introspector",
            name="A resource server",
            kind=ClientKind.RESOURCE_SERVER,
            epe_id=None,
            unit=None,
            runtime=runtime,
            context=context,
            now=now,
            secret="introspector-secret-2024",
        )
        session.commit()
        accounts["other_head"] = {
            "username": "ho.thi.k",
            "password": "Other head password 1",
            "totp_secret": "MNQW253BORRWQLLPORUGK4RNNBSWCZBB",
            "unit": OTHER_UNIT,
            "user_id": other_head.id,
        }
        accounts["other_epe"] = {
            "client_id": "epe-other-vendor",
            "client_secret": "other-epe-secret-2024",
            "epe_id": "EPE-OTHER-01",
            "unit": OTHER_UNIT,
        }
        accounts["introspector"] = {
            "client_id": "introspector",
            "client_secret": "introspector-secret-2024",
        }
    return World(accounts=accounts, runtime=runtime, engine=engine)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    return verifier, challenge


@dataclass
class Flows:
    """Drives the real HTTP flows: officer sign-in + PKCE, client credentials, step-up."""

    client: TestClient
    clock: FakeClock
    world: World

    @staticmethod
    def pkce() -> tuple[str, str]:
        return pkce_pair()

    def totp(self, name: str) -> str:
        """A fresh code for an account (moves the clock one TOTP step, as codes are one-use)."""
        self.clock.advance(30)
        return pyotp.TOTP(self.world.accounts[name]["totp_secret"]).at(self.clock())

    def signin(self, name: str) -> str:
        account = self.world.accounts[name]
        response = self.client.post(
            "/signin", json={"username": account["username"], "password": account["password"]}
        )
        assert response.status_code == 200, response.text
        transaction = response.json()["transaction"]
        response = self.client.post(
            "/signin/totp", json={"transaction": transaction, "code": self.totp(name)}
        )
        assert response.status_code == 200, response.text
        return str(transaction)

    def authorize(
        self,
        transaction: str,
        *,
        challenge: str,
        state: str | None = None,
        nonce: str | None = None,
    ) -> str:
        state = state or secrets.token_urlsafe(8)
        nonce = nonce or secrets.token_urlsafe(8)
        response = self.client.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": SPA,
                "redirect_uri": REDIRECT,
                "scope": "openid profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "signin": transaction,
            },
            follow_redirects=False,
        )
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["location"]).query)
        assert query["state"] == [state]
        assert "code" in query, response.headers["location"]
        return query["code"][0]

    def officer_tokens(self, name: str, *, nonce: str | None = None) -> dict[str, Any]:
        verifier, challenge = pkce_pair()
        code = self.authorize(self.signin(name), challenge=challenge, nonce=nonce)
        response = self.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": SPA,
                "code_verifier": verifier,
            },
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def officer_headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.officer_tokens(name)['access_token']}"}

    def client_token(self, name: str) -> str:
        account = self.world.accounts[name]
        response = self.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(account["client_id"], account["client_secret"]),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client_headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.client_token(name)}"}

    def step_up(self, name: str, headers: dict[str, str]) -> None:
        response = self.client.post("/step-up", json={"code": self.totp(name)}, headers=headers)
        assert response.status_code == 200, response.text


@pytest.fixture
def flows(client: TestClient, clock: FakeClock, world: World) -> Flows:
    return Flows(client=client, clock=clock, world=world)


__all__ = ["DEMO_UNIT", "ISSUER", "OTHER_UNIT", "REDIRECT", "SPA"]
