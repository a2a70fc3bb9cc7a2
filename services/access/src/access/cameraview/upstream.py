"""The frame hub: one upstream connection per camera, shared by every viewer of this replica.

A feed opens the camera's HTTP stream (MJPEG `multipart/x-mixed-replace`, or a JPEG URL that
is polled) through the camera network policy (`servicekit.netpolicy`: the host resolved once,
every address checked, the connection made to a checked address, no redirects), signs in with
the account from the vault (digest, else basic) and keeps the latest frame. Viewers read that
frame at most `max_fps` times a second; a frame larger than `max_frame_bytes` is refused; a
feed nobody read for `idle_seconds` is closed. The password lives in the feed's memory only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from servicekit.netpolicy import IPAddress, NameNotResolved, ProbePolicy, ProbeRefused, ip_literal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraTarget:
    """Where a camera streams and the account to sign in with (never logged: repr hides it)."""

    camera_id: str
    url: str
    account: str = field(repr=False)
    password: str = field(repr=False)


class CameraUnreachable(Exception):
    """The camera could not be reached or sent no usable image; `cause` is one word."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


class HubFull(Exception):
    """This replica already holds its maximum of camera connections."""


@dataclass(frozen=True)
class HubLimits:
    timeout: float = 5.0
    max_fps: float = 2.0
    max_frame_bytes: int = 1_048_576
    idle_seconds: float = 15.0
    max_feeds: int = 200


