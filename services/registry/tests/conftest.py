"""Fixtures of the registry tests: an app on a fresh database (SQLite and PostgreSQL) and
tokens for each kind of caller. Builders and outbox readers live in `devkit.testing.registry`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devkit.testing.registry import Callers, registry_settings
from registry.main import create_app
from registry.models import metadata
from registry.settings import Settings


@pytest.fixture
def settings(database: Any) -> Settings:
    return registry_settings(database)


@pytest.fixture
def app(settings: Settings, tokens: Any) -> Iterator[FastAPI]:
    application = create_app(settings, token_verifier=tokens.verifier())
    metadata.create_all(application.state.engine)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def callers(tokens: Any) -> Callers:
    return Callers(tokens)
