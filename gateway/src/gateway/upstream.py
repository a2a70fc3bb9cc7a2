"""The proxy's HTTP/1.1 client: pooled keep-alive connections parsed with httptools.

aiohttp's client was a quarter of the gateway's CPU per request (a request, a response, a
stream reader and writer, a connection wrapper and timers rescheduled on every read, each
proxied request). The proxy needs far less: bytes in, bytes out, the same service over and
over. Here a request is one socket write (head and small body together), a response is one
object filled by httptools' C parser, and the only timer is armed once per request.

What the proxy relies on, kept from its aiohttp days:

- a limit on open connections (`limit`): requests past it wait for one to come back;
- idle connections kept `keepalive` seconds, the most recently used first;
- `connect_timeout` (then `TimeoutError`), unreachable services (`UpstreamUnavailable`),
  `read_timeout` of silence from the service while it owes an answer, or of a service not
  reading a streamed request body (`TimeoutError`);
- bodies streamed both ways with backpressure: a request body from an async iterator
  (`Content-Length` if given, else chunked) while the answer may already come back, a
  response body chunk by chunk, reading paused while the proxy's client is slower;
- a connection that answered 5xx, a HEAD, or a response not read to its end is closed,
  never reused: uvicorn closes after an unhandled error without saying so;
- `UpstreamDisconnected.stale`: a reused connection the service had closed, which failed
  before any byte of an answer, so the proxy may send the request again on a fresh one.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

# Response bytes buffered before reading from the service pauses (the proxy's client is
# slower than the service).
HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    """The service answered badly or not at all (the proxy's 502)."""


class UpstreamUnavailable(UpstreamError):
    """No connection to the service could be opened (the proxy's 503)."""


class UpstreamDisconnected(UpstreamError):
    """The connection closed before the response was complete."""

    def __init__(self, message: str, *, stale: bool) -> None:
        super().__init__(message)
        self.stale = stale  # reused, and not a byte of an answer came back


class Origin:
    """Where a service listens, parsed once: scheme, address, the Host header, path prefix."""

    __slots__ = ("host", "host_header", "path", "port", "ssl")

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        secure = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if secure else 80)
        self.host_header = parts.netloc.rpartition("@")[2].encode("idna")
        self.path = parts.path.rstrip("/").encode()
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if secure else None


class UpstreamResponse:
    """A service's answer: status and raw headers at once, the body as it arrives."""

    __slots__ = (
        "_chunks",
        "_conn",
        "_error",
        "_head_only",
        "_size",
        "_waiter",
        "_writer",
        "complete",
        "content_length",
        "framed",
        "headers",
        "headers_done",
        "keep_alive",
        "received",
        "reused",
        "status",
    )

    def __init__(self, conn: _Connection, *, head_only: bool, reused: bool) -> None:
        self._conn: _Connection | None = conn
        self._head_only = head_only
        self.reused = reused
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self.framed = False  # a Content-Length or chunked body: its end is not the EOF
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.received = False  # any byte of this answer
        self._chunks: list[bytes] = []
        self._size = 0
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    # -- what the connection tells it --------------------------------------------------------

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if not self.complete and self._error is None:
            self._error = error
            self._wake()

    # -- what the proxy calls -------------------------------------------------------------

    async def _wait(self) -> None:
        """Until the connection has news (head, body, end, or failure)."""
        if self._error is not None:
            raise self._error
        conn = self._conn
        if conn is None:
            raise UpstreamError("the response was released")
        conn.resume()
        self._waiter = conn.loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body; past `limit` bytes an `UpstreamError`."""
        while not self.complete:
            if limit is not None and self._size > limit:
                raise UpstreamError(f"the body exceeds {limit} bytes")
            await self._wait()
        chunks = self._chunks
        self._chunks = []
        self._size = 0
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if limit is not None and len(body) > limit:
            raise UpstreamError(f"the body exceeds {limit} bytes")
        return body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: what is buffered at each turn, in one piece."""
        while True:
            if self._chunks:
                chunks = self._chunks
                self._chunks = []
                self._size = 0
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif self.complete:
                return
            else:
                await self._wait()

    def release(self) -> None:
        """Give the connection back if the answer was whole and reusable, else close it."""
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        writer = self._writer
        unsent = writer is not None and not writer.done()
        if writer is not None:
            if unsent:
                writer.cancel()
            elif not writer.cancelled():
                writer.exception()  # seen: a body that failed after the answer came is moot
        if (
            self.complete
            and self.keep_alive
            and self.status < 500
            and not self._head_only
            and not unsent
        ):
            conn.pool.put(conn)
        else:
            conn.close()


