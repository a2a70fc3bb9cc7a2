"""A service's event machinery: one NATS connection, the outbox relay and its consumers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from servicekit.events.bus import DeadLetter, EventBus
from servicekit.events.consumer import EventConsumer, EventHandler, SchemaRegistry
from servicekit.events.outbox import INBOX_TABLE, OUTBOX_TABLE
from servicekit.events.relay import OutboxRelay
from servicekit.events.revocations import RevocationFeed, RevocationList
from servicekit.settings import ServiceSettings, project_root

log = logging.getLogger(__name__)


def default_contracts_dir() -> Path:
    """contracts/events/ of the repository: the committed event schemas."""
    return project_root() / "contracts" / "events"


class EventRuntime:
    """Starts and stops everything a service needs to publish and consume events.

    `start()` connects (waiting up to `connect_timeout`; NATS being down does not stop the
    service: the bus keeps reconnecting and the relay and consumers resume), ensures the
    service's own stream and the dead-letter stream, and starts the relay, one durable
    consumer per subscribed subject and, given a `RevocationList`, the feed of revoked tokens.
    `stop()` finishes the work in progress and drains.
    """

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        engine: Engine,
        metadata: MetaData,
        subscriptions: Mapping[str, EventHandler],
        bus: EventBus | None = None,
        contracts_dir: Path | None = None,
        connect_timeout: float = 5.0,
        relay_options: Mapping[str, Any] | None = None,
        consumer_options: Mapping[str, Any] | None = None,
        revocations: RevocationList | None = None,
    ) -> None:
        missing = [
            name
            for name in (OUTBOX_TABLE, INBOX_TABLE)
            if not any(table.name == name for table in metadata.tables.values())
        ]
        if missing:
            raise RuntimeError(
                f"{settings.service_name}: metadata lacks {', '.join(missing)}; "
                "call servicekit.events.attach_event_tables(metadata) in the service's db.py"
            )
        self.settings = settings
        self.service = settings.service_name
        self.engine = engine
        self.connect_timeout = connect_timeout
        self._owns_bus = bus is None
        self.bus = bus or EventBus(
            settings.nats_url,
            name=f"camwatch-{self.service}",
            replicas=settings.nats_stream_replicas,
        )
        self.schemas = SchemaRegistry(contracts_dir or default_contracts_dir())
        self.relay = OutboxRelay(engine=engine, bus=self.bus, **dict(relay_options or {}))
        self.consumers = [
            EventConsumer(
                service=self.service,
                subject=subject,
                handler=handler,
                engine=engine,
                bus=self.bus,
                schemas=self.schemas,
                **dict(consumer_options or {}),
            )
            for subject, handler in subscriptions.items()
        ]
        self.revocation_feed = (
            None
            if revocations is None
            else RevocationFeed(
                bus=self.bus, revocations=revocations, window=settings.token_revocation_window
            )
        )
        self._started = False

    @property
    def connected(self) -> bool:
        """Whether NATS is reachable right now (readiness)."""
        return self.bus.connected

    def notify(self) -> None:
        """Wake the relay (thread-safe); commits that add events do this by themselves."""
        self.relay.notify()

    async def start(self) -> None:
        """Connect, ensure streams, start the relay and the consumers."""
        if self._started:
            return
        self._started = True
        if await self.bus.connect(within=self.connect_timeout):
            try:
                await self.bus.ensure_stream(self.service)
                await self.bus.ensure_deadletter_stream()
            except Exception as exc:
                log.warning("could not ensure the streams of %s yet: %s", self.service, exc)
        else:
            log.warning(
                "%s: NATS at %s unreachable; events wait in the outbox until it is back",
                self.service,
                self.settings.nats_url,
            )
        await self.relay.start()
        for consumer in self.consumers:
            await consumer.start()
        if self.revocation_feed is not None:
            await self.revocation_feed.start()

    async def stop(self) -> None:
        """Stop consuming, publish nothing more, and drain the connection."""
        if not self._started:
            return
        self._started = False
        if self.revocation_feed is not None:
            await self.revocation_feed.stop()
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()
        if self._owns_bus:
            await self.bus.close()

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters of this service's consumers, oldest first."""
        letters = await self.bus.dead_letters(limit=limit)
        durables = {consumer.durable for consumer in self.consumers}
        return [letter for letter in letters if letter.consumer in durables]
