"""The signing key exists from start-up: published before any token, one key however many
replicas start at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from access.db import metadata
from access.keys.models import SigningKey
from access.main import create_app
from servicekit.db import make_engine


def test_fresh_app_publishes_a_key_before_any_token(client):
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["alg"] == "ES256" and keys[0]["kid"]


def test_the_first_token_is_signed_with_the_published_key(client, flows):
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    flows.client_token("customs_system")
    assert {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]} == published


def test_concurrent_start_ups_create_one_key(access_settings, clock):
    engine = make_engine(
        access_settings.resolved_database_url, schema=access_settings.database_schema
    )
    metadata.create_all(engine)
    replicas = 4
    barrier = threading.Barrier(replicas)
    errors: list[BaseException] = []

    def start() -> None:
        app = create_app(access_settings, clock=clock)
        try:
            barrier.wait()
            with TestClient(app):
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            app.state.engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(SigningKey)).one() == 1
    engine.dispose()