class _Connection(asyncio.Protocol):
    """One kept-alive connection to a service; feeds its current response."""

    def __init__(self, pool: UpstreamPool, key: Origin) -> None:
        self.pool = pool
        self.key = key
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: UpstreamResponse | None = None
        self.closed = False
        self.idle_since = 0.0
        self.last_read = 0.0
        self.paused = False  # reading paused: the response's reader is behind
        self._timer: asyncio.TimerHandle | None = None
        self._drain: asyncio.Future[None] | None = None
        self._can_write = True

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        response = self.response
        if response is None or response.complete:
            # Nothing was asked: a service talking out of turn cannot be trusted further.
            self.close()
            return
        response.received = True
        self.last_read = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._failed(UpstreamError(f"not an HTTP answer: {exc}"))
        except httptools.HttpParserUpgrade:
            self._failed(UpstreamError("the service switched protocols"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._disarm()
        response = self.response
        if response is not None and not response.complete:
            if response.headers_done and not response.framed:
                response.complete = True  # a body delimited by the end of the connection
                response._wake()
            else:
                stale = response.reused and not response.received
                reason = f": {exc}" if exc is not None else ""
                response._fail(UpstreamDisconnected(f"connection lost{reason}", stale=stale))
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_exception(UpstreamDisconnected("connection lost", stale=False))
        self.pool.forget(self)

    def pause_writing(self) -> None:
        self._can_write = False

    def resume_writing(self) -> None:
        self._can_write = True
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- httptools callbacks ---------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        response = self.response
        assert response is not None
        response.headers.append((name, value))
        size = len(name)
        if size == 14 and name.lower() == b"content-length":
            response.framed = True
            response.content_length = int(value) if value.isdigit() else None
        elif size == 17 and name.lower() == b"transfer-encoding":
            response.framed = True

    def on_headers_complete(self) -> None:
        response = self.response
        assert response is not None
        status = self.parser.get_status_code()
        if status < 200:
            response.headers = []  # an interim answer (103 Early Hints): the final one follows
            response.framed = False
            response.content_length = None
            return
        response.status = status
        response.headers_done = True
        if response._head_only:  # no body follows, whatever its headers say
            response.complete = True
            self._disarm()
        response._wake()

    def on_body(self, body: bytes) -> None:
        response = self.response
        assert response is not None
        response._chunks.append(body)
        response._size += len(body)
        if response._size > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        response._wake()

    def on_message_complete(self) -> None:
        response = self.response
        assert response is not None
        if not response.headers_done:
            return  # the end of an interim answer
        if not response.complete:
            response.complete = True
            response.keep_alive = self.parser.should_keep_alive()
            self._disarm()
            response._wake()

    # -- used by the pool and the response -------------------------------------------------

    def send(self, response: UpstreamResponse, data: bytes) -> None:
        self.response = response
        assert self.transport is not None
        self.transport.write(data)

    async def write(self, data: bytes) -> None:
        """Write part of a streamed request body, waiting while the socket is full."""
        if self.closed or self.transport is None:
            raise UpstreamDisconnected("connection lost", stale=False)
        self.transport.write(data)
        if not self._can_write:
            self._drain = self.loop.create_future()
            try:
                # A service that stops reading is as silent as one that stops answering.
                async with asyncio.timeout(self.pool.read_timeout):
                    await self._drain
            finally:
                self._drain = None

    def resume(self) -> None:
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def arm(self, timeout: float) -> None:
        """Start counting the service's silence (the request is out)."""
        response = self.response
        if response is None or response.complete or self.closed:
            return
        now = self.loop.time()
        self.last_read = now
        self._timer = self.loop.call_at(now + timeout, self._silence, timeout)

    def _silence(self, timeout: float) -> None:
        self._timer = None
        response = self.response
        if response is None or response.complete or self.closed:
            return
        due = self.last_read + timeout
        if self.paused:  # the proxy's client is behind, not the service
            due = self.loop.time() + timeout
        if self.loop.time() >= due:
            self._failed(TimeoutError(f"the service was silent for {timeout:g} s"))
        else:
            self._timer = self.loop.call_at(due, self._silence, timeout)

    def _disarm(self) -> None:
        timer = self._timer
        if timer is not None:
            timer.cancel()
            self._timer = None

    def _failed(self, error: BaseException) -> None:
        response = self.response
        if response is not None:
            response._fail(error)
        self.close(abort=True)

    def close(self, *, abort: bool = False) -> None:
        self._disarm()
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                transport.close()


class UpstreamPool:
    """Kept-alive connections to the services, at most `limit` open at once."""

    def __init__(
        self,
        *,
        limit: int,
        keepalive: float,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.limit = limit
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._connecting = 0
        self._waiters: list[asyncio.Future[None]] = []
        self.closed = False

    async def request(
        self,
        origin: Origin,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None,
        *,
        fresh: bool = False,
    ) -> UpstreamResponse:
        """Send a request and wait for the head of its answer (`fresh`: a new connection).

        `headers` go as they are, with Host added; a bytes body gets its Content-Length, a
        streamed one keeps the caller's Content-Length or goes chunked.
        """
        conn, reused = await self._acquire(origin, fresh=fresh)
        response = UpstreamResponse(conn, head_only=method == "HEAD", reused=reused)
        start = b"%s %s%s HTTP/1.1\r\nhost: %s\r\n"
        lines = [start % (method.encode(), origin.path, target, origin.host_header)]
        lines += [b"%s: %s\r\n" % header for header in headers]
        try:
            if body is None or isinstance(body, bytes):
                if body or method in ("POST", "PUT", "PATCH"):
                    lines.append(b"content-length: %d\r\n\r\n" % len(body or b""))
                    if body:
                        lines.append(body)
                else:
                    lines.append(b"\r\n")
                conn.send(response, b"".join(lines))
                conn.arm(self.read_timeout)
                while not response.headers_done:
                    await response._wait()
            else:
                chunked = not any(name == b"content-length" for name, _ in headers)
                if chunked:
                    lines.append(b"transfer-encoding: chunked\r\n")
                lines.append(b"\r\n")
                conn.send(response, b"".join(lines))
                await self._stream(conn, response, body, chunked=chunked)
        except BaseException:
            response.release()  # not complete: closes the connection
            raise
        return response

    async def _stream(
        self,
        conn: _Connection,
        response: UpstreamResponse,
        body: AsyncIterator[bytes],
        *,
        chunked: bool,
    ) -> None:
        """Send the body while waiting for the answer: a service may answer before the end
        (a 413, a 401), and then the rest is not sent."""

        async def send_body() -> None:
            async for chunk in body:
                if chunk:
                    await conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                await conn.write(b"0\r\n\r\n")
            conn.arm(self.read_timeout)

        writer = asyncio.ensure_future(send_body())
        response._writer = writer
        head = asyncio.ensure_future(self._head(response))
        try:
            await asyncio.wait((writer, head), return_when=asyncio.FIRST_COMPLETED)
            if writer.done() and writer.exception() is not None:
                raise writer.exception()  # type: ignore[misc]
            await head
        finally:
            if not head.done():
                head.cancel()

    @staticmethod
    async def _head(response: UpstreamResponse) -> None:
        while not response.headers_done:
            await response._wait()

    # -- the pool --------------------------------------------------------------------------

    async def _acquire(self, origin: Origin, *, fresh: bool) -> tuple[_Connection, bool]:
        while True:
            if not fresh:
                conn = self._idle_connection(origin)
                if conn is not None:
                    return conn, True
            if len(self._open) + self._connecting < self.limit:
                return await self._connect(origin), False
            if self._close_idle(origin, own=fresh):
                continue
            waiter = self.loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # pass the turn on
                raise

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        conn = idle.pop()
        if self.loop.time() - conn.idle_since > self.keepalive:
            # The newest is too old: so are all the others.
            for old in (*idle, conn):
                old.close()
            idle.clear()
            return None
        return conn

    def _close_idle(self, origin: Origin, *, own: bool) -> bool:
        """At the limit: close an idle connection to another service (or, for a fresh
        connection, to this one) to make room."""
        for key, idle in self._idle.items():
            if idle and (own or key is not origin):
                idle.pop(0).close()
                return True
        return False

    async def _connect(self, origin: Origin) -> _Connection:
        self._connecting += 1
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await self.loop.create_connection(
                    lambda: _Connection(self, origin),
                    origin.host,
                    origin.port,
                    ssl=origin.ssl,
                    server_hostname=origin.host if origin.ssl is not None else None,
                )
        except BaseException as exc:
            self._connecting -= 1
            self._wake()
            if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
                where = f"{origin.host}:{origin.port}"
                raise UpstreamUnavailable(f"cannot connect to {where}: {exc}") from exc
            raise
        self._connecting -= 1
        if not conn.closed:
            self._open.add(conn)
        return conn

    def put(self, conn: _Connection) -> None:
        """A connection whose answer was read whole: idle until the next request."""
        conn.response = None
        if conn.closed or self.closed:
            conn.close()
            return
        conn.idle_since = self.loop.time()
        self._idle.setdefault(conn.key, []).append(conn)
        self._wake()

    def forget(self, conn: _Connection) -> None:
        """A connection closed (by either side)."""
        self._open.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close every connection (the gateway is stopping)."""
        self.closed = True
        for conn in list(self._open):
            conn.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports call connection_lost
