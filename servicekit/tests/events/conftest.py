"""Fixtures for the event tests: a producer with its own event type, a database, schemas.

Every test gets a producer name of its own (so its stream, subjects and durables never see
another test's messages on the shared NATS server) and a fresh database (SQLite, and a fresh
PostgreSQL schema when PostgreSQL is reachable).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import nats.errors
import nats.js.errors
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from devkit.testing.database import TestDatabase
from servicekit.db import make_engine
from servicekit.events import (
    CloudEvent,
    EventBus,
    EventConsumer,
    EventHandler,
    EventPayload,
    EventRuntime,
    SchemaRegistry,
    add_event,
    attach_event_tables,
    stream_name,
)
from servicekit.events.outbox import TABLES
from servicekit.settings import Environment, ServiceSettings


def make_payload_class(event_type: str) -> type[EventPayload]:
    """A payload class for `event_type`: a counter and a label."""
    event_type_value = event_type

    class WidgetMoved(EventPayload):
        """A widget moved (test event)."""

        event_type: ClassVar[str] = event_type_value
        n: int
        label: str = "x"

    return WidgetMoved


@dataclass
class EventWorld:
    """One producer service, its database, an effect table and committed schemas."""

    database: TestDatabase
    nats_url: str
    contracts_dir: Path
    producer: str
    event_type: str
    payload: type[EventPayload]
    engine: Engine
    metadata: MetaData
    effects: Table
    started: list[Any] = field(default_factory=list)

    @staticmethod
    async def wait_until(
        predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.05
    ) -> None:
        """Poll `predicate` (sync, run in a thread) until it is truthy, or fail the test."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if await asyncio.to_thread(predicate):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            await asyncio.sleep(interval)

    def run_relay_process(self, kill_point: str = "none") -> subprocess.CompletedProcess[str]:
        """Run relay_process.py on this database until the outbox is empty (or killed)."""
        return subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("relay_process.py")),
                self.database.url,
                self.database.schema or "",
                self.nats_url,
                kill_point,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # -- producing -----------------------------------------------------------------------

    def publish(self, count: int = 1, *, start: int = 0) -> list[CloudEvent]:
        """Add `count` events through the outbox in one committed transaction."""
        with Session(self.engine) as session:
            events = [
                add_event(session, self.payload(n=start + i), subject=f"widget-{start + i}")
                for i in range(count)
            ]
            session.commit()
        return events

    def outbox_unsent(self) -> int:
        outbox = TABLES.outbox
        with self.engine.connect() as connection:
            statement = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int(connection.execute(statement).scalar_one())

    # -- consuming -----------------------------------------------------------------------

    def record_effect(self, event: CloudEvent, session: Session) -> None:
        """The handler's effect: one row per handling (no uniqueness, so doubles show)."""
        session.connection().execute(
            insert(self.effects).values(event_id=event.id, n=int(event.data["n"]))
        )

    def effect_count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(self.effects)).scalar_one()
            )

    def distinct_effects(self) -> int:
        with self.engine.connect() as connection:
            statement = select(func.count(func.distinct(self.effects.c.event_id)))
            return int(connection.execute(statement).scalar_one())

    def inbox_count(self) -> int:
        with self.engine.connect() as connection:
            statement = select(func.count()).select_from(TABLES.inbox)
            return int(connection.execute(statement).scalar_one())

    def settings(self, service: str) -> ServiceSettings:
        return ServiceSettings(
            service_name=service,
            environment=Environment.TEST,
            nats_url=self.nats_url,
            database_url=self.database.url,
            database_schema=self.database.schema,
        )

    @property
    def stream(self) -> str:
        return stream_name(self.producer)

    async def stream_messages(self) -> int:
        """How many messages the producer's stream holds (0 when it does not exist yet).

        Read only (no stream update): on a cluster that just lost a node, JetStream API
        requests time out until the stream has a leader again, so a timeout is asked again."""
        bus = EventBus(self.nats_url, name="test-inspect")
        assert await bus.connect(within=10)
        try:
            for _ in range(30):
                try:
                    info = await bus.js.stream_info(self.stream)
                except nats.js.errors.NotFoundError:
                    return 0
                except nats.errors.TimeoutError:
                    await asyncio.sleep(1)
                    continue
                return int(info.state.messages)
            raise AssertionError(f"the stream {self.stream} answered no info request in 30 tries")
        finally:
            await bus.close()

    async def runtime(
        self,
        *,
        service: str | None = None,
        subscriptions: Mapping[str, EventHandler] | None = None,
        relay_options: Mapping[str, Any] | None = None,
        consumer_options: Mapping[str, Any] | None = None,
        nats_url: str | None = None,
    ) -> EventRuntime:
        """A started runtime of `service` (default: the producer) on this database."""
        settings = self.settings(service or self.producer)
        if nats_url:
            settings = settings.model_copy(update={"nats_url": nats_url})
        runtime = EventRuntime(
            settings=settings,
            engine=self.engine,
            metadata=self.metadata,
            subscriptions=subscriptions or {},
            contracts_dir=self.contracts_dir,
            relay_options={"poll_interval": 0.2, **dict(relay_options or {})},
            consumer_options={
                "fetch_timeout": 0.5,
                "ack_wait": 1.0,
                **dict(consumer_options or {}),
            },
        )
        await runtime.start()
        self.started.append(runtime)
        return runtime

    async def consumer(
        self,
        handler: EventHandler,
        *,
        service: str = "consumer",
        bus: EventBus | None = None,
        **options: Any,
    ) -> EventConsumer:
        """A started consumer of this world's event type, without a relay."""
        if bus is None:
            bus = EventBus(self.nats_url, name="test-consumer")
            assert await bus.connect(within=10)
            self.started.append(bus)
        consumer = EventConsumer(
            service=service,
            subject=self.event_type,
            handler=handler,
            engine=self.engine,
            bus=bus,
            schemas=SchemaRegistry(self.contracts_dir),
            **{"fetch_timeout": 0.5, "ack_wait": 1.0, **options},
        )
        await consumer.start()
        self.started.insert(0, consumer)
        return consumer

    async def close(self) -> None:
        for item in self.started:
            await item.stop() if not isinstance(item, EventBus) else await item.close()
        self.started.clear()


@pytest.fixture
def producer_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def world(database: TestDatabase, nats_url: str, tmp_path: Path, producer_name: str) -> Any:
    """An EventWorld on a fresh database with the tables created and the schema committed."""
    event_type = f"{producer_name}.widget.moved.v1"
    payload = make_payload_class(event_type)
    contracts_dir = tmp_path / "contracts" / "events"
    (contracts_dir / producer_name).mkdir(parents=True)
    (contracts_dir / producer_name / f"{event_type}.json").write_text(
        json.dumps(payload.json_schema())
    )
    metadata = MetaData()
    attach_event_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("row_id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False),
        Column("n", Integer, nullable=False),
    )
    engine = make_engine(database.url, schema=database.schema)
    metadata.create_all(engine)
    state = EventWorld(
        database=database,
        nats_url=nats_url,
        contracts_dir=contracts_dir,
        producer=producer_name,
        event_type=event_type,
        payload=payload,
        engine=engine,
        metadata=metadata,
        effects=effects,
    )
    yield state
    await state.close()
    engine.dispose()
