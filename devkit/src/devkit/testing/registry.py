"""Test support for the registry (used by its tests and benchmarks): settings on a test
database, tokens per kind of caller, builders of a small EPE site, and outbox readers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from devkit.testing.tokens import TokenFactory
from registry.settings import Settings
from servicekit.auth import Role
from servicekit.events import CloudEvent, EventPayload
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment

UNIT = "CC-KCX-TANTHUAN"
OTHER_UNIT = "CC-KCX-LINHTRUNG"
EPE_ID = "epe-anhduong"
TAX_CODE = "0100109106"


def registry_settings(database: Any, **changes: Any) -> Settings:
    """Settings for a test app on the fixture database, without NATS or background tasks."""
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "database_url": database.url,
        "database_schema": database.schema,
        "events_enabled": False,
        "log_json": False,
        "prober_enabled": False,
        "detector_enabled": False,
    }
    values.update(changes)
    return Settings(**values)


@dataclass
class Callers:
    """Authorization headers for each kind of caller."""

    tokens: TokenFactory

    def epe(self, epe_id: str = EPE_ID, unit: str | None = UNIT) -> dict[str, str]:
        return self.tokens.headers(
            subject=f"vendor-{epe_id}",
            roles=[Role.EPE_CLIENT],
            unit=unit,
            epe_id=epe_id,
            client_id=f"client-{epe_id}",
        )

    def officer(self, unit: str = UNIT, subject: str = "officer-an") -> dict[str, str]:
        return self.tokens.headers(subject=subject, roles=[Role.SUPERVISORY_OFFICER], unit=unit)

    def head(self, unit: str = UNIT) -> dict[str, str]:
        return self.tokens.headers(
            subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=unit
        )

    def auditor(self, unit: str = UNIT) -> dict[str, str]:
        return self.tokens.headers(subject="auditor-chi", roles=[Role.AUDITOR], unit=unit)

    def system(self) -> dict[str, str]:
        return self.tokens.headers(subject="vnaccs", roles=[Role.CUSTOMS_SYSTEM], unit=None)


def epe_body(**changes: Any) -> dict[str, Any]:
    """A complete registration of an EPE established after the Decision (I.1.3.b)."""
    body: dict[str, Any] = {
        "name": "Công ty TNHH Ánh Dương",
        "address": "Lô 12, KCX Tân Thuận, Quận 7, TP. Hồ Chí Minh",
        "tax_code": TAX_CODE,
        "unit": UNIT,
        "contacts": [{"name": "Nguyễn Văn Hùng", "role": "IT", "phone": "0912 345 678"}],
        "investment_certificate_date": "2023-05-10",
        "cameras_operating_at_effective_date": False,
    }
    body.update(changes)
    return body


GOOD_SPECS: dict[str, Any] = {
    "sensor_format": '1/2.8"',
    "sensor_technology": "CMOS",
    "day_night": True,
    "resolution": "1920x1080",
    "white_balance": True,
    "compression": ["H.265", "H.264"],
    "focal_length_min_mm": 2.8,
    "focal_length_max_mm": 12,
    "panning_angle_deg": 100,
    "frame_rate_fps": 30,
    "network_protocols": ["IPv4", "HTTP"],
    "hlc_db": 150,
    "ingress_protection": ["IP67"],
    "max_operating_temperature_c": 60,
    "low_light_color_lux": 0.02,
    "low_light_ir_lux": 0,
    "onvif": True,
    "safety_standards": ["EN 60950-1"],
}


@dataclass
class Site:
    """An EPE with one gate, one storage area and its gate, and a camera at each."""

    epe_id: str
    gate: dict[str, Any]
    store: dict[str, Any]
    store_gate: dict[str, Any]
    cameras: dict[str, dict[str, Any]]


def build_site(
    client: TestClient,
    callers: Callers,
    epe_id: str = EPE_ID,
    *,
    tax_code: str = TAX_CODE,
    unit: str = UNIT,
) -> Site:
    """Register an EPE (as itself) and declare a small, complete camera system."""
    vendor = callers.epe(epe_id, unit)
    r = client.post("/epes", json=epe_body(tax_code=tax_code, unit=unit), headers=vendor)
    assert r.status_code == 201, r.text

    def area(**body: Any) -> dict[str, Any]:
        resp = client.post(f"/epes/{epe_id}/areas", json=body, headers=vendor)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    gate = area(code="G1", name="Cổng chính", kind="epe_gate")
    store = area(code="K1", name="Kho nguyên liệu", kind="storage_area", storage_kind="materials")
    store_gate = area(
        code="K1-C",
        name="Cửa kho nguyên liệu",
        kind="storage_area_gate",
        parent_area_id=store["id"],
    )

    def camera(number: str, position: str, area_id: str, **caps: bool) -> dict[str, Any]:
        resp = client.post(
            f"/epes/{epe_id}/cameras",
            json={
                "number": number,
                "position_kind": position,
                "area_id": area_id,
                "vendor": "Hikvision",
                "model": "DS-2CD2T47G2",
                "stream_url": f"rtsp://10.0.0.{len(number)}:554/Streaming/Channels/101",
                "specs": GOOD_SPECS,
                "capabilities": caps,
            },
            headers=vendor,
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    cameras = {
        "C01": camera(
            "C01", "epe_gate", gate["id"], reads_plates=True, reads_container_numbers=True
        ),
        "C02": camera("C02", "storage_area", store["id"], covers_whole_area=True),
        "C03": camera("C03", "storage_area_gate", store_gate["id"]),
    }
    return Site(epe_id, gate, store, store_gate, cameras)


def outbox(app: FastAPI, event_type: str | None = None) -> list[dict[str, Any]]:
    """CloudEvents recorded in the outbox (optionally of one type), oldest first."""
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope).order_by(TABLES.outbox.c.created_at)
        ).all()
    events = [json.loads(r.envelope) for r in rows]
    return [e for e in events if event_type is None or e["type"] == event_type]


def validate_payloads(app: FastAPI) -> int:
    """Every outbox event's data validates against the JSON schema of its payload model."""
    import jsonschema

    checked = 0
    for event in outbox(app):
        model = EventPayload.payload_class(event["type"])
        jsonschema.validate(event["data"], model.model_json_schema())
        checked += 1
    return checked


def assign(
    app: FastAPI,
    *,
    officer: str,
    epe_id: str = EPE_ID,
    unit: str = UNIT,
    change: str = "assigned",
    assignment_id: str = "asg-1",
    at: datetime | None = None,
) -> None:
    """Feed an `access.assignment.changed.v1` event to the app's own handler."""
    at = at or datetime.now(UTC)
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/access",
        type="access.assignment.changed.v1",
        subject=epe_id,
        time=at,
        data={
            "assignment_id": assignment_id,
            "officer_id": officer,
            "epe_id": epe_id,
            "unit": unit,
            "change": change,
            "changed_by": "head-binh",
            "changed_at": at.isoformat(),
        },
    )
    with Session(app.state.engine) as session:
        app.state.spec.subscriptions[event.type](event, session)
        session.commit()
