"""Registry EPE events published on real NATS (through the kit's event bus) reach the access
service's consumer and its `registry_epes` projection."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select as sa_select
from sqlmodel import Session

from access.db import metadata
from access.epes.models import RegistryEpe
from access.main import create_app
from devkit.testing.events import envelope, publish, wait_until
from servicekit.db import make_engine
from servicekit.events import durable_name
from servicekit.events.outbox import TABLES


def test_registry_epe_events_reach_the_projection_over_nats(access_settings, nats_url):
    settings = access_settings.model_copy(update={"events_enabled": True, "nats_url": nats_url})
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    metadata.create_all(engine)
    app = create_app(settings, engine=engine)
    epe_id = f"EPE-NATS-{uuid.uuid4().hex[:8].upper()}"
    t0 = datetime.now(UTC).replace(microsecond=0)
    facts = {
        "epe_id": epe_id,
        "name": "Công ty TNHH NATS",
        "address": "KCX Tân Thuận",
        "tax_code": "0312345678",
        "unit": "HQ-KCX-BN",
        "status": "active",
        "exemption_category": "I.1.3.b",
        "exempt": False,
        "exemption_reason": "",
        "occurred_at": t0.isoformat(),
    }
    registered = envelope("registry.epe.registered.v1", facts, t0)
    updated = envelope(
        "registry.epe.updated.v1",
        {
            **facts,
            "name": "Công ty TNHH NATS (đổi tên)",
            "unit": "HQ-KCX-TT",
            "occurred_at": (t0 + timedelta(seconds=2)).isoformat(),
            "changed_fields": ["name", "unit"],
        },
        t0 + timedelta(seconds=2),
    )

    def current() -> RegistryEpe | None:
        with Session(engine, expire_on_commit=False) as session:
            return session.get(RegistryEpe, epe_id)

    with TestClient(app):
        # the newer event first: the older one, arriving late, must not roll it back
        asyncio.run(publish(nats_url, [updated]))
        assert wait_until(lambda: current() is not None), "the updated event never arrived"
        asyncio.run(publish(nats_url, [registered]))
        durable = durable_name("access", "registry.epe.registered.v1")

        def registered_seen() -> bool:
            with Session(engine) as session:
                inbox = TABLES.inbox
                row = session.execute(
                    sa_select(inbox.c.event_id)
                    .where(inbox.c.consumer == durable)
                    .where(inbox.c.event_id == registered.id)
                ).first()
                return row is not None

        assert wait_until(registered_seen), "the registered event never reached the consumer"
    engine.dispose()
    row = current()
    assert row is not None
    assert (row.unit, row.name, row.status) == (
        "HQ-KCX-TT",
        "Công ty TNHH NATS (đổi tên)",
        "active",
    )
    assert row.event_id == updated.id and row.event_time == updated.time
