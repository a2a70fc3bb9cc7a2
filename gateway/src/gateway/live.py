"""The live channel `/api/live`: server-sent events fed by NATS, filtered per caller.

The gateway follows the services' streams with ordered, ephemeral consumers (each gateway
process sees every event; nothing is acknowledged or stored) and pushes to each open
connection the events its caller may see by the REST API's own rule
(`servicekit.auth.ensure_epe_access` on the event's `epe_id` and `unit`): an officer, a head
or an IT operator only EPEs of their unit, a customs system all, an EPE client none of them.
Maintenance notices go to everybody. The gateway reads no service table: every event it
forwards names its EPE and unit.

Each event gets an id `<epoch>.<n>` (the epoch is random per process); the last
`live_replay_size` events are kept, so a client reconnecting with `Last-Event-ID` gets what
it missed, or a `reset` event (id from another process, or too old) telling it to read
everything again. A connection has a bounded queue: a client too slow to take its events is
disconnected and resumes. A comment is sent every `live_heartbeat` seconds; the connection
ends when its token expires (`expired`) or is revoked (`revoked`).

The same process keeps the current maintenance notices (`MaintenanceBoard`, replayed from
`access.maintenance.*` at start-up) for the `Camwatch-Maintenance` response header, and the
revoked tokens (`servicekit.events.revocations`) the proxy's token cache refuses.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import secrets
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.aio.msg import Msg
from pydantic import ValidationError

from servicekit.auth import Principal, Role, ensure_epe_access
from servicekit.errors import Forbidden
from servicekit.events.bus import EventBus
from servicekit.events.envelope import CloudEvent
from servicekit.events.revocations import RevocationFeed, RevocationList, TokensRevoked

log = logging.getLogger(__name__)

LIVE_PATH = "/api/live"
MAINTENANCE_SUBJECT = "access.maintenance.>"
LIVE_SUBJECTS = (
    "registry.camera.>",  # state changes (went offline, came back), added, changed, removed
    "registry.coverage_gap.>",
    "risk.warning.>",  # new warnings and their workflow
    "risk.level.changed.v1",
    "incidents.>",  # notices, transitions, deadline and follow-up events, gate logs
)
SUBJECTS = (MAINTENANCE_SUBJECT, *LIVE_SUBJECTS)
CLOSED_NOTICE_STATES = frozenset({"completed", "cancelled", "refused"})
RETRY_MS = 2000  # what the browser's EventSource waits before reconnecting (SPA has its own)


# -- who sees what -------------------------------------------------------------------------


def may_see(principal: Principal, event_type: str, data: dict[str, Any]) -> bool:
    """Whether the caller may receive this event: notices all; EPE data by the REST rule."""
    if event_type.startswith("access.maintenance."):
        return True
    if principal.is_epe:
        return False  # warnings and incidents are customs' own view of the EPE
    epe_id, unit = data.get("epe_id"), data.get("unit")
    if not isinstance(epe_id, str) or not (unit is None or isinstance(unit, str)):
        return principal.has(Role.CUSTOMS_SYSTEM)
    try:
        ensure_epe_access(principal, epe_id=epe_id, unit=unit)
    except Forbidden:
        return False
    return True


# -- maintenance notices ---------------------------------------------------------------------


@dataclass(slots=True)
class Notice:
    """An announced notice, as the access events tell it."""

    id: str
    kind: str
    title: str
    state: str
    starts_at: datetime
    ends_at: datetime | None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _sf_string(value: str) -> str:
    """An RFC 8941 sf-string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sf_instant(value: datetime) -> str:
    return _sf_string(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))


