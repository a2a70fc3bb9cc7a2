"""5xx answers counted per route and published every minute for the daily log digest.

Every answer of `/api/<service>/...` passes through the proxy, which calls
`ServerErrors.count` for each one with a 5xx status: the service's own 500/503, and the
502/503/504 the gateway makes when the service is down, failing or too slow. The route is the
operation's path template in the service's committed OpenAPI document
(`contracts/openapi/<service>.json`, e.g. `/epes/{epe_id}/cameras`), matched once per concrete
path and cached; a path that matches no operation counts as `*` (the service prefix).

Every `server_errors_flush_seconds` (and when the gateway stops) the counts of the window are
published as `gateway.server_errors.counted.v1` (JetStream, acknowledged, the event id as
`Nats-Msg-Id` so a re-publish is dropped by the stream). A window whose publish fails is kept
(up to `MAX_PENDING` windows) and sent again, with the same id, at the next flush. The gateway
has no database: the counts of the current window (and unsent windows) die with the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cachetools import LRUCache

from servicekit.events.bus import EventBus, OutgoingMessage
from servicekit.events.envelope import CloudEvent, producer_of
from servicekit.events.servererrors import (
    SERVER_ERRORS_SUBJECT,
    UNKNOWN_ROUTE,
    RouteErrors,
    ServerErrorsCounted,
)

log = logging.getLogger(__name__)

MAX_PENDING = 60
"""Windows kept while NATS is unreachable (an hour at the default flush), oldest dropped."""
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PARAMETER = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True, slots=True)
class _Template:
    method: str
    path: str
    pattern: re.Pattern[str]
    rank: tuple[int, ...]  # literal segments (0) before parameters (1), segment by segment


def _compile(method: str, path: str) -> _Template:
    pattern = "".join(
        "[^/]+" if _PARAMETER.fullmatch(part) else re.escape(part)
        for part in re.split(r"(\{[^/{}]+\})", path)
        if part
    )
    rank = tuple(1 if _PARAMETER.fullmatch(s) else 0 for s in path.strip("/").split("/"))
    return _Template(method, path, re.compile(pattern), rank)


class RouteTemplates:
    """The operations of each service's OpenAPI document; `route()` names a concrete path."""

    def __init__(self, documents: dict[str, dict[str, object]], *, cache_size: int = 4096):
        self._templates: dict[str, list[_Template]] = {}
        for service, document in documents.items():
            paths = document.get("paths", {})
            templates = [
                _compile(method.upper(), path)
                for path, item in (paths.items() if isinstance(paths, dict) else ())
                if isinstance(item, dict)
                for method in item
                if method in HTTP_METHODS
            ]
            templates.sort(key=lambda t: t.rank)
            self._templates[service] = templates
        self._cache: LRUCache[tuple[str, str, str], str] = LRUCache(maxsize=cache_size)

    @classmethod
    def from_directory(cls, directory: Path, services: list[str]) -> RouteTemplates:
        """Read `<directory>/<service>.json` for each service (a missing one: every path `*`)."""
        documents: dict[str, dict[str, object]] = {}
        for service in services:
            try:
                documents[service] = json.loads((directory / f"{service}.json").read_text())
            except (OSError, ValueError) as exc:
                log.warning("no OpenAPI document for %s (%s): its 5xx count as *", service, exc)
        return cls(documents)

    def route(self, service: str, method: str, path: str) -> str:
        """The path template of `method path` in the service, or `*`."""
        key = (service, method, path)
        found = self._cache.get(key)
        if found is None:
            found = next(
                (
                    t.path
                    for t in self._templates.get(service, ())
                    if t.method == method and t.pattern.fullmatch(path)
                ),
                UNKNOWN_ROUTE,
            )
            self._cache[key] = found
        return found


def process_name() -> str:
    """This gateway process: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class ServerErrors:
    """Counts 5xx per route in memory; `run()` publishes them each window."""

    def __init__(
        self,
        templates: RouteTemplates,
        bus: EventBus | None,
        *,
        flush_seconds: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        name: str | None = None,
    ) -> None:
        self.templates = templates
        self.bus = bus
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.name = name or process_name()
        self._counts: Counter[tuple[str, str, str, int]] = Counter()
        self._window_start = clock()
        self._pending: list[CloudEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    def count(self, service: str, method: str, path: str, status: int) -> None:
        """One 5xx answer of `method path` (the path within the service)."""
        route = self.templates.route(service, method, path)
        self._counts[(service, method, route, status)] += 1

    @property
    def pending(self) -> list[CloudEvent]:
        """Windows closed but not yet acknowledged by the stream."""
        return list(self._pending)

    def close_window(self) -> CloudEvent | None:
        """End the current window; its event (None when it had no 5xx) joins the pending."""
        now = self.clock()
        counts, self._counts = self._counts, Counter()
        start, self._window_start = self._window_start, now
        if not counts:
            return None
        payload = ServerErrorsCounted(
            gateway=self.name,
            window_start=start,
            window_end=now,
            routes=[
                RouteErrors(service=s, method=m, route=r, status=st, count=n)
                for (s, m, r, st), n in sorted(counts.items())
            ],
        )
        event = CloudEvent.new(payload, subject=f"gateway:{self.name}", time=now)
        self._pending.append(event)
        if len(self._pending) > MAX_PENDING:
            dropped = self._pending.pop(0)
            log.error("5xx counts of the window ending %s dropped: NATS unreachable", dropped.time)
        return event

    async def flush(self) -> int:
        """Close the window and publish every pending window; how many are still pending."""
        async with self._lock:
            self.close_window()
            if not self._pending or self.bus is None:
                return len(self._pending)
            if not self.bus.connected:
                return len(self._pending)
            try:
                await self.bus.ensure_stream(producer_of(SERVER_ERRORS_SUBJECT))
            except Exception as exc:
                log.warning("cannot publish the 5xx counts yet: %s", exc)
                return len(self._pending)
            sent = await self.bus.publish_many(
                [
                    OutgoingMessage(subject=e.type, payload=e.to_json().encode(), msg_id=e.id)
                    for e in self._pending
                ]
            )
            self._pending = [e for e, ok in zip(self._pending, sent, strict=True) if not ok]
            return len(self._pending)

    async def start(self) -> None:
        self._stop.clear()
        self._window_start = self.clock()
        self._task = asyncio.create_task(self._run(), name="server-errors")

    async def stop(self) -> None:
        """Stop the timer and publish what was counted (the bus must still be open)."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            left = await self.flush()
        except Exception:
            log.exception("publishing the last 5xx counts failed")
            return
        if left:
            log.error("%d window(s) of 5xx counts lost at shutdown: NATS unreachable", left)

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.flush_seconds)
            if self._stop.is_set():
                return
            try:
                await self.flush()
            except Exception:
                log.exception("publishing the 5xx counts failed; retrying at the next flush")
