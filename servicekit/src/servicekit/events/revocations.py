"""Access tokens revoked before they expire, refused by every service within seconds.

JWT access tokens are checked locally against the JWKS, which alone cannot know that a token
was revoked. The access service therefore publishes `TokensRevoked` (through its outbox) when
it ends tokens early. Each process keeps a `RevocationList` (`get_principal` refuses what it
holds), fed by a `RevocationFeed` that the event runtime starts: an ordered, ephemeral
consumer of `access.tokens.revoked.v1` (not the shared durable of the other subscriptions:
every replica must see every revocation) that starts `window` seconds back, so a restarted
process replays every revocation whose tokens may still be valid; `start()` waits briefly for
that replay so the process serves with it. An entry is forgotten once its tokens expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from nats.aio.msg import Msg
from pydantic import AwareDatetime, Field, ValidationError

from servicekit.events.bus import EventBus
from servicekit.events.envelope import CloudEvent, EventPayload

log = logging.getLogger(__name__)

REVOCATION_SUBJECT = "access.tokens.revoked.v1"


class TokensRevoked(EventPayload):
    """Access tokens that must be refused before they expire: by token id (a signed-out or
    stolen sign-in, one revoked token), or every token of a subject issued up to a moment
    (an officer deactivated or moved to another unit, a machine client disabled or unbound)."""

    event_type: ClassVar[str] = REVOCATION_SUBJECT

    cause: str = Field(max_length=64, examples=["refresh_reused", "deactivated"])
    token_ids: list[str] = Field(
        default_factory=list, description="the `jti` of each revoked access token"
    )
    subject: str | None = Field(
        default=None,
        max_length=64,
        description="with issued_before: every token of this `sub` issued at or before then",
    )
    issued_before: AwareDatetime | None = None
    revoked_at: AwareDatetime
    expires_at: AwareDatetime = Field(
        description="when the last token concerned expires: the revocation can be forgotten"
    )


class RevocationList:
    """Revoked token ids and subjects of one process, each kept until its tokens expired."""

    def __init__(self) -> None:
        self._tokens: dict[str, float] = {}
        self._subjects: dict[str, tuple[int, float]] = {}

    def add(self, revoked: TokensRevoked) -> None:
        """Record a revocation (idempotent: replaying an event changes nothing)."""
        now = time.time()
        self._forget_expired(now)
        until = revoked.expires_at.timestamp()
        if until <= now:
            return
        for jti in revoked.token_ids:
            self._tokens[jti] = max(until, self._tokens.get(jti, 0.0))
        if revoked.subject is not None and revoked.issued_before is not None:
            cutoff = int(revoked.issued_before.timestamp())
            known_cutoff, known_until = self._subjects.get(revoked.subject, (0, 0.0))
            self._subjects[revoked.subject] = (max(cutoff, known_cutoff), max(until, known_until))

    def refuses(self, claims: dict[str, Any]) -> bool:
        """Whether the token with these (verified) claims was revoked."""
        jti = claims.get("jti")
        if isinstance(jti, str) and jti in self._tokens:
            return True
        revoked = self._subjects.get(str(claims.get("sub")))
        if revoked is None:
            return False
        issued = claims.get("iat")
        return not isinstance(issued, int | float) or issued <= revoked[0]

    def __len__(self) -> int:
        return len(self._tokens) + len(self._subjects)

    def _forget_expired(self, now: float) -> None:
        for jti in [k for k, until in self._tokens.items() if until <= now]:
            del self._tokens[jti]
        for sub in [k for k, (_, until) in self._subjects.items() if until <= now]:
            del self._subjects[sub]


class RevocationFeed:
    """Keeps one process's revocation list up to date while the service runs."""

    def __init__(
        self,
        *,
        bus: EventBus,
        revocations: RevocationList,
        window: float,
        catch_up_timeout: float = 5.0,
        retry_delay: float = 1.0,
    ) -> None:
        self.bus = bus
        self.revocations = revocations
        self.window = window
        self.catch_up_timeout = catch_up_timeout
        self.retry_delay = retry_delay
        self._stop = asyncio.Event()
        self._caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscription: Any = None
        self._seen = 0
        self._backlog: int | None = None

    @property
    def caught_up(self) -> bool:
        """Whether the revocations that were waiting at start-up have been applied."""
        return self._caught_up.is_set()

    async def start(self) -> None:
        """Follow the revocations; when NATS is up, wait (briefly) for the replay."""
        if self._task is not None:
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="revocation-feed")
        if self.bus.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._caught_up.wait(), self.catch_up_timeout)
            if not self.caught_up:
                log.warning("revocations not replayed within %.0f s", self.catch_up_timeout)

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _run(self) -> None:
        while not self._stop.is_set():
            if self._subscription is None:
                if not await self.bus.wait_connected(self.retry_delay):
                    continue
                try:
                    await self._subscribe()
                except Exception as exc:
                    log.warning("cannot follow %s yet: %s", REVOCATION_SUBJECT, exc)
                    await asyncio.sleep(self.retry_delay)
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.retry_delay)

    async def _subscribe(self) -> None:
        since = datetime.now(UTC) - timedelta(seconds=self.window)
        self._subscription, self._backlog = await self.bus.follow(
            REVOCATION_SUBJECT, since=since, cb=self._on_message
        )
        self._check_caught_up()

    async def _on_message(self, msg: Msg) -> None:
        try:
            event = CloudEvent.from_json(msg.data)
            self.revocations.add(TokensRevoked.model_validate(event.data))
        except ValidationError as exc:
            log.error("ignored an invalid %s message: %s", REVOCATION_SUBJECT, exc)
        self._seen += 1
        self._check_caught_up()

    def _check_caught_up(self) -> None:
        if self._backlog is not None and self._seen >= self._backlog:
            self._caught_up.set()
