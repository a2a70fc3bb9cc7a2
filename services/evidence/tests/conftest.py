"""Fixtures of the evidence tests: an app on a fresh database with a manual clock, and callers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from evidence.db import metadata
from evidence.main import create_app
from evidence.settings import Settings
from servicekit.auth import Role
from servicekit.clock import ManualClock
from servicekit.events import CloudEvent
from servicekit.settings import Environment

UNIT = "CC-HQ-KCX-TANTHUAN"
OTHER_UNIT = "CC-HQ-KCX-LINHTRUNG"
START = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)  # Monday 20 January 2025, 09:00 in Vietnam


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database: Any, s3: Any) -> Settings:
    """A fresh database and a bucket of its own on the session's S3 server (anchors included)."""
    return Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=False,
        log_json=False,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        evidence_bucket=f"evidence-{uuid.uuid4().hex[:12]}",
        upload_part_bytes=5 * 1024 * 1024,  # the S3 minimum, so a test file spans several
        upload_min_part_bytes=5 * 1024 * 1024,
    )


@pytest.fixture
def app(settings: Settings, tokens: Any, clock: ManualClock) -> FastAPI:
    application = create_app(settings, token_verifier=tokens.verifier(), watcher_enabled=False)
    application.state.clock = clock
    metadata.create_all(application.state.engine)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


def event(event_type: str, data: dict[str, Any], at: datetime) -> CloudEvent:
    """An event envelope as the consumer hands it to a handler."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"camwatch/{event_type.split('.')[0]}",
        type=event_type,
        subject=str(data.get("camera_id") or data.get("epe_id")),
        time=at,
        data=data,
    )


@dataclass
class Feed:
    """Feeds registry and access events to the app's own handlers, as the consumer would."""

    app: FastAPI
    clock: ManualClock

    def handle(self, event_type: str, data: dict[str, Any], at: datetime | None = None) -> None:
        handler = self.app.state.spec.subscriptions[event_type]
        with Session(self.app.state.engine) as session:
            handler(event(event_type, data, at or self.clock.now()), session)
            session.commit()

    def epe(self, epe_id: str, *, unit: str = UNIT) -> None:
        self.handle(
            "registry.epe.registered.v1",
            {"epe_id": epe_id, "unit": unit, "name": epe_id, "extra": 1},
            self.clock.now() - timedelta(days=30),
        )

    def camera(self, camera_id: str, epe_id: str, *, unit: str = UNIT) -> None:
        self.handle(
            "registry.camera.added.v1",
            {"camera_id": camera_id, "epe_id": epe_id, "unit": unit},
            self.clock.now() - timedelta(days=30),
        )

    def assign(self, officer: str, epe_id: str, *, change: str = "assigned") -> None:
        self.handle(
            "access.assignment.changed.v1",
            {
                "assignment_id": f"asg-{officer}-{epe_id}",
                "officer_id": officer,
                "epe_id": epe_id,
                "unit": UNIT,
                "change": change,
                "changed_by": "head-binh",
                "changed_at": self.clock.now().isoformat(),
            },
        )


@pytest.fixture
def feed(app: FastAPI, clock: ManualClock) -> Feed:
    """epe-1 (cam-1, cam-2) in UNIT with officer-an assigned; epe-2 (cam-9) in OTHER_UNIT."""
    registry = Feed(app, clock)
    registry.epe("epe-1")
    registry.camera("cam-1", "epe-1")
    registry.camera("cam-2", "epe-1")
    registry.epe("epe-2", unit=OTHER_UNIT)
    registry.camera("cam-9", "epe-2", unit=OTHER_UNIT)
    registry.assign("officer-an", "epe-1")
    return registry


@pytest.fixture
def officer_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="officer-an", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)


@pytest.fixture
def head_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT)


@pytest.fixture
def epe_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(
        subject="vendor-epe-1", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-1"
    )
