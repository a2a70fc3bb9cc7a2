"""Through real NATS: incidents' events in, the EPE rescored, its band change published out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devkit.testing.events import committed_schemas, envelope, last_on_stream, publish, wait_until
from risk.db import metadata
from risk.main import create_app
from risk.settings import Settings
from servicekit.settings import Environment


def test_incidents_over_nats_raise_the_level_and_publish_the_change(
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
        score_debounce_seconds=0.2,
        score_tick_seconds=0.2,
    )
    app = create_app(
        settings, token_verifier=tokens.verifier(), sweeper_enabled=False, scheduler_enabled=True
    )
    metadata.create_all(app.state.engine)
    suffix = uuid.uuid4().hex[:8]
    epe_id, unit, incident = f"epe-{suffix}", "CC-HQ-KCX-NATS", f"inc-{suffix}"
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
    common = {
        "incident_id": incident,
        "epe_id": epe_id,
        "unit": unit,
        "kind": "transmission_channel",
        "camera_ids": [],
    }
    deadline = (now - timedelta(days=2)).isoformat()
    filed = envelope(
        "incidents.notice.filed.v1",
        {
            **common,
            "notice_id": f"ntc-{suffix}",
            "filed_at": (now - timedelta(days=6)).isoformat(),
            "estimated_restoration_at": deadline,
            "deadline_at": deadline,
            "linked_to_detected": False,
            "previous_incident_id": None,
        },
        now - timedelta(days=6),
    )
    overdue = envelope(
        "incidents.incident.went_overdue.v1",
        {**common, "deadline_date": deadline[:10], "deadline_at": deadline},
        now - timedelta(days=1),
    )
    missed = envelope(
        "incidents.extension.missed.v1",
        {**common, "deadline_at": deadline, "extension_due_at": now.isoformat()},
        now,
    )
    customs = tokens.headers(
        subject="vnaccs", roles=["customs_system"], unit=None, client_id="vnaccs"
    )

    def level() -> dict[str, Any]:
        answer = client.get(f"/risk-levels/{epe_id}", headers=customs)
        return dict(answer.json()) if answer.status_code == 200 else {}

    with TestClient(app) as client:
        asyncio.run(publish(nats_url, [registered, filed, overdue, missed, missed]))
        # 9 (no inspection in 90 days) + 2 opened + 8 overdue + 10 without notice of reasons
        assert wait_until(lambda: level().get("score") == 29.0), level()
        assert level()["band"] == "yellow"

        def published() -> bool:
            try:
                message = asyncio.run(last_on_stream(nats_url, "risk", "risk.level.changed.v1"))
            except Exception:  # nothing on the stream yet: the relay publishes after commit
                return False
            return bool(message["data"]["to_band"] == "yellow")

        assert wait_until(published), "the band change was not published"
        changes = client.get("/risk-levels/changes", headers=customs).json()["data"]
        assert changes[-1]["to_band"] == "yellow" and changes[-1]["epe_id"] == epe_id
    app.state.engine.dispose()
