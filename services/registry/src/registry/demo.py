"""Demo data for the development stack (`python -m registry seed-demo`): the access service's
two demo EPEs with areas and cameras, registered through the normal service functions so their
events wait in the outbox for the relay."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.areas.models import AreaCreate, AreaKind, StorageKind
from registry.areas.service import create_area
from registry.cameras.models import CameraCapabilities, CameraCreate, CameraSpecs, PositionKind
from registry.cameras.service import add_camera
from registry.epes.models import Contact, Epe, EpeCreate
from registry.epes.service import register_epe
from registry.health.probe_policy import ProbePolicy
from servicekit.auth import Principal, Role

DEMO_UNIT = "HQ-KCX-BN"  # the access service's demo unit
SEEDER = Principal(subject="registry-seed-demo", roles=frozenset({Role.CUSTOMS_SYSTEM}))
SPECS = CameraSpecs(
    sensor_format='1/2.8"',
    sensor_technology="CMOS",
    day_night=True,
    resolution="1920x1080",
    white_balance=True,
    compression=["H.265", "H.264"],
    focal_length_min_mm=2.8,
    focal_length_max_mm=12,
    panning_angle_deg=100,
    frame_rate_fps=30,
    network_protocols=["IPv4", "TCP", "HTTP"],
    hlc_db=150,
    ingress_protection=["IP67"],
    max_operating_temperature_c=60,
    low_light_color_lux=0.02,
    low_light_ir_lux=0,
    onvif=True,
    safety_standards=["EN 60950-1"],
)
DEMO_EPES: list[dict[str, Any]] = [
    {
        "id": "EPE-DEMO-01",
        "name": "Công ty TNHH Điện tử Ánh Dương (demo)",
        "address": "Lô A2, KCN Quế Võ, Bắc Ninh",
        "tax_code": "2310012344",
        "certificate": date(2023, 5, 10),
        "operating": False,
    },
    {
        "id": "EPE-DEMO-02",
        "name": "Công ty TNHH May mặc Hồng Hà (demo)",
        "address": "Lô C7, KCN Yên Phong, Bắc Ninh",
        "tax_code": "2310023459",
        "certificate": date(2019, 9, 2),
        "operating": True,
    },
]


def seed_demo(engine: Engine) -> list[str]:
    """Create the demo EPEs that are missing; returns the ids created."""
    created: list[str] = []
    for spec in DEMO_EPES:
        with Session(engine, expire_on_commit=False) as session:
            if session.get(Epe, spec["id"]) is not None:
                continue
            epe = register_epe(
                session,
                principal=SEEDER,
                data=EpeCreate(
                    id=spec["id"],
                    name=spec["name"],
                    address=spec["address"],
                    tax_code=spec["tax_code"],
                    unit=DEMO_UNIT,
                    contacts=[Contact(name="Nguyễn Văn Hùng", role="IT", phone="0912 345 678")],
                    investment_certificate_date=spec["certificate"],
                    cameras_operating_at_effective_date=spec["operating"],
                ),
            )
            gate = create_area(
                session,
                epe=epe,
                data=AreaCreate(code="G1", name="Cổng chính", kind=AreaKind.EPE_GATE),
            )
            store = create_area(
                session,
                epe=epe,
                data=AreaCreate(
                    code="K1",
                    name="Kho nguyên liệu",
                    kind=AreaKind.STORAGE_AREA,
                    storage_kind=StorageKind.MATERIALS,
                ),
            )
            door = create_area(
                session,
                epe=epe,
                data=AreaCreate(
                    code="K1-C",
                    name="Cửa kho nguyên liệu",
                    kind=AreaKind.STORAGE_AREA_GATE,
                    parent_area_id=store.id,
                ),
            )
            for number, position, area, caps in (
                (
                    "C01",
                    PositionKind.EPE_GATE,
                    gate.id,
                    {"reads_plates": True, "reads_container_numbers": True},
                ),
                ("C02", PositionKind.STORAGE_AREA, store.id, {"covers_whole_area": True}),
                ("C03", PositionKind.STORAGE_AREA_GATE, door.id, {}),
            ):
                add_camera(
                    session,
                    epe=epe,
                    refusal_of=partial(ProbePolicy.build().refusal_of, wait=1.0),
                    data=CameraCreate(
                        number=number,
                        position_kind=position,
                        area_id=area,
                        vendor="Hikvision",
                        model="DS-2CD2T47G2-L",
                        stream_url=f"rtsp://192.0.2.{10 + int(number[1:])}:554/Streaming/101",
                        specs=SPECS,
                        capabilities=CameraCapabilities(**caps),
                    ),
                )
            session.commit()
            created.append(epe.id)
    return created
