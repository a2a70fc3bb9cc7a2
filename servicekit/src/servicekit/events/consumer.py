"""Durable pull consumers: validate, handle once (inbox), acknowledge, retry, dead-letter.

For each subscribed subject a service runs one durable pull consumer named
`<consumer service>-<subject with dots as underscores>` with explicit acks, `max_deliver`
deliveries and a server-side redelivery `backoff`. Messages are fetched in batches. Each one is
parsed as a CloudEvent and its `data` validated against the producer's committed JSON schema
(`contracts/events/<producer>/<event type>.json`). Valid events of a batch are handled in one
database transaction that also inserts one inbox row per event; the commit precedes the acks,
and an event already in the inbox is only acknowledged. When the batch transaction fails, the
events are handled one by one, each in its own transaction, so one bad event does not hold the
others back.

Failures: a missing schema, an invalid envelope or payload, or `PermanentError` from the
handler dead-letters the message at once; any other exception leaves the message
unacknowledged, so JetStream redelivers it after the consumer's `backoff` step for that
delivery (the schedule lives on the server, not in this process), and it is dead-lettered when
the last delivery fails. Dead letters go to `deadletter.<consumer>.<subject>` with the
original envelope, headers and error, then the message is terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import jsonschema_rs
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from servicekit.events.bus import Delivery, EventBus, PullConsumer, stream_name
from servicekit.events.envelope import CloudEvent, producer_of, schema_path
from servicekit.events.outbox import TABLES
from servicekit.telemetry import ContextCache, spans_recorded

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("servicekit.events.consumer")

EventHandler = Callable[[CloudEvent, Session], None]
"""A synchronous handler; it runs in a worker thread inside the consumer's transaction."""


class PermanentError(Exception):
    """The event can never be handled (bad data): it is dead-lettered, not retried."""


class InvalidEvent(Exception):
    """The message is not a valid event of its subject (envelope, schema or payload)."""


def redelivery_backoff(ack_wait: float, max_deliver: int, maximum: float) -> list[float]:
    """JetStream's per-delivery wait before redelivering an unacknowledged message.

    The server uses the first step as the ack wait of the first delivery (how long a batch may
    take), so the schedule starts at `ack_wait` and doubles, capped at `maximum`; it has one step
    per redelivery (`max_deliver - 1`), as the server requires.
    """
    if max_deliver < 2:
        raise ValueError("max_deliver must allow at least one redelivery")
    return [min(ack_wait * 2**step, maximum) for step in range(max_deliver - 1)]


def durable_name(service: str, subject: str) -> str:
    """The durable consumer name of `service` consuming `subject`."""
    token = subject.replace(".", "_").replace("*", "any").replace(">", "all")
    return f"{service}-{token}"


class SchemaRegistry:
    """Compiled JSON schemas of event types, read from contracts/events/ on first use."""

    def __init__(self, contracts_dir: Path) -> None:
        self.contracts_dir = contracts_dir
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()

    def validator(self, event_type: str) -> Any:
        """The validator of an event type; InvalidEvent when no schema is committed."""
        validator = self._validators.get(event_type)
        if validator is not None:
            return validator
        path = schema_path(self.contracts_dir, event_type)
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidEvent(f"no schema for {event_type} at {path}") from None
        except (OSError, ValueError) as exc:
            raise InvalidEvent(f"unreadable schema for {event_type}: {exc}") from exc
        try:
            validator = jsonschema_rs.validator_for(schema, validate_formats=True)
        except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
            raise InvalidEvent(f"unusable schema for {event_type}: {exc}") from exc
        with self._lock:
            self._validators[event_type] = validator
        return validator

    def validate(self, event_type: str, data: dict[str, Any]) -> None:
        """Raise InvalidEvent naming the failing fields when data does not match."""
        validator = self.validator(event_type)
        if validator.is_valid(data):
            return
        problems = [
            f"{'/'.join(str(p) for p in error.instance_path) or '(root)'}: {error.message}"
            for error in validator.iter_errors(data)
        ]
        raise InvalidEvent(f"data does not match {event_type}: " + "; ".join(problems[:5]))


class Outcome(Enum):
    """How one message ended."""

    DONE = "done"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD = "dead"


@dataclass
class _Item:
    delivery: Delivery
    event: CloudEvent

    @property
    def span_name(self) -> str:
        return f"{self.delivery.subject} process"