class MaintenanceBoard:
    """Current and upcoming notices, kept from `access.maintenance.announced/updated.v1`."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._notices: dict[str, Notice] = {}
        self._closed: set[str] = set()
        self._clock = clock
        self._header: bytes | None = None
        self._header_until: datetime | None = None
        self._dirty = True

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        """Record an announcement or an update (replays and duplicates change nothing)."""
        notice_id = data.get("notice_id")
        if not isinstance(notice_id, str) or notice_id in self._closed:
            return
        if event_type == "access.maintenance.announced.v1":
            starts_at = _instant(data.get("starts_at"))
            if starts_at is None:
                return
            kind = str(data.get("kind", ""))
            known = self._notices.get(notice_id)
            self._notices[notice_id] = Notice(
                id=notice_id,
                kind=kind,
                title=str(data.get("title", "")),
                state=known.state
                if known is not None
                else ("in_progress" if kind == "breakdown" else "announced"),
                starts_at=starts_at,
                ends_at=_instant(data.get("ends_at")),
            )
        elif event_type == "access.maintenance.updated.v1":
            state = str(data.get("state", ""))
            if state in CLOSED_NOTICE_STATES:
                self._closed.add(notice_id)
                self._notices.pop(notice_id, None)
            elif notice_id in self._notices:
                self._notices[notice_id].state = state
        self._dirty = True

    def current(self) -> list[Notice]:
        """Announced or in progress, not yet past their end; soonest first."""
        now = self._clock()
        return sorted(
            (n for n in self._notices.values() if n.ends_at is None or n.ends_at > now),
            key=lambda n: (n.starts_at, n.id),
        )

    def header(self) -> bytes | None:
        """`Camwatch-Maintenance`: an RFC 8941 list, one string (the notice id) per notice
        with its parameters, e.g. `"0193…";kind=planned;state=announced;starts="…Z";ends="…Z"`;
        None when nothing is announced."""
        now = self._clock()
        if not self._dirty and (self._header_until is None or now < self._header_until):
            return self._header
        notices = self.current()
        items = []
        for notice in notices:
            item = (
                f"{_sf_string(notice.id)};kind={_sf_string(notice.kind)};"
                f"state={_sf_string(notice.state)};starts={_sf_instant(notice.starts_at)}"
            )
            if notice.ends_at is not None:
                item += f";ends={_sf_instant(notice.ends_at)}"
            items.append(item)
        self._header = ", ".join(items).encode() if items else None
        ends = [n.ends_at for n in notices if n.ends_at is not None]
        self._header_until = min(ends) if ends else None
        self._dirty = False
        return self._header


# -- the hub ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event as it goes out: its SSE id, type and the JSON line of its `data:`."""

    seq: int
    id: str
    type: str
    data: dict[str, Any]
    line: bytes

    def frame(self) -> bytes:
        return b"id: %s\nevent: %s\ndata: %s\n\n" % (
            self.id.encode(),
            self.type.encode(),
            self.line,
        )


class Listener:
    """One open connection: its caller and its bounded queue."""

    def __init__(self, principal: Principal, revocation_claims: dict[str, Any], size: int):
        self.principal = principal
        self.revocation_claims = revocation_claims
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=size)
        self.ended = asyncio.Event()
        self.reason = ""

    def end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.reason = reason
            self.ended.set()


