"""Through real NATS: registry and access events in, a request made, its event published out."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from devkit import contracts
from evidence.db import metadata
from evidence.main import create_app
from evidence.settings import Settings
from servicekit.events import CloudEvent, EventBus, stream_name
from servicekit.events.bus import OutgoingMessage
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment


def _schemas_dir(tmp_path: Path) -> Path:
    """The committed event schemas of the producers evidence consumes, and of evidence itself."""
    target = tmp_path / "events"
    for service in ("registry", "access", "evidence"):
        (target / service).mkdir(parents=True)
        for path in (contracts.CONTRACTS_DIR / "events" / service).glob("*.json"):
            (target / service / path.name).write_text(path.read_text())
    return target


def _envelope(event_type: str, data: dict[str, Any], at: datetime) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"camwatch/{event_type.split('.')[0]}",
        type=event_type,
        subject=str(data.get("camera_id") or data["epe_id"]),
        time=at,
        data=data,
    )


async def _publish(nats_url: str, events: list[CloudEvent]) -> None:
    bus = EventBus(nats_url, name="evidence-test-producers")
    assert await bus.connect(within=10)
    try:
        for event in events:
            await bus.ensure_stream(event.type.split(".")[0])
            await bus.publish(OutgoingMessage(event.type, event.to_json().encode(), event.id))
    finally:
        await bus.close()


async def _last_on_stream(nats_url: str, subject: str) -> dict[str, Any]:
    bus = EventBus(nats_url, name="evidence-test-reader")
    assert await bus.connect(within=10)
    try:
        message = await bus.js.get_last_msg(stream_name("evidence"), subject)
        return dict(json.loads(message.data))
    finally:
        await bus.close()


def _wait(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_projected_events_over_nats_let_an_assigned_officer_request(
    database: Any, tokens: Any, nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = _schemas_dir(tmp_path)
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
    registered = _envelope(
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
    camera = _envelope(
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
    assigned = _envelope(
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
        asyncio.run(_publish(nats_url, [assigned, camera, registered, registered]))
        assert _wait(
            lambda: client.post("/requests", json=body, headers=officer).status_code == 201
        )
        assert _wait(published), "the request was not published"
        [request] = client.get("/requests", headers=officer).json()["data"]
        message = asyncio.run(_last_on_stream(nats_url, "evidence.request.created.v1"))
        assert message["data"]["request_id"] == request["id"]
        assert message["data"]["unit"] == unit
    app.state.engine.dispose()
