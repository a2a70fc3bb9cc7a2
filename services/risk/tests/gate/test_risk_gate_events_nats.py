"""Through real NATS: registry, access and incidents events in, a warning published out."""

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
from risk.db import metadata
from risk.main import create_app
from risk.settings import Settings
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment


def test_a_manual_gate_log_over_nats_raises_a_published_warning(
    database: Any, tokens: Any, nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = committed_schemas(tmp_path, ("registry", "incidents", "access", "risk"))
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
    app = create_app(settings, token_verifier=tokens.verifier(), sweeper_enabled=False)
    metadata.create_all(app.state.engine)
    suffix = uuid.uuid4().hex[:8]
    epe_id, unit = f"epe-{suffix}", "CC-HQ-KCX-NATS"
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
            "occurred_at": (now - timedelta(days=60)).isoformat(),
        },
        now - timedelta(days=60),
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
    logged = envelope(
        "incidents.gate_log.recorded.v1",
        {
            "entry_id": f"gl-{suffix}",
            "incident_id": f"inc-{suffix}",
            "epe_id": epe_id,
            "unit": unit,
            "plate": "51C-123.45",
            "container_numbers": [],
            "direction": "entry",
            "occurred_at": (now - timedelta(minutes=10)).isoformat(),
            "recorded_at": now.isoformat(),
        },
        now,
    )
    officer = tokens.headers(subject="officer-an", roles=["supervisory_officer"], unit=unit)

    def published() -> bool:
        with app.state.engine.connect() as conn:
            rows = conn.execute(
                select(TABLES.outbox.c.sent_at).where(
                    TABLES.outbox.c.type == "risk.warning.raised.v1"
                )
            ).all()
        return len(rows) == 1 and rows[0].sent_at is not None

    with TestClient(app) as client:
        # the gate log first: events of different producers arrive in any order
        asyncio.run(publish(nats_url, [logged, logged]))  # redelivered: one warning
        asyncio.run(publish(nats_url, [registered, assigned]))
        assert wait_until(lambda: len(client.get("/warnings", headers=officer).json()["data"]) == 1)
        assert wait_until(published), "the warning was not published"
        [warning] = client.get("/warnings", headers=officer).json()["data"]
        assert (warning["rule"], warning["epe_id"], warning["unit"]) == (
            "manual_traffic",
            epe_id,
            unit,
        )
        message = asyncio.run(last_on_stream(nats_url, "risk", "risk.warning.raised.v1"))
        assert message["data"]["warning_id"] == warning["id"]
    app.state.engine.dispose()
