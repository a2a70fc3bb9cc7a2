"""Fixtures of the incidents tests: an app on a fresh database with a manual clock, the registry
projection fed through the real event handlers, and builders of notices."""

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

from incidents.db import metadata
from incidents.main import create_app
from incidents.settings import Settings
from servicekit.auth import Role
from servicekit.clock import ManualClock
from servicekit.events import CloudEvent
from servicekit.settings import Environment

UNIT = "CC-HQ-KCX-TANTHUAN"
OTHER_UNIT = "CC-HQ-KCX-LINHTRUNG"
START = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)  # Monday 20 January 2025, 09:00 in Vietnam


def registry_event(event_type: str, data: dict[str, Any], at: datetime) -> CloudEvent:
    """A registry event envelope as the consumer hands it to a handler."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/registry",
        type=event_type,
        subject=str(data.get("camera_id") or data.get("epe_id")),
        time=at,
        data=data,
    )


@dataclass
class Registry:
    """Feeds registry events to the app's own handlers, as the consumer would."""

    app: FastAPI
    clock: ManualClock

    def _handle(self, event: CloudEvent) -> None:
        handler = self.app.state.spec.subscriptions[event.type]
        with Session(self.app.state.engine) as session:
            handler(event, session)
            session.commit()

    def epe(self, epe_id: str, *, unit: str = UNIT, name: str | None = None) -> None:
        """registry.epe.registered.v1 for an EPE."""
        self._handle(
            registry_event(
                "registry.epe.registered.v1",
                {
                    "epe_id": epe_id,
                    "name": name or f"Công ty TNHH Ánh Dương {epe_id}",
                    "address": "Lô 12, KCX Tân Thuận, Quận 7, TP. Hồ Chí Minh",
                    "tax_code": "0301234567",
                    "unit": unit,
                    "status": "active",
                    "exemption_category": "I.1.3.b",
                    "exempt": False,
                    "exemption_reason": "",
                    "occurred_at": self.clock.now().isoformat(),
                    "some_future_field": {"ignored": True},
                },
                self.clock.now() - timedelta(days=30),
            )
        )

    def camera_data(
        self, camera_id: str, epe_id: str, *, position: str = "storage_area", online: bool = True
    ) -> dict[str, Any]:
        return {
            "camera_id": camera_id,
            "epe_id": epe_id,
            "unit": UNIT,
            "camera_number": camera_id.upper(),
            "position_kind": position,
            "must_be_online": online,
        }

    def camera(
        self, camera_id: str, epe_id: str, *, position: str = "storage_area", online: bool = True
    ) -> None:
        """registry.camera.added.v1."""
        data = self.camera_data(camera_id, epe_id, position=position, online=online)
        self._handle(
            registry_event(
                "registry.camera.added.v1",
                {**data, "area_id": None, "reads_plates": position == "epe_gate"},
                self.clock.now() - timedelta(days=30),
            )
        )

    def went_offline(
        self,
        camera_id: str,
        epe_id: str,
        *,
        at: datetime | None = None,
        must_be_online: bool = True,
    ) -> None:
        """registry.camera.went_offline.v1."""
        at = at or self.clock.now()
        self._handle(
            registry_event(
                "registry.camera.went_offline.v1",
                {
                    **self.camera_data(camera_id, epe_id, online=must_be_online),
                    "outage_id": str(uuid.uuid4()),
                    "cause": "no_heartbeat",
                    "started_at": at.isoformat(),
                    "detected_at": at.isoformat(),
                    "planned": False,
                    "maintenance_window_id": None,
                    "maintenance_ends_at": None,
                },
                at,
            )
        )

    def came_back(self, camera_id: str, epe_id: str, *, at: datetime | None = None) -> None:
        """registry.camera.came_back.v1."""
        at = at or self.clock.now()
        self._handle(
            registry_event(
                "registry.camera.came_back.v1",
                {
                    **self.camera_data(camera_id, epe_id),
                    "outage_id": str(uuid.uuid4()),
                    "cause": "no_heartbeat",
                    "started_at": (at - timedelta(minutes=30)).isoformat(),
                    "ended_at": at.isoformat(),
                    "duration_seconds": 1800.0,
                    "planned": False,
                },
                at,
            )
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database: Any) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=False,
        log_json=False,
    )


@pytest.fixture
def app(settings: Settings, tokens: Any, clock: ManualClock) -> FastAPI:
    application = create_app(
        settings, clock=clock, token_verifier=tokens.verifier(), watcher_enabled=False
    )
    metadata.create_all(application.state.engine)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def registry(app: FastAPI, clock: ManualClock) -> Registry:
    feed = Registry(app, clock)
    feed.epe("epe-1")
    feed.camera("cam-1", "epe-1")
    feed.camera("cam-2", "epe-1")
    feed.camera("gate-1", "epe-1", position="epe_gate")
    feed.epe("epe-2", unit=OTHER_UNIT)
    feed.camera("cam-9", "epe-2")
    return feed


@pytest.fixture
def epe_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(
        subject="vendor-epe-1", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-1"
    )


@pytest.fixture
def officer_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="officer-an", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)


@pytest.fixture
def head_headers(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT)


def notice_body(**changes: Any) -> dict[str, Any]:
    """A complete Appendix II form for epe-1 (camera equipment, cam-1)."""
    body: dict[str, Any] = {
        "epe_id": "epe-1",
        "kind": "camera_equipment",
        "camera_ids": ["cam-1"],
        "description": "Camera số CAM-1 ở kho nguyên liệu mất tín hiệu do hỏng nguồn",
        "effects": "Không quan sát được kho nguyên liệu",
        "estimated_restoration_at": "2025-01-24T17:00:00+07:00",
        "technician": {"name": "Nguyễn Văn Hùng", "phone": "+84 912 345 678"},
        "place": "TP. Hồ Chí Minh",
        "signatory_name": "Trần Thị Mai",
        "document_number": "01/2025/TB-AD",
    }
    body.update(changes)
    return body


@pytest.fixture
def notice() -> Any:
    return notice_body


@pytest.fixture
def file_notice(client: TestClient, epe_headers: dict[str, str]) -> Any:
    """POST a notice with a fresh idempotency key; returns the response."""

    def _file(body: dict[str, Any] | None = None, key: str | None = None) -> Any:
        headers = {**epe_headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return client.post("/notices", json=body or notice_body(), headers=headers)

    return _file
