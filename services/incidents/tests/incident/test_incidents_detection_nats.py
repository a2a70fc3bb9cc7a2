"""The detected-incident flow through real NATS: registry events in, the notice request out."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from devkit.testing.events import committed_schemas, envelope, last_on_stream, publish, wait_until
from incidents.db import metadata
from incidents.incident.models import Incident
from incidents.main import create_app
from incidents.settings import Settings
from servicekit.clock import ManualClock
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment


def test_detected_incident_from_registry_events_over_nats(
    database, tokens, nats_url, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = committed_schemas(tmp_path, ("registry", "incidents"))
    monkeypatch.setattr("servicekit.events.runtime.default_contracts_dir", lambda: schemas)
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    settings = Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=True,
        nats_url=nats_url,
        log_json=False,
    )
    app = create_app(settings, clock=clock, token_verifier=tokens.verifier(), watcher_enabled=False)
    metadata.create_all(app.state.engine)
    suffix = uuid.uuid4().hex[:8]
    epe_id, camera_id, unit = f"epe-{suffix}", f"cam-{suffix}", "CC-HQ-KCX-NATS"
    camera = {
        "camera_id": camera_id,
        "epe_id": epe_id,
        "unit": unit,
        "camera_number": "C-07",
        "position_kind": "epe_gate",
        "must_be_online": True,
    }
    registered = envelope(
        "registry.epe.registered.v1",
        {
            "epe_id": epe_id,
            "name": "Công ty TNHH Điện tử Sông Hàn",
            "address": "KCX Linh Trung, TP. Thủ Đức",
            "tax_code": "0312345678",
            "unit": unit,
            "status": "active",
            "exemption_category": "I.1.3.b",
            "exempt": False,
            "exemption_reason": "certificate after 2022-03-02",
            "occurred_at": (now - timedelta(days=60)).isoformat(),
        },
        now - timedelta(days=60),
    )
    added = envelope(
        "registry.camera.added.v1",
        {
            **camera,
            "area_id": None,
            "area_code": None,
            "area_kind": None,
            "storage_kind": None,
            "vendor": "Hikvision",
            "model": "DS-2CD2T47G2",
            "reads_plates": True,
            "reads_container_numbers": True,
            "covers_whole_area": True,
            "probe_enabled": True,
            "occurred_at": (now - timedelta(days=59)).isoformat(),
        },
        now - timedelta(days=59),
    )
    offline_at = now - timedelta(minutes=5)
    went_offline = envelope(
        "registry.camera.went_offline.v1",
        {
            **camera,
            "outage_id": str(uuid.uuid4()),
            "cause": "no_heartbeat",
            "started_at": offline_at.isoformat(),
            "detected_at": now.isoformat(),
            "planned": False,
            "maintenance_window_id": None,
            "maintenance_ends_at": None,
        },
        now,
    )

    def detected() -> list[Incident]:
        with Session(app.state.engine) as session:
            return list(session.exec(select(Incident).where(Incident.epe_id == epe_id)).scalars())

    def published() -> bool:
        with app.state.engine.connect() as conn:
            rows = conn.execute(
                select(TABLES.outbox.c.sent_at).where(
                    TABLES.outbox.c.type == "incidents.notice.requested.v1"
                )
            ).all()
        return len(rows) == 1 and rows[0].sent_at is not None

    with TestClient(app):
        # Published in order, as the registry's relay would.
        asyncio.run(publish(nats_url, [registered, added]))
        asyncio.run(publish(nats_url, [went_offline]))
        assert wait_until(lambda: len(detected()) == 1), "no detected incident was opened"
        assert wait_until(published), "the notice request was not published"
        # A redelivery (same id) and a second outage report open nothing more.
        again = went_offline.model_copy(update={"id": str(uuid.uuid4())})
        asyncio.run(publish(nats_url, [went_offline, again]))
        time.sleep(1.5)
        incidents = detected()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident.state == "detected"
        assert incident.opened_at == offline_at
        requested = asyncio.run(
            last_on_stream(nats_url, "incidents", "incidents.notice.requested.v1")
        )
        assert requested["type"] == "incidents.notice.requested.v1"
        assert requested["data"]["incident_id"] == incident.id
        assert requested["data"]["epe_id"] == epe_id
        assert requested["data"]["unit"] == unit
        assert requested["data"]["camera_ids"] == [camera_id]
    app.state.engine.dispose()