class NotifyingRevocations(RevocationList):
    """The revocation list that also ends the live connections of the revoked tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.on_add: Callable[[], None] | None = None

    def add(self, revoked: TokensRevoked) -> None:
        super().add(revoked)
        if self.on_add is not None:
            self.on_add()


_HUBS: weakref.WeakSet[LiveHub] = weakref.WeakSet()


def end_live_connections(reason: str = "shutdown") -> None:
    """End every live connection of this process (the server is shutting down: an endless
    response would otherwise hold its graceful shutdown forever)."""
    for hub in list(_HUBS):
        hub.end_all(reason)


class LiveHub:
    """Follows the streams for every live connection of this process."""

    def __init__(
        self,
        *,
        nats_url: str,
        replicas: int = 1,
        revocation_window: float = 3600,
        notice_window: float = 30 * 86400,
        queue_size: int = 256,
        replay_size: int = 2048,
        retry_delay: float = 1.0,
    ) -> None:
        self.bus = EventBus(nats_url, name="camwatch-gateway", replicas=replicas)
        self.revocations = NotifyingRevocations()
        self.revocations.on_add = self._revoked
        self.feed = RevocationFeed(
            bus=self.bus, revocations=self.revocations, window=revocation_window
        )
        self.notices = MaintenanceBoard()
        self.notice_window = notice_window
        self.queue_size = queue_size
        self.retry_delay = retry_delay
        self.epoch = secrets.token_hex(4)
        self._seq = 0
        self._recent: collections.deque[LiveEvent] = collections.deque(maxlen=replay_size)
        self._listeners: set[Listener] = set()
        self._subscriptions: dict[str, Any] = {}
        self._started_at = datetime.now(UTC)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        _HUBS.add(self)

    # lifecycle

    async def start(self, *, within: float = 2.0) -> None:
        """Connect (waiting at most `within` s; NATS down, it goes on trying) and follow."""
        self._started_at = datetime.now(UTC) - timedelta(seconds=1)
        self._stop.clear()
        await self.bus.connect(within=within)
        await self.feed.start()
        if self.bus.connected:
            await self._follow_missing()  # so that events published from now on are seen
        self._task = asyncio.create_task(self._run(), name="live-hub")

    def end_all(self, reason: str) -> None:
        for listener in list(self._listeners):
            listener.end(reason)

    async def stop(self) -> None:
        self._stop.set()
        self.end_all("shutdown")
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.feed.stop()
        for subscription in self._subscriptions.values():
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._subscriptions.clear()
        await self.bus.close()

    async def _run(self) -> None:
        """Follow what is not followed yet (NATS was down at start-up); the ordered consumers
        themselves recover from reconnections and gaps."""
        while not self._stop.is_set():
            if len(self._subscriptions) < len(SUBJECTS) and await self.bus.wait_connected(
                self.retry_delay
            ):
                await self._follow_missing()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.retry_delay)

    async def _follow_missing(self) -> None:
        for subject in SUBJECTS:
            if subject in self._subscriptions:
                continue
            try:
                await self._follow(subject)
            except Exception as exc:
                log.warning("cannot follow %s yet: %s", subject, exc)
                return

    async def _follow(self, subject: str) -> None:
        since = self._started_at
        if subject == MAINTENANCE_SUBJECT:
            since = datetime.now(UTC) - timedelta(seconds=self.notice_window)
        subscription, _ = await self.bus.follow(subject, since=since, cb=self._on_message)
        self._subscriptions[subject] = subscription

    # events

    async def _on_message(self, msg: Msg) -> None:
        try:
            event = CloudEvent.from_json(msg.data)
        except ValidationError as exc:
            log.error("live channel ignored an invalid message on %s: %s", msg.subject, exc)
            return
        if event.type.startswith("access.maintenance."):
            self.notices.apply(event.type, event.data)
            if event.time < self._started_at:
                return  # replayed to learn the current notices, not news
        self.publish(event)

    def publish(self, event: CloudEvent) -> LiveEvent:
        """Give the event its id and push it to every listener that may see it."""
        self._seq += 1
        body = {
            "id": event.id,
            "type": event.type,
            "subject": event.subject,
            "time": event.time.isoformat(),
            "data": event.data,
        }
        live = LiveEvent(
            seq=self._seq,
            id=f"{self.epoch}.{self._seq}",
            type=event.type,
            data=event.data,
            line=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        )
        self._recent.append(live)
        for listener in self._listeners:
            if may_see(listener.principal, live.type, live.data):
                try:
                    listener.queue.put_nowait(live)
                except asyncio.QueueFull:
                    listener.end("overflow")
        return live

    def _revoked(self) -> None:
        for listener in self._listeners:
            if self.revocations.refuses(listener.revocation_claims):
                listener.end("revoked")

    # connections

    def listen(self, principal: Principal, revocation_claims: dict[str, Any]) -> Listener:
        listener = Listener(principal, revocation_claims, self.queue_size)
        self._listeners.add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def missed(self, last_event_id: str, principal: Principal) -> list[LiveEvent] | None:
        """The events after `last_event_id` the caller may see; None when they are not known
        any more (another process's id, or older than what is kept)."""
        epoch, _, number = last_event_id.partition(".")
        if epoch != self.epoch or not number.isdigit():
            return None
        last = int(number)
        if last > self._seq:
            return None
        oldest = self._recent[0].seq if self._recent else self._seq + 1
        if last + 1 < oldest:
            return None
        return [e for e in self._recent if e.seq > last and may_see(principal, e.type, e.data)]


def frames(events: Iterable[LiveEvent]) -> bytes:
    return b"".join(event.frame() for event in events)


def named(event: str, data: dict[str, Any] | None = None) -> bytes:
    """An event of the channel itself (`reset`, `expired`, `revoked`), without an id."""
    return b"event: %s\ndata: %s\n\n" % (event.encode(), json.dumps(data or {}).encode())
