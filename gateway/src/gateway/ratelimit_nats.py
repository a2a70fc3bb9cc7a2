"""Rate-limit buckets shared by every gateway replica, in a JetStream key-value bucket.

Each client's bucket is one KV entry (its arrival time per rate, packed doubles, and a nonce) under
`<kind>.<sha256 of the client>`; a hit reads the entry and writes the advanced value only if
the entry's revision is still the one read (compare-and-set), retrying on a conflict, so two
replicas never both spend the same token. The KV bucket keeps entries in memory, replicated
like the event streams (`nats_stream_replicas`), and expires an entry once it has not been
written for the longest rate period: by then the client's bucket is full again, so nothing
needs sweeping.

Replicas compare arrival times with their own clocks, so the limits are as exact as the
clocks are in step (NTP keeps them within milliseconds; the periods are seconds to hours).
When NATS does not answer in time, the replica counts in its own memory meanwhile (the limit
then holds per replica, as without sharing) and logs it once per outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import struct

import nats
from nats.js.api import StorageType
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoStreamResponseError,
)
from nats.js.kv import KeyValue

from gateway.ratelimit import (
    BucketStore,
    MemoryBuckets,
    RateLimits,
    Rates,
    advance,
    wait_time,
)
from gateway.settings import GatewaySettings
from servicekit.events.bus import EventBus

log = logging.getLogger("gateway.ratelimit")

# Compare-and-set attempts for one hit: each conflict means another request of the same
# client was counted in between (so the client is busy); past this many the hit is refused
# for the shortest interval rather than counted twice.
MAX_ATTEMPTS = 32
NONCE_BYTES = 8
# What NATS answers when no stream holds the bucket any more (a restarted single server).
BUCKET_GONE = (nats.errors.NoRespondersError, NoStreamResponseError)
# Seconds the gateway's start-up waits for the shared bucket before serving without it.
START_WAIT = 5.0


class SharedBuckets:
    """The NATS connection and KV bucket that every kind of client's `NatsBuckets` uses.

    `start` waits a few seconds for NATS; past that the gateway serves with per-replica counts
    while a background task keeps connecting (NATS down must not keep the gateway down).
    """

    def __init__(self, settings: GatewaySettings, *, ttl: float) -> None:
        self.settings = settings
        self.ttl = ttl
        self.kv: KeyValue | None = None
        self.degraded = False
        self._bus: EventBus | None = None
        self._opener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._bus = EventBus(
            self.settings.nats_url,
            name="camwatch-gateway-ratelimit",
            replicas=self.settings.nats_stream_replicas,
            # One operation; `take` retries within rate_limit_store_timeout (a lost node).
            api_timeout=min(self.settings.rate_limit_store_timeout, 1.0),
        )
        self._opener = asyncio.create_task(self._open(self._bus), name="ratelimit-kv")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._opener), START_WAIT)
        if self.kv is None:
            self.failed(TimeoutError(f"no key-value bucket within {START_WAIT:.0f} s"))

    async def _open(self, bus: EventBus) -> None:
        """Connect (retrying forever), then open the KV bucket, creating it if it is missing."""
        await bus.connect()
        bucket = self.settings.rate_limit_bucket
        while self.kv is None:
            try:
                try:
                    self.kv = await bus.js.key_value(bucket)
                except BucketNotFoundError:
                    self.kv = await bus.js.create_key_value(
                        bucket=bucket,
                        description="gateway rate limits: arrival times per client and rate",
                        history=1,
                        ttl=self.ttl,
                        storage=StorageType.MEMORY,
                        replicas=bus.replicas,
                    )
            except (OSError, TimeoutError, nats.errors.Error) as exc:
                self.failed(exc)
                await asyncio.sleep(1.0)
        self.recovered()

    async def stop(self) -> None:
        if self._opener is not None:
            self._opener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._opener
            self._opener = None
        if self._bus is not None:
            await self._bus.close()
            self._bus = None
        self.kv = None

    def lost(self, exc: BaseException) -> None:
        """Nothing answers for the bucket (a restarted NATS keeps no in-memory stream): count
        locally and make the bucket again in the background."""
        self.failed(exc)
        if self._bus is not None and (self._opener is None or self._opener.done()):
            self.kv = None
            self._opener = asyncio.create_task(self._open(self._bus), name="ratelimit-kv")

    def failed(self, exc: BaseException) -> None:
        if not self.degraded:
            log.warning("rate limits counted per replica: NATS did not answer (%r)", exc)
        self.degraded = True

    def recovered(self) -> None:
        if self.degraded:
            log.info("rate limits shared again through NATS")
        self.degraded = False


class NatsBuckets:
    """One kind of client's buckets in the shared KV bucket (see the module's docstring)."""

    def __init__(self, shared: SharedBuckets, kind: str) -> None:
        self._shared = shared
        self._kind = kind
        self._local = MemoryBuckets()

    def _key(self, client: str) -> str:
        # KV keys allow [-/_=.a-zA-Z0-9]; a digest also keeps addresses and subjects out of it.
        return f"{self._kind}.{hashlib.sha256(client.encode()).hexdigest()[:40]}"

    async def take(self, key: str, rates: Rates, now: float) -> float:
        kv = self._shared.kv
        if kv is None:
            return self._local.take_now(key, rates, now)
        name = self._key(key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._shared.settings.rate_limit_store_timeout
        written: bytes | None = None  # a write whose answer was lost (it may have landed)
        for _ in range(MAX_ATTEMPTS):
            try:
                arrivals, revision, raw = await _read(kv, name, len(rates), now)
                if written is not None and raw == written:
                    break  # the lost answer's write did land: this request is counted
                written = None
                wait = wait_time(arrivals, rates, now)
                if wait > 0.0:
                    self._shared.recovered()
                    return wait
                advance(arrivals, rates, now)
                written = _pack(arrivals)
                if revision is None:
                    await kv.create(name, written)
                else:
                    await kv.update(name, written, last=revision)
                break
            except KeyWrongLastSequenceError:
                continue  # another request of this client was counted meanwhile: read again
            except (TimeoutError, nats.errors.Error) as exc:
                # A node died, the connection moves to another, or the stream elects a new
                # leader (it answers "no responders" meanwhile): retry while time is left.
                if loop.time() >= deadline:
                    self._gave_up(exc)
                    return self._local.take_now(key, rates, now)
                await asyncio.sleep(0.05)
        else:
            return min(rate.interval for rate in rates)
        self._shared.recovered()
        return 0.0

    def _gave_up(self, exc: BaseException) -> None:
        if isinstance(exc, BUCKET_GONE):
            self._shared.lost(exc)  # a restarted single server lost the bucket: make it anew
        else:
            self._shared.failed(exc)

    async def wait(self, key: str, rates: Rates, now: float) -> float:
        kv = self._shared.kv
        if kv is None:
            return await self._local.wait(key, rates, now)
        try:
            arrivals, _revision, _raw = await _read(kv, self._key(key), len(rates), now)
        except BUCKET_GONE as exc:
            self._shared.lost(exc)
            return await self._local.wait(key, rates, now)
        except (TimeoutError, nats.errors.Error) as exc:
            self._shared.failed(exc)
            return await self._local.wait(key, rates, now)
        return wait_time(arrivals, rates, now)

    async def sweep(self, now: float) -> None:
        await self._local.sweep(now)  # the KV bucket's TTL drops idle clients itself

    async def reset(self) -> None:
        await self._local.reset()
        kv = self._shared.kv
        if kv is not None:
            for name in await _keys(kv, self._kind):
                await kv.purge(name)


async def _read(
    kv: KeyValue, name: str, count: int, now: float
) -> tuple[list[float], int | None, bytes | None]:
    """The client's arrival times, the entry's revision (None: no entry, a full bucket) and
    its raw value."""
    try:
        entry = await kv.get(name)
    except KeyNotFoundError:
        return [now] * count, None, None
    value = entry.value or b""
    if len(value) != 8 * count + NONCE_BYTES:  # written under other rates: start afresh
        return [now] * count, entry.revision, value
    return list(struct.unpack_from(f"<{count}d", value)), entry.revision, value


def _pack(arrivals: list[float]) -> bytes:
    """The arrival times, then a random nonce: two requests advancing the same state write
    equal times, and a request whose answer was lost must recognise its own write."""
    return struct.pack(f"<{len(arrivals)}d", *arrivals) + secrets.token_bytes(NONCE_BYTES)


async def _keys(kv: KeyValue, kind: str) -> list[str]:
    try:
        keys: list[str] = await kv.keys()
    except nats.js.errors.NoKeysError:
        return []
    return [key for key in keys if key.startswith(kind + ".")]


def nats_rate_limits(settings: GatewaySettings) -> RateLimits:
    """Rate limits whose buckets every replica shares through NATS."""
    probe = RateLimits(settings)
    shared = SharedBuckets(settings, ttl=probe.longest_period + 1.0)

    def store(kind: str) -> BucketStore:
        return NatsBuckets(shared, kind)

    return RateLimits(settings, store=store, on_start=shared.start, on_stop=shared.stop)