class EventConsumer:
    """One durable pull consumer of one subject for one service."""

    def __init__(
        self,
        *,
        service: str,
        subject: str,
        handler: EventHandler,
        engine: Engine,
        bus: EventBus,
        schemas: SchemaRegistry,
        batch_size: int = 1000,
        fetch_timeout: float = 1.0,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        backoff_max: float = 300.0,
        max_ack_pending: int = 4096,
        inbox_retention: timedelta = timedelta(days=45),
        prune_interval: float = 3600.0,
    ) -> None:
        self.service = service
        self.subject = subject
        self.handler = handler
        self.engine = engine
        self.bus = bus
        self.schemas = schemas
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.backoff = redelivery_backoff(ack_wait, max_deliver, backoff_max)
        self.max_ack_pending = max_ack_pending
        self.inbox_retention = inbox_retention
        self.prune_interval = prune_interval
        self.durable = durable_name(service, subject)
        self.stream = stream_name(producer_of(subject))
        self._subscription: PullConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._prefetch: asyncio.Task[list[Delivery]] | None = None
        self._stop = asyncio.Event()
        self._last_prune = 0.0
        self.handled_total = 0
        self.dead_lettered_total = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe now if NATS is up (else later) and run the consume loop."""
        if self._task is not None:
            return
        self._stop.clear()
        if self.bus.connected:
            with contextlib.suppress(Exception):
                await self._subscribe()
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        """Finish the batch in progress and stop fetching."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=self.ack_wait)
            except TimeoutError:
                log.warning("consumer %s did not stop in time; cancelled", self.durable)
        await self._unsubscribe()

    async def _subscribe(self) -> None:
        await self.bus.ensure_stream(producer_of(self.subject))
        await self.bus.ensure_deadletter_stream()
        self._subscription = await self.bus.pull_subscribe(
            self.subject,
            durable=self.durable,
            stream=self.stream,
            max_deliver=self.max_deliver,
            backoff=self.backoff,
            max_ack_pending=self.max_ack_pending,
        )

    async def _unsubscribe(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    # -- loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        # A failed step (NATS or the database unavailable) is retried by tenacity with a
        # growing pause, binding again; a step that succeeds starts the count again.
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.4, max=10.0),
            stop=lambda _state: self._stop.is_set(),
            sleep=self._pause,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            while not self._stop.is_set():
                with contextlib.suppress(Exception):  # raised only once stopping
                    await retrying(self._step)
        finally:
            prefetch, self._prefetch = self._prefetch, None
            if prefetch is not None:
                await self._release(prefetch)

    async def _step(self) -> None:
        """Fetch a batch and handle it while the next one is fetched (one fetch in flight)."""
        try:
            if not self.bus.connected:
                await self.bus.wait_connected(self.fetch_timeout)
                return
            if self._subscription is None:
                await self._subscribe()
            subscription = self._subscription
            if subscription is None:
                raise ConnectionError(f"{self.durable} is not subscribed")
            if self._prefetch is not None:
                deliveries, self._prefetch = await self._prefetch, None
            else:
                deliveries = await self.bus.fetch(subscription, self.batch_size, self.fetch_timeout)
            if deliveries and not self._stop.is_set():
                self._prefetch = asyncio.create_task(
                    self.bus.fetch(subscription, self.batch_size, self.fetch_timeout)
                )
            if deliveries:
                await self.handle(deliveries)
            await self._maybe_prune()
        except Exception:
            prefetch, self._prefetch = self._prefetch, None
            if prefetch is not None:
                prefetch.cancel()
                with contextlib.suppress(BaseException):
                    await prefetch
            await self._unsubscribe()
            raise

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    def _log_retry(self, state: RetryCallState) -> None:
        delay = state.next_action.sleep if state.next_action else 0.0
        failure = state.outcome.exception() if state.outcome else None
        log.warning(
            "consumer %s failed (%s: %s); retrying in %.1f s",
            self.durable,
            type(failure).__name__,
            failure,
            delay,
        )

    async def _release(self, prefetch: asyncio.Task[list[Delivery]]) -> None:
        """Hand back messages fetched ahead but not handled, for prompt redelivery."""
        try:
            leftovers = await prefetch
        except Exception:
            return
        for delivery in leftovers:
            with contextlib.suppress(Exception):
                await delivery.nak()

    async def handle(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """Handle fetched messages and settle each one (ack, nak, or dead-letter + term)."""
        outcomes: list[Outcome | None] = [None] * len(deliveries)
        items: list[tuple[int, _Item]] = []
        for index, delivery in enumerate(deliveries):
            try:
                items.append((index, _Item(delivery, self._parse(delivery))))
            except InvalidEvent as exc:
                await self._dead_letter(delivery, str(exc))
                outcomes[index] = Outcome.DEAD
        if items:
            batch = await asyncio.to_thread(self._process_batch, [item for _, item in items])
            if batch is not None:
                for (index, item), outcome in zip(items, batch, strict=True):
                    outcomes[index] = outcome
                    await item.delivery.ack()
            else:
                for index, item in items:
                    outcome, error = await asyncio.to_thread(self._process_one, item)
                    outcomes[index] = await self._settle(item.delivery, outcome, error)
        done = [o for o in outcomes if o is not None]
        self.handled_total += sum(1 for o in done if o is Outcome.DONE)
        return done

    def _parse(self, delivery: Delivery) -> CloudEvent:
        try:
            event = CloudEvent.from_json(delivery.data)
        except ValidationError as exc:
            raise InvalidEvent(f"not a CloudEvent: {_brief(exc)}") from None
        if event.type != delivery.subject:
            raise InvalidEvent(f"type {event.type} published on subject {delivery.subject}")
        self.schemas.validate(event.type, event.data)
        return event

    def _handle_traced(
        self,
        item: _Item,
        session: Session,
        *,
        record: bool = True,
        contexts: ContextCache | None = None,
    ) -> None:
        """Run the handler inside a consumer span continuing the producer's trace.

        Without a span processor (`record` False) no span is created, but the producer's
        context is still current, so log lines and nested spans keep its trace id.
        """
        parent = (contexts or ContextCache()).extract(item.delivery.headers)
        if not record:
            token = otel_context.attach(parent)
            try:
                self.handler(item.event, session)
            finally:
                otel_context.detach(token)
            return
        span = _tracer.start_span(
            item.span_name,
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": item.delivery.subject,
                "messaging.consumer.group.name": self.durable,
                "messaging.message.id": item.event.id,
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            self.handler(item.event, session)
        except BaseException as exc:
            _record(span, exc)
            raise
        finally:
            otel_context.detach(token)
            span.end()

    def _process_batch(self, items: list[_Item]) -> list[Outcome] | None:
        """All events in one transaction; None when it failed (then one by one)."""
        inbox = TABLES.inbox
        ids = [item.event.id for item in items]
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as session:
                connection = session.connection()
                seen = set(
                    connection.execute(
                        select(inbox.c.event_id).where(
                            inbox.c.consumer == self.durable, inbox.c.event_id.in_(set(ids))
                        )
                    ).scalars()
                )
                outcomes: list[Outcome] = []
                rows: list[str] = []
                record = spans_recorded()
                contexts = ContextCache()
                for item in items:
                    if item.event.id in seen:
                        outcomes.append(Outcome.DUPLICATE)
                        continue
                    seen.add(item.event.id)
                    self._handle_traced(item, session, record=record, contexts=contexts)
                    rows.append(item.event.id)
                    outcomes.append(Outcome.DONE)
                if rows:
                    _insert_inbox(session.connection(), self.durable, rows, now)
                session.commit()
                return outcomes
        except Exception as exc:
            log.info(
                "consumer %s: batch of %d failed (%s); handling one by one",
                self.durable,
                len(items),
                type(exc).__name__,
            )
            return None

    def _process_one(self, item: _Item) -> tuple[Outcome, str | None]:
        """One event in its own transaction: inbox row first, then the handler."""
        inbox = TABLES.inbox
        with Session(self.engine) as session:
            try:
                session.connection().execute(
                    insert(inbox).values(
                        consumer=self.durable,
                        event_id=item.event.id,
                        processed_at=datetime.now(UTC),
                    )
                )
            except IntegrityError:
                session.rollback()
                return Outcome.DUPLICATE, None
            except Exception as exc:  # the database itself failed: try again later
                session.rollback()
                return Outcome.RETRY, f"{type(exc).__name__}: {exc}"
            try:
                self._handle_traced(item, session, record=spans_recorded())
                session.commit()
            except PermanentError as exc:
                session.rollback()
                return Outcome.DEAD, f"PermanentError: {exc}"
            except Exception as exc:
                session.rollback()
                return Outcome.RETRY, f"{type(exc).__name__}: {exc}"
        return Outcome.DONE, None

    async def _settle(self, delivery: Delivery, outcome: Outcome, error: str | None) -> Outcome:
        if outcome in (Outcome.DONE, Outcome.DUPLICATE):
            await delivery.ack()
            return outcome
        if outcome is Outcome.RETRY and delivery.num_delivered < self.max_deliver:
            # Left unacknowledged on purpose: the server redelivers it after its backoff step.
            step = self.backoff[min(delivery.num_delivered, len(self.backoff)) - 1]
            log.warning(
                "consumer %s: %s failed on delivery %d/%d (%s); redelivered %.1f s after it",
                self.durable,
                delivery.subject,
                delivery.num_delivered,
                self.max_deliver,
                error,
                step,
            )
            return Outcome.RETRY
        if outcome is Outcome.RETRY:
            error = f"gave up after {delivery.num_delivered} deliveries: {error}"
        await self._dead_letter(delivery, error or "unknown error")
        return Outcome.DEAD

    async def _dead_letter(self, delivery: Delivery, error: str) -> None:
        await self.bus.dead_letter(delivery, consumer=self.durable, error=error)
        await delivery.term()
        self.dead_lettered_total += 1
        log.error(
            "consumer %s dead-lettered %s (stream sequence %d, delivery %d): %s",
            self.durable,
            delivery.subject,
            delivery.stream_sequence,
            delivery.num_delivered,
            error,
        )

    async def _maybe_prune(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_prune < self.prune_interval:
            return
        self._last_prune = loop.time()
        await asyncio.to_thread(self.prune_inbox)

    def prune_inbox(self) -> int:
        """Forget inbox rows older than the retention (longer than the stream keeps events)."""
        inbox = TABLES.inbox
        cutoff = datetime.now(UTC) - self.inbox_retention
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(inbox).where(inbox.c.consumer == self.durable, inbox.c.processed_at < cutoff)
            )
        return int(result.rowcount or 0)


@dataclass(frozen=True)
class _InboxInsert:
    """The inbox insert compiled for one dialect, with its constant columns' bind processors."""

    sql: str
    positions: tuple[str, ...] | None  # parameter order of a positional paramstyle
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, dialect: Dialect) -> _InboxInsert:
        compiled = insert(TABLES.inbox).compile(dialect=dialect)
        processors = {}
        for column in TABLES.inbox.columns:
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[column.name] = processor
        positions = tuple(compiled.positiontup or ()) if dialect.positional else None
        return cls(str(compiled), positions, processors)

    def value(self, column: str, value: Any) -> Any:
        processor = self.processors.get(column)
        return value if processor is None else processor(value)


_INBOX_INSERTS: weakref.WeakKeyDictionary[Dialect, _InboxInsert] = weakref.WeakKeyDictionary()


def _insert_inbox(
    connection: Connection, consumer: str, event_ids: list[str], now: datetime
) -> None:
    """Insert a batch's inbox rows with one driver-level executemany.

    Through `connection.execute(insert(...), rows)` SQLAlchemy built and processed every
    row's parameters: the batch transaction took 11.4 us of CPU per event, now 6.1 (SQLite).
    Here the statement is compiled once per dialect and only the event id varies per row.
    """
    dialect = connection.dialect
    statement = _INBOX_INSERTS.get(dialect)
    if statement is None:
        statement = _INBOX_INSERTS[dialect] = _InboxInsert.of(dialect)
    constants = {
        "consumer": statement.value("consumer", consumer),
        "processed_at": statement.value("processed_at", now),
    }
    params: list[Any]
    if statement.positions is None:
        params = [{**constants, "event_id": statement.value("event_id", i)} for i in event_ids]
    else:
        order = statement.positions
        params = [
            tuple(
                statement.value("event_id", i) if name == "event_id" else constants[name]
                for name in order
            )
            for i in event_ids
        ]
    connection.exec_driver_sql(statement.sql, params)


def _record(span: Any, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))


def _brief(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors()[:5]
    )