async def _checked_addresses(url: str, policy: ProbePolicy) -> tuple[httpx.URL, list[IPAddress]]:
    try:
        original = httpx.URL(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (httpx.InvalidURL, ValueError):
        raise CameraUnreachable("refused", "the stream URL is not valid") from None
    if original.scheme not in {"http", "https"} or not parts.hostname:
        raise CameraUnreachable("refused", "only HTTP(S) camera streams can be viewed")
    try:
        return original, await policy.resolve(parts.hostname, port)
    except ProbeRefused as exc:
        raise CameraUnreachable("refused", f"camera network policy: {exc.reason}") from None
    except NameNotResolved:
        raise CameraUnreachable(
            "connect_error", "the camera's host name does not resolve"
        ) from None


async def open_stream(
    client: httpx.AsyncClient, target: CameraTarget, *, policy: ProbePolicy, wait: float
) -> httpx.Response:
    """The camera's answer (streaming, status 200), to a checked address; digest, else basic."""
    original, addresses = await _checked_addresses(target.url, policy)
    by_name = ip_literal(original.host) is None
    extensions = {"sni_hostname": original.host} if by_name and original.scheme == "https" else {}
    headers = {"Host": original.netloc.decode("ascii"), "Accept": "image/jpeg, multipart/*"}
    schemes: list[httpx.Auth] = [
        httpx.DigestAuth(target.account, target.password),
        httpx.BasicAuth(target.account, target.password),
    ]
    failure = "no address"
    for address in addresses:
        url = original.copy_with(host=str(address))
        for auth in schemes:
            request = client.build_request(
                "GET", url, headers=headers, timeout=wait, extensions=extensions
            )
            try:
                response = await client.send(request, auth=auth, stream=True)
            except httpx.TimeoutException:
                raise CameraUnreachable("timeout", f"no answer within {wait:g} s") from None
            except httpx.ConnectError:
                failure = f"connection to {address} failed"
                break  # the next address
            except httpx.HTTPError as exc:
                raise CameraUnreachable("bad_stream", type(exc).__name__) from None
            challenge = response.headers.get("www-authenticate", "").lower()
            if response.status_code == 401 and challenge.startswith("basic") and auth is schemes[0]:
                await response.aclose()
                continue
            if response.status_code != 200:
                await response.aclose()
                raise CameraUnreachable(
                    "http_status", f"the camera answered HTTP {response.status_code}"
                )
            return response
    raise CameraUnreachable("connect_error", failure)


def boundary_of(content_type: str) -> bytes | None:
    """The multipart boundary of an MJPEG stream, or None for a single image."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/x-mixed-replace":
        return None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').removeprefix("--").encode()
    return None


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


class MultipartFrames:
    """Splits an MJPEG byte stream into JPEG frames, bounded by `limit` bytes per frame."""

    def __init__(self, boundary: bytes, limit: int) -> None:
        self.marker = b"--" + boundary
        self.limit = limit
        self.buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self.buffer += chunk
        frames: list[bytes] = []
        while True:
            start = self.buffer.find(self.marker)
            if start < 0:
                break
            head_end = self.buffer.find(b"\r\n\r\n", start)
            if head_end < 0:
                break
            length = _content_length(self.buffer[start:head_end])
            if length is not None:  # the frame is complete once its declared bytes are in
                if length > self.limit:
                    raise CameraUnreachable("bad_stream", f"a frame exceeds {self.limit} bytes")
                end = head_end + 4 + length
                if len(self.buffer) < end:
                    break
                frames.append(self.buffer[head_end + 4 : end])
                self.buffer = self.buffer[end:]
                continue
            following = self.buffer.find(self.marker, head_end + 4)
            if following < 0:
                break
            frames.append(self.buffer[head_end + 4 : following].rstrip(b"\r\n"))
            self.buffer = self.buffer[following:]
        if len(self.buffer) > self.limit + 4096:
            raise CameraUnreachable("bad_stream", f"a frame exceeds {self.limit} bytes")
        return [f for f in frames if f.startswith(b"\xff\xd8")]


class Feed:
    """One camera's upstream and its latest frame."""

    def __init__(self, hub: FrameHub, target: CameraTarget) -> None:
        self.hub = hub
        self.target = target
        self.frame: bytes | None = None
        self.seq = 0
        self.error: CameraUnreachable | None = None
        self.viewers = 0
        self.last_used = time.monotonic()
        self.changed = asyncio.Condition()
        self.task = asyncio.create_task(self._run())

    @property
    def done(self) -> bool:
        return self.task.done()

    async def _publish(self, frame: bytes | None, error: CameraUnreachable | None = None) -> None:
        async with self.changed:
            if frame is not None and len(frame) <= self.hub.limits.max_frame_bytes:
                self.frame, self.seq = frame, self.seq + 1
            self.error = error
            self.changed.notify_all()

    def _idle(self) -> bool:
        return (
            self.viewers == 0 and time.monotonic() - self.last_used > self.hub.limits.idle_seconds
        )

    async def _run(self) -> None:
        try:
            response = await open_stream(
                self.hub.client,
                self.target,
                policy=self.hub.policy,
                wait=self.hub.limits.timeout,
            )
            try:
                boundary = boundary_of(response.headers.get("content-type", ""))
                if boundary is None:
                    await self._poll(response)
                else:
                    await self._read(response, boundary)
            finally:
                await response.aclose()
        except CameraUnreachable as exc:
            await self._publish(None, exc)
        except httpx.TimeoutException:
            limit = self.hub.limits.timeout
            await self._publish(None, CameraUnreachable("timeout", f"no frame within {limit:g} s"))
        except httpx.HTTPError as exc:
            await self._publish(None, CameraUnreachable("bad_stream", type(exc).__name__))
        finally:
            self.hub.forget(self)

    async def _read(self, response: httpx.Response, boundary: bytes) -> None:
        frames = MultipartFrames(boundary, self.hub.limits.max_frame_bytes)
        async for chunk in response.aiter_raw():
            for frame in frames.feed(chunk):
                await self._publish(frame)
            if self._idle():
                return

    async def _poll(self, response: httpx.Response) -> None:
        """A camera serving one JPEG per request: fetch one at most `max_fps` a second."""
        period = 1.0 / self.hub.limits.max_fps
        while True:
            body = await _bounded_body(response, self.hub.limits.max_frame_bytes)
            await self._publish(body)
            await response.aclose()
            await asyncio.sleep(period)
            if self._idle():
                return
            response = await open_stream(
                self.hub.client,
                self.target,
                policy=self.hub.policy,
                wait=self.hub.limits.timeout,
            )


async def _bounded_body(response: httpx.Response, limit: int) -> bytes:
    body = b""
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > limit:
            raise CameraUnreachable("bad_stream", f"the image exceeds {limit} bytes")
    if not body.startswith(b"\xff\xd8"):
        raise CameraUnreachable("bad_stream", "the camera sent no JPEG image")
    return body


class FrameHub:
    """The feeds of this replica, by camera id."""

    def __init__(self, *, policy: ProbePolicy, limits: HubLimits) -> None:
        self.policy = policy
        self.limits = limits
        self.feeds: dict[str, Feed] = {}
        self.client = httpx.AsyncClient(follow_redirects=False, trust_env=False)

    def forget(self, feed: Feed) -> None:
        if self.feeds.get(feed.target.camera_id) is feed:
            del self.feeds[feed.target.camera_id]

    def _feed(self, target: CameraTarget) -> Feed:
        feed = self.feeds.get(target.camera_id)
        if feed is not None and not feed.done and feed.target == target:
            return feed
        if len(self.feeds) >= self.limits.max_feeds and target.camera_id not in self.feeds:
            raise HubFull(f"this replica already watches {self.limits.max_feeds} cameras")
        feed = Feed(self, target)
        self.feeds[target.camera_id] = feed
        return feed

    async def _next(self, feed: Feed, after: int) -> tuple[bytes, int]:
        """The first frame newer than `after`, within the timeout."""

        def ready() -> bool:
            return feed.seq > after or feed.error is not None or feed.done

        async with feed.changed:
            try:
                await asyncio.wait_for(feed.changed.wait_for(ready), self.limits.timeout)
            except TimeoutError:
                raise CameraUnreachable(
                    "timeout", f"no frame within {self.limits.timeout:g} s"
                ) from None
        if feed.seq > after and feed.frame is not None:
            return feed.frame, feed.seq
        raise feed.error or CameraUnreachable("bad_stream", "the stream ended")

    async def snapshot(self, target: CameraTarget) -> bytes:
        """The latest frame (at most one frame period old), else the next one."""
        feed = self._feed(target)
        feed.last_used = time.monotonic()
        if feed.frame is not None:
            return feed.frame
        frame, _ = await self._next(feed, 0)
        return frame

    async def frames(self, target: CameraTarget, *, max_seconds: float) -> AsyncIterator[bytes]:
        """Frames for one live viewer, at most `max_fps` a second, for at most `max_seconds`."""
        feed = self._feed(target)
        feed.viewers += 1
        period = 1.0 / self.limits.max_fps
        ends = time.monotonic() + max_seconds
        seen = 0
        try:
            while time.monotonic() < ends:
                sent_at = time.monotonic()
                frame, seen = await self._next(feed, seen)
                feed.last_used = time.monotonic()
                yield frame
                await asyncio.sleep(max(0.0, period - (time.monotonic() - sent_at)))
                if feed.done:  # the upstream ended: follow it on a new one
                    feed.viewers -= 1
                    feed = self._feed(target)
                    feed.viewers += 1
                    seen = 0
        finally:
            feed.viewers -= 1
            feed.last_used = time.monotonic()

    async def close(self) -> None:
        for feed in list(self.feeds.values()):
            feed.task.cancel()
        await self.client.aclose()
