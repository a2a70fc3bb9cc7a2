"""Pytest fixtures for every test in the repository: real databases, NATS, S3 and tokens.

Loaded by the root conftest.py. External servers honour NATS_URL / S3_ENDPOINT when set, and
otherwise run privately on free ports so tests never touch a developer's own servers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.testing.database import (
    DEFAULT_POSTGRES_URL,
    TestDatabase,
    postgres_database,
    postgres_unreachable_reason,
    sqlite_database,
)
from devkit.testing.s3 import S3Endpoint, SeaweedS3
from devkit.testing.stack import Stack, StackError
from devkit.testing.tokens import TokenFactory

_postgres_reason: dict[str, str | None] = {}


def _postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _postgres_skip_reason() -> str | None:
    url = _postgres_url()
    if url not in _postgres_reason:
        _postgres_reason[url] = postgres_unreachable_reason(url)
    return _postgres_reason[url]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh, empty database: once on SQLite and once on PostgreSQL (skipped if absent)."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path) as db:
            yield db
        return
    reason = _postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    with postgres_database(_postgres_url()) as db:
        yield db


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server with JetStream: NATS_URL if given, else a private one on a free port."""
    if url := os.environ.get("NATS_URL"):
        yield url
        return
    from devkit.testing.nats import NatsServer

    server = NatsServer(tmp_path_factory.mktemp("nats"))
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """An S3 API: S3_ENDPOINT (+ S3_ACCESS_KEY / S3_SECRET_KEY) if given, else SeaweedFS."""
    if endpoint := os.environ.get("S3_ENDPOINT"):
        yield S3Endpoint(
            endpoint,
            os.environ.get("S3_ACCESS_KEY", ""),
            os.environ.get("S3_SECRET_KEY", ""),
            os.environ.get("S3_SECURE", "false").lower() == "true",
        )
        return
    server = SeaweedS3(tmp_path_factory.mktemp("s3"))
    yield server.start()
    server.stop()


@pytest.fixture
def tokens() -> TokenFactory:
    """Mints access tokens; pass `tokens.verifier()` to create_app."""
    return TokenFactory()


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """Extra environment for every process of the `stack` (none by default); a conftest.py
    overrides it, e.g. to shorten the registry's fault grace for end-to-end tests."""
    return {}


@pytest.fixture(scope="session")
def stack(
    s3: S3Endpoint, stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The five services and the gateway as real processes (see devkit.testing.stack).

    `stack.url` is the gateway, `stack.demo` the accounts the demo seed printed. A service
    that fails to start fails every test using the fixture, quoting the tail of its log.
    Unless NATS_URL is set, the stack gets a NATS server of its own rather than `nats_url`:
    its services' durable consumers have the names service tests use on the session's
    server, and must not take those tests' messages (or leave theirs behind).
    """
    from devkit.testing.nats import NatsServer

    nats: NatsServer | None = None
    nats_url = os.environ.get("NATS_URL")
    if not nats_url:
        nats = NatsServer(tmp_path_factory.mktemp("stack-nats"))
        nats_url = nats.start()
    # A loaded machine (several suites sharing two cores) may need longer than the default.
    startup = float(os.environ.get("CAMWATCH_STACK_STARTUP_TIMEOUT", "180"))
    running = Stack(
        tmp_path_factory.mktemp("stack"),
        nats_url=nats_url,
        s3=s3,
        extra_env=stack_env,
        startup_timeout=startup,
    )
    try:
        try:
            running.start()
        except StackError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield running
    finally:
        running.stop()
        if nats is not None:
            nats.stop()
