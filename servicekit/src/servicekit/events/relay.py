"""The outbox relay: publishes committed outbox rows to JetStream and marks them sent.

Each round claims up to `batch_size` unsent rows (oldest first), publishes them all
asynchronously with `Nats-Msg-Id` = event id, waits for the stream's acks and marks the acked
rows sent in one statement. On PostgreSQL the rows are claimed `FOR UPDATE SKIP LOCKED` inside a
transaction held until they are marked, so two replicas never publish the same rows; on SQLite
(one process per database file) the claim is a plain read. A crash between the publish and the
mark only causes a re-publish, which the stream drops as a duplicate within its window and the
consumers' inbox absorbs after it.

The relay wakes when a local transaction that added outbox rows commits, and otherwise polls
every `poll_interval` seconds (rows left by other processes or before a crash). Errors (NATS
down, database busy, unacknowledged publishes) are logged and retried by tenacity with a
growing delay; the loop never dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from servicekit.events.bus import EventBus, OutgoingMessage, stream_name
from servicekit.events.envelope import producer_of
from servicekit.events.outbox import TABLES, register_waker, unregister_waker

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("servicekit.events.relay")

FaultHook = Callable[[str, Sequence[str]], None]
"""Called with a point name ("claimed": rows read, nothing published yet; "published": acks
received, rows not yet marked) and the event ids; tests use it to kill the relay there."""


class _Row(NamedTuple):
    id: str
    type: str
    envelope: str
    headers: dict[str, str]


class OutboxRelay:
    """Moves outbox rows of one database to JetStream."""

    def __init__(
        self,
        *,
        engine: Engine,
        bus: EventBus,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        publish_timeout: float = 10.0,
        max_backoff: float = 10.0,
        retention: timedelta = timedelta(days=7),
        prune_interval: float = 3600.0,
        fault_hook: FaultHook | None = None,
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self.retention = retention
        self.prune_interval = prune_interval
        self._fault_hook = fault_hook
        self._skip_locked = engine.dialect.name == "postgresql"
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_prune = 0.0
        self._in_flight: set[str] = set()
        self._round: asyncio.Task[tuple[int, int]] | None = None
        self.published_total = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Run the relay loop in the background."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._stopped.clear()
        register_waker(self.engine, self.notify)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Finish the round in progress and stop."""
        self._stopping = True
        unregister_waker(self.engine, self.notify)
        self._stopped.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=self.publish_timeout + 5)
            except TimeoutError:
                log.warning("outbox relay did not stop in time; cancelled")

    def notify(self) -> None:
        """Wake the relay now (thread-safe; called after commits that added events)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)

    # -- loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        # Two rounds overlap: the next batch is claimed (and starts publishing) while the
        # previous one waits for its acks and is marked sent, so the database work of one
        # round hides behind the network wait of the other. A failed step is retried by
        # tenacity with a growing pause; a step that succeeds starts the count again.
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.2, max=self.max_backoff),
            stop=lambda _state: self._stopping,
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            while not self._stopping:
                self._wake.clear()
                with contextlib.suppress(Exception):  # raised only once stopping
                    if await retrying(self._step):
                        await self._sleep(self.poll_interval, wakeable=True)
        finally:
            await self._settle_round()

    async def _step(self) -> bool:
        """Start the next round and finish the previous one; True when there was nothing to do.

        Raises when the round failed or some rows were not acknowledged (they stay unsent).
        """
        try:
            if not self.bus.connected:
                await self._settle_round()
                await self.bus.wait_connected(self.poll_interval)
                return False
            next_round = await self._start_round()
            previous, self._round = self._round, next_round
            if previous is not None:
                claimed, published = await previous
                if published < claimed:
                    raise ConnectionError(f"{claimed - published} of {claimed} not acknowledged")
            await self._maybe_prune()
        except Exception:
            await self._settle_round()
            raise
        return self._round is None

    async def _settle_round(self) -> None:
        """Let the round in flight finish (its failure is logged; its rows stay unsent)."""
        round_, self._round = self._round, None
        if round_ is not None:
            await _settle(round_)

    async def _sleep(self, seconds: float, *, wakeable: bool = False) -> None:
        """Sleep, leaving early when stopping (and on a notification when wakeable)."""
        event = self._wake if wakeable else self._stopped
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def run_once(self) -> tuple[int, int]:
        """One round: claim, publish, mark. Returns (rows claimed, rows published)."""
        round_ = await self._start_round()
        return (0, 0) if round_ is None else await round_

    async def _start_round(self) -> asyncio.Task[tuple[int, int]] | None:
        """Claim a batch (skipping rows of a round still in flight) and start delivering it."""
        connection, rows = await asyncio.to_thread(self._claim, frozenset(self._in_flight))
        if not rows:
            return None
        self._in_flight.update(row.id for row in rows)
        return asyncio.create_task(self._deliver(connection, rows), name="outbox-relay-round")

    async def _deliver(self, connection: Connection | None, rows: list[_Row]) -> tuple[int, int]:
        try:
            ids = [row.id for row in rows]
            self._fault("claimed", ids)
            acked = await self._publish(rows)
            sent = [row.id for row, ok in zip(rows, acked, strict=True) if ok]
            self._fault("published", sent)
            if sent:
                await asyncio.to_thread(self._mark_sent, connection, sent)
            self.published_total += len(sent)
            return len(rows), len(sent)
        finally:
            self._in_flight.difference_update(row.id for row in rows)
            if connection is not None:
                await asyncio.to_thread(_close, connection)

    def _fault(self, point: str, ids: Sequence[str]) -> None:
        if self._fault_hook is not None:
            self._fault_hook(point, ids)

    def _claim(self, exclude: frozenset[str] = frozenset()) -> tuple[Connection | None, list[_Row]]:
        outbox = TABLES.outbox
        statement = (
            select(outbox.c.id, outbox.c.type, outbox.c.envelope, outbox.c.headers)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.created_at, outbox.c.id)
            .limit(self.batch_size)
        )
        if exclude:
            statement = statement.where(outbox.c.id.not_in(exclude))
        if self._skip_locked:
            # Keep the transaction (and the row locks) until the rows are marked sent.
            statement = statement.with_for_update(skip_locked=True)
            connection = self.engine.connect()
            try:
                connection.begin()
                result = connection.execute(statement).all()
            except Exception:
                connection.close()
                raise
            if not result:
                connection.close()
                return None, []
            return connection, [_Row(r[0], r[1], r[2], r[3] or {}) for r in result]
        with self.engine.connect() as plain:
            result = plain.execute(statement).all()
        return None, [_Row(r[0], r[1], r[2], r[3] or {}) for r in result]

    async def _publish(self, rows: list[_Row]) -> list[bool]:
        for producer in {producer_of(row.type) for row in rows}:
            await self.bus.ensure_stream(producer)
        # The headers stored by add_event carry the context of its "create" span, so each
        # consumer span continues the trace of the request that produced the event.
        messages = [
            OutgoingMessage(
                subject=row.type, payload=row.envelope.encode(), msg_id=row.id, headers=row.headers
            )
            for row in rows
        ]
        with _tracer.start_as_current_span(
            "outbox relay publish",
            kind=SpanKind.CLIENT,
            attributes={"messaging.system": "nats", "messaging.batch.message_count": len(rows)},
        ):
            return await self.bus.publish_many(messages, ack_timeout=self.publish_timeout)

    def _mark_sent(self, connection: Connection | None, ids: list[str]) -> None:
        outbox = TABLES.outbox
        statement = update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC))
        if connection is not None:
            connection.execute(statement)
            connection.commit()
            return
        with self.engine.begin() as fresh:
            fresh.execute(statement)

    async def _maybe_prune(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_prune < self.prune_interval:
            return
        self._last_prune = loop.time()
        removed = await asyncio.to_thread(self.prune)
        if removed:
            log.info("pruned %d published outbox rows older than %s", removed, self.retention)

    def prune(self) -> int:
        """Delete rows published longer than `retention` ago; returns how many."""
        outbox = TABLES.outbox
        cutoff = datetime.now(UTC) - self.retention
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(outbox).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff)
            )
        return int(result.rowcount or 0)


async def _settle(round_: asyncio.Task[tuple[int, int]]) -> None:
    """Let a round finish (its failure was or will be logged; its rows stay unsent)."""
    with contextlib.suppress(Exception):
        await round_


def _log_retry(state: RetryCallState) -> None:
    delay = state.next_action.sleep if state.next_action else 0.0
    failure = state.outcome.exception() if state.outcome else None
    log.warning("outbox relay round failed (%s); retrying in %.1f s", failure, delay)


def _close(connection: Connection) -> None:
    # Rolls back whatever was not committed (rows claimed but not published stay unsent).
    connection.close()


def stream_of(event_type: str) -> str:
    """The stream an event type is stored in."""
    return stream_name(producer_of(event_type))
