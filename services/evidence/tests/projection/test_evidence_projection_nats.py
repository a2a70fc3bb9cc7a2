"""Through real NATS: registry and access events in, a request made, its event published out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from devkit.testing.events import committed_schemas, envelope, last_on_stream, publish, wait_until
from evidence.db import metadata
from evidence.main import create_app
from evidence.settings import Settings
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment


def test_projected_events_over_nats_let_an_assigned_officer_request(
    database: Any, tokens: Any, nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = committed_schemas(tmp_path, ("registry", "access", "evidence"))
    monkeypatch.setattr("servicekit.events.runtime.default_contracts_dir", lambda: schemas)
    now = datetime.now(UTC).replace(microsecond=0)
    settings = Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=True,
        nats_url=nats_url,
        log_json=False,
    )
    app = create_app(settings, token_verifier=tokens.verifier(), watcher_enabled=False)
    metadata.create_all(app.state.engine)
    suffix = uuid.uuid4().hex[:8]
    epe_id, camera_id, unit = f"epe-{suffix}", f"cam-{suffix}", "CC-HQ-KCX-NATS"
    earlier = now - timedelta(days=60)
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
            "exemption_reason": "",
            "occurred_at": earlier.isoformat(),
        },
        earlier,
    )
    camera = envelope(
        "registry.camera.added.v1",
        {
            "camera_id": camera_id,
            "epe_id": epe_id,
            "unit": unit,
            "camera_number": "C01",
            "position_kind": "epe_gate",
            "must_be_online": True,
            "area_id": None,
            "area_code": None,
            "area_kind": None,
            "storage_kind": None,
            "vendor": None,
            "model": None,
            "reads_plates": True,
            "reads_container_numbers": False,
            "covers_whole_area": False,
            "probe_enabled": False,
            "occurred_at": earlier.isoformat(),
        },
        earlier,
    )
    assigned = envelope(
        "access.assignment.changed.v1",
        {
            "assignment_id": f"asg-{suffix}",
            "officer_id": "officer-an",
            "epe_id": epe_id,
            "unit": unit,
            "change": "assigned",
            "changed_by": "head-binh",
            "changed_at": (now - timedelta(days=1)).isoformat(),
        },
        now - timedelta(days=1),
    )
    officer = tokens.headers(subject="officer-an", roles=["supervisory_officer"], unit=unit)
    body = {
        "epe_id": epe_id,
        "cameras": [camera_id],
        "time_ranges": [
            {
                "start": (now - timedelta(days=2)).isoformat(),
                "end": (now - timedelta(days=1)).isoformat(),
            }
        ],
        "reason": "Đối chiếu",
    }

    def published() -> bool:
        with app.state.engine.connect() as conn:
            rows = conn.execute(
                select(TABLES.outbox.c.sent_at).where(
                    TABLES.outbox.c.type == "evidence.request.created.v1"
                )
            ).all()
        return len(rows) == 1 and rows[0].sent_at is not None

    with TestClient(app) as client:
        # the assignment and the camera before the EPE: producers' events come in any order
        asyncio.run(publish(nats_url, [assigned, camera, registered, registered]))
        assert wait_until(
            lambda: client.post("/requests", json=body, headers=officer).status_code == 201
        )
        assert wait_until(published), "the request was not published"
        [request] = client.get("/requests", headers=officer).json()["data"]
        message = asyncio.run(last_on_stream(nats_url, "evidence", "evidence.request.created.v1"))
        assert message["data"]["request_id"] == request["id"]
        assert message["data"]["unit"] == unit
    app.state.engine.dispose()
