"""The proxy path `/api/<service>/<path>`: a raw ASGI handler in front of a lean pooled client.

Everything on this path is per request, so it avoids framework layers: one pass over the
request headers, a token check answered from the verified-token cache, a rate-limit hit, one
server span whose `traceparent` goes upstream, and bodies streamed in both directions
(small bodies are sent in one piece, large or unsized ones chunk by chunk with
backpressure on both sides).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import Message, Receive, Scope, Send

from gateway.auth import CachedTokenVerifier, Caller, bearer, compile_public_paths
from gateway.live import LIVE_PATH, RETRY_MS, Listener, LiveHub, frames, named
from gateway.openapi import through_gateway
from gateway.ratelimit import RateLimits, attempt_key
from gateway.servererrors import ServerErrors
from gateway.settings import DOCS_ASSETS_URL, SECRET_PATH_PREFIXES, GatewaySettings
from gateway.upstream import (
    Origin,
    UpstreamDisconnected,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamUnavailable,
)
from servicekit.auth import Role, unauthorized
from servicekit.errors import PROBLEM_JSON, Problem, problem_body
from servicekit.telemetry import inject_headers, spans_recorded

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
SMALL_BODY = 64 * 1024
SWEEP_INTERVAL = 1.0  # seconds between rate-limit expiry sweeps
FAILED_ATTEMPT = frozenset({400, 401})  # how the access service refuses credentials
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Request headers the gateway reads or replaces instead of copying.
_REQUEST_SPECIAL = HOP_BY_HOP | {
    b"host",
    b"authorization",
    b"content-length",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-forwarded-prefix",
    b"x-request-id",
    b"traceparent",
    b"tracestate",
    b"baggage",
    b"expect",  # 100-continue is settled between the client and the gateway's server
}
MAINTENANCE_HEADER = b"camwatch-maintenance"
_LIVE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # a reverse proxy in front must not hold events back
]
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
# The gateway's server sets Date and Server itself, and the request id is the gateway's.
_RESPONSE_DROP = HOP_BY_HOP | {b"x-request-id", b"date", b"server"}
_NO_BODY_STATUS = frozenset({204, 304})
_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
# RFC 9110 9.2.2; TRACE never reaches a service.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_END: Message = {"type": "http.response.body", "body": b"", "more_body": False}


def traced_path(path: str) -> str:
    """The path as a span records it: a share link's token replaced by `{token}`."""
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            _, slash, rest = path[len(prefix) :].partition("/")
            return f"{prefix}{{token}}{slash}{rest}"
    return path


class ClientDisconnected(Exception):
    """The client went away while its request body was being forwarded."""


class BodyTooLarge(Exception):
    """The client's streamed body went past the gateway's limit."""


class Upstream:
    """One service behind the gateway, with what the hot path needs precomputed."""

    __slots__ = (
        "base",
        "docs",
        "max_body",
        "name",
        "origin",
        "prefix",
        "prefix_bytes",
        "span_name",
    )

    def __init__(self, name: str, base: str, *, max_body: int) -> None:
        self.name = name
        self.base = base
        self.origin = Origin(base)
        self.max_body = max_body
        self.prefix = f"/api/{name}"
        self.prefix_bytes = self.prefix.encode()
        self.span_name = f"{self.prefix}/*"
        openapi_url = f"{self.prefix}/openapi.json"
        title = f"camwatch {name} API"
        # Every asset comes from the gateway (`site.docs_assets`): nothing loads from the
        # internet, so the pages work on customs' closed network.
        pages = {
            "/docs": get_swagger_ui_html(
                openapi_url=openapi_url,
                title=title,
                oauth2_redirect_url=f"{self.prefix}/docs/oauth2-redirect",
                swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
                # No badge asking the public validator about the document.
                swagger_ui_parameters={"validatorUrl": None},
            ),
            "/docs/oauth2-redirect": get_swagger_ui_oauth2_redirect_html(),
            "/redoc": get_redoc_html(
                openapi_url=openapi_url,
                title=title,
                redoc_js_url=f"{DOCS_ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            ),
        }
        self.docs: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {
            tail: _docs_page(bytes(page.body)) for tail, page in pages.items()
        }


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _docs_page(body: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A docs page and its headers: a CSP that lets it load only from the gateway.

    The policy also stops what the bundles themselves would fetch from the internet (ReDoc's
    sidebar shows Redocly's logo from their CDN); the page's own inline scripts are allowed
    by hash, the bundles' injected styles and ReDoc's search worker by source.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    return body, [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


class _Exchange:
    """Per-request state the error paths need."""

    __slots__ = ("body_done", "notices", "request_id", "started", "status", "too_large", "traced")

    def __init__(self, request_id: bytes) -> None:
        self.request_id = request_id
        self.notices: bytes | None = None  # the Camwatch-Maintenance header for this caller
        self.started = False
        self.body_done = True
        self.too_large = False
        self.status = 0
        self.traced = False


class Proxy:
    """ASGI app for `/api/...`; `start()` / `stop()` open and close the upstream pool."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        tokens: CachedTokenVerifier,
        rate_limits: RateLimits,
        hub: LiveHub | None = None,
        errors: ServerErrors | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.rate_limits = rate_limits
        self.hub = hub
        self.errors = errors
        self.upstreams = {
            name: Upstream(name, url, max_body=settings.max_body_for(name))
            for name, url in settings.upstreams.items()
        }
        self._public = compile_public_paths(settings.public_paths)
        self._credentials = compile_public_paths(settings.credential_paths)
        self._tracer = trace.get_tracer("camwatch.gateway")
        self._provider = trace.get_tracer_provider()
        self._pool: UpstreamPool | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def _spans_recorded(self) -> bool:
        """Whether a server span would reach anything (see `servicekit.telemetry`)."""
        return spans_recorded(self._provider)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._pool is None or self._pool.closed:
            self._pool = self._new_pool()  # in the server's event loop
        if self._sweeper is None:
            await self.rate_limits.start()
            self._sweeper = asyncio.create_task(self._sweep_rate_limits())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
            await self.rate_limits.stop()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _sweep_rate_limits(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            await self.rate_limits.sweep()

    @property
    def pool(self) -> UpstreamPool:
        """The upstream connections (opened on first use when served without a lifespan,
        e.g. by some test transports)."""
        if self._pool is None or self._pool.closed:
            self._pool = self._new_pool()
        return self._pool

    def _new_pool(self) -> UpstreamPool:
        return UpstreamPool(
            limit=self.settings.upstream_pool_size,
            keepalive=self.settings.upstream_keepalive,
            connect_timeout=self.settings.upstream_connect_timeout,
            read_timeout=self.settings.upstream_read_timeout,
        )

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        path: str = scope["path"]
        service, _, _ = path[len(API_PREFIX) :].partition("/")
        upstream = self.upstreams.get(service)

        # One pass over the headers: copy what goes upstream, pick out what the gateway uses.
        forward: list[tuple[bytes, bytes]] = []
        authorization: bytes | None = None
        host = b""
        client_xff: bytes | None = None
        request_id: bytes | None = None
        trace_carrier: dict[str, str] | None = None
        connection: bytes | None = None
        has_body = False
        content_length: int | None = None
        for name, value in scope["headers"]:
            if name in _REQUEST_SPECIAL:
                if name == b"authorization":
                    authorization = value
                    forward.append((name, value))
                elif name == b"content-length":
                    # Sent upstream by the client (`UpstreamPool.request`): the actual length.
                    has_body = value != b"0"
                    content_length = int(value) if value.isdigit() else None
                elif name == b"transfer-encoding":
                    has_body = True
                elif name == b"host":
                    host = value
                elif name == b"x-request-id":
                    request_id = value
                elif name == b"x-forwarded-for":
                    client_xff = value
                elif name in _TRACE_HEADERS:
                    if trace_carrier is None:
                        trace_carrier = {}
                    trace_carrier[name.decode("latin-1")] = value.decode("latin-1")
                elif name == b"connection":
                    connection = value
            else:
                forward.append((name, value))
        if connection is not None:
            listed = {token.strip().lower() for token in connection.split(b",")}
            forward = [(n, v) for n, v in forward if n not in listed or n in _REQUEST_SPECIAL]

        if request_id is None or _REQUEST_ID.fullmatch(request_id) is None:
            # A correlation id, not a secret: no need for a system call per request.
            request_id = b"%032x" % random.getrandbits(128)
        exchange = _Exchange(request_id)

        method: str = scope["method"]
        span: Span | None = None
        context_token: object = None
        if self._spans_recorded():
            parent = propagate.extract(trace_carrier) if trace_carrier is not None else None
            span = self._tracer.start_span(
                f"{method} {upstream.span_name if upstream else '/api'}",
                context=parent,
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": traced_path(path)},
            )
            context_token = otel_context.attach(trace.set_span_in_context(span, parent))
            exchange.traced = True
        elif trace_carrier is not None:
            # Nothing records the gateway's spans: the caller's context goes on unchanged.
            forward += [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in trace_carrier.items()
            ]
        try:
            if path == LIVE_PATH:
                await self._live(scope, receive, send, exchange, authorization)
            elif upstream is None:
                await self._problem(
                    send, exchange, 404, "Not Found", f"no service is named {service!r}", path
                )
            else:
                await self._handle(
                    scope,
                    receive,
                    send,
                    exchange,
                    upstream=upstream,
                    forward=forward,
                    authorization=authorization,
                    host=host,
                    client_xff=client_xff,
                    has_body=has_body,
                    content_length=content_length,
                )
        except Exception as exc:
            if span is not None:
                span.record_exception(exc)
            if exchange.started:
                log.warning("response from %s broke off: %r", service, exc, extra={"path": path})
            else:
                log.exception("gateway error on %s %s", method, path)
                await self._problem(
                    send,
                    exchange,
                    500,
                    "Internal Server Error",
                    "An unexpected error occurred; it has been logged.",
                    path,
                )
        finally:
            if exchange.status >= 500 and self.errors is not None:
                if upstream is None:
                    self.errors.count("gateway", method, path, exchange.status)
                else:
                    tail = path[len(upstream.prefix) :] or "/"
                    self.errors.count(upstream.name, method, tail, exchange.status)
            if span is not None:
                status = exchange.status
                span.set_attribute("http.response.status_code", status)
                if status >= 500 or status == 0:
                    span.set_status(Status(StatusCode.ERROR))
                otel_context.detach(context_token)  # type: ignore[arg-type]
                span.end()

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        exchange: _Exchange,
        *,
        upstream: Upstream,
        forward: list[tuple[bytes, bytes]],
        authorization: bytes | None,
        host: bytes,
        client_xff: bytes | None,
        has_body: bool,
        content_length: int | None,
    ) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if "/." in path and any(seg in {".", ".."} for seg in path.split("/")):
            await self._problem(
                send, exchange, 400, "Bad Request", "dot segments are not allowed in paths", path
            )
            return

        raw_path: bytes = scope.get("raw_path") or b""
        prefix = upstream.prefix_bytes
        if raw_path.startswith(prefix) and raw_path[len(prefix) : len(prefix) + 1] in (b"", b"/"):
            tail = raw_path[len(prefix) :].decode("latin-1") or "/"
        else:
            tail = quote(path[len(upstream.prefix) :]) or "/"

        if method in ("GET", "HEAD") and tail in upstream.docs:
            page, page_headers = upstream.docs[tail]
            exchange.status = 200
            await self._send_whole(
                send, exchange, 200, page_headers, page if method == "GET" else b""
            )
            return

        if content_length is not None and content_length > upstream.max_body:
            # Refused before the token check or the body: the cheapest request to turn away.
            await self._too_large(send, exchange, upstream, path)
            return

        client = scope.get("client")
        client_ip: str = client[0] if client else "unknown"

        # Authentication before anything reaches a service.
        caller: Caller | None = None
        auth_problem: Problem | None = None
        if authorization is not None:
            bearer_token = bearer(authorization)
            if bearer_token is None:
                auth_problem = unauthorized("a bearer access token is required")
            else:
                try:
                    caller = await self.tokens.verify(bearer_token)
                except Problem as problem:
                    auth_problem = problem
        if caller is None and self._public.match(path) is None:
            retry_after = await self.rate_limits.hit(client_ip, authenticated=False)
            if retry_after is not None:
                await self._too_many(send, exchange, retry_after, path)
                return
            refusal = auth_problem or unauthorized("a bearer access token is required")
            await self._problem(
                send,
                exchange,
                refusal.status,
                refusal.title,
                refusal.detail,
                path,
                headers=refusal.headers,
            )
            return

        credential = caller is None and self._credentials.match(path) is not None
        if credential:  # not the address's anonymous budget: its bad tokens must not count
            retry_after = await self.rate_limits.hit_credential_address(client_ip)
        else:
            retry_after = await self.rate_limits.hit(
                caller.subject if caller is not None else client_ip,
                authenticated=caller is not None,
            )
        if retry_after is not None:
            await self._too_many(send, exchange, retry_after, path)
            return
        if (
            self.hub is not None
            and caller is not None
            and caller.principal.has(Role.EPE_CLIENT, Role.CUSTOMS_SYSTEM)
        ):
            exchange.notices = self.hub.notices.header()

        # The forwarding headers and the trace context of the gateway's span.
        address = client_ip.encode("latin-1")
        forward.append(
            (b"x-forwarded-for", client_xff + b", " + address if client_xff else address)
        )
        forward.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        if host:
            forward.append((b"x-forwarded-host", host))
        forward.append((b"x-forwarded-prefix", upstream.prefix_bytes))
        forward.append((b"x-request-id", exchange.request_id))
        if exchange.traced:
            forward += [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in inject_headers().items()
            ]

        data: Any = None
        first = b""
        if has_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            first = message.get("body", b"")
            more = message.get("more_body", False)
            while credential and more and len(first) <= SMALL_BODY:  # to find who it is for
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                first += message.get("body", b"")
                more = message.get("more_body", False)
            if len(first) > upstream.max_body:
                await self._too_large(send, exchange, upstream, path)
                return
            if more:
                exchange.body_done = False
                data = _request_body(first, receive, exchange, upstream.max_body)
                if content_length is not None:
                    forward.append((b"content-length", b"%d" % content_length))
            else:
                data = first

        attempt: str | None = None
        if credential:
            content_type = next((v for n, v in forward if n == b"content-type"), b"")
            body = first if exchange.body_done else b""
            attempt = attempt_key(authorization, content_type, body, address=client_ip)
            retry_after = (
                None if attempt is None else await self.rate_limits.failures_exceeded(attempt)
            )
            if retry_after is not None:
                await self._too_many(send, exchange, retry_after, path)
                return

        query: bytes = scope.get("query_string", b"")
        target = tail.encode("latin-1") + (b"?" + query if query else b"")
        try:
            response = await self._send(upstream.origin, method, target, forward, data)
        except ClientDisconnected:
            return
        except (UpstreamError, TimeoutError, BodyTooLarge) as exc:
            await self._upstream_failed(send, exchange, upstream, exc, path)
            return
        if attempt is not None and response.status in FAILED_ATTEMPT:
            await self.rate_limits.failed(attempt)
        try:
            await self._respond(send, receive, exchange, upstream, response, method, tail, path)
        except (UpstreamError, TimeoutError) as exc:
            if exchange.started:
                raise
            await self._upstream_failed(send, exchange, upstream, exc, path)
        finally:
            response.release()

    async def _send(
        self,
        origin: Origin,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        data: bytes | AsyncIterator[bytes] | None,
    ) -> UpstreamResponse:
        """Send the request upstream; after a stale connection, once more on a fresh one.

        A kept-alive connection the service has closed fails with a reset or a disconnect
        before any response byte. Sending again is safe when the method is idempotent; a body
        streamed from the client cannot be sent twice. The retry takes a new connection:
        after a service restart, every pooled one is as stale as the first.
        """
        pool = self.pool
        try:
            return await pool.request(origin, method, target, headers, data)
        except UpstreamDisconnected as exc:
            if not exc.stale or not isinstance(data, bytes | None):
                raise
            if method not in IDEMPOTENT_METHODS:
                raise
            log.info("stale upstream connection (%r): retrying on a fresh one", exc)
        return await pool.request(origin, method, target, headers, data, fresh=True)

    async def _respond(
        self,
        send: Send,
        receive: Receive,
        exchange: _Exchange,
        upstream: Upstream,
        response: UpstreamResponse,
        method: str,
        tail: str,
        path: str,
    ) -> None:
        status = response.status
        headers: list[tuple[bytes, bytes]] = [(b"x-request-id", exchange.request_id)]
        connection: bytes | None = None
        for name, value in response.headers:
            lname = name.lower()
            if lname in _RESPONSE_DROP:
                if lname == b"connection":
                    connection = value
                continue
            if lname == b"location" and value.startswith(b"/") and not value.startswith(b"//"):
                value = upstream.prefix_bytes + value
            headers.append((lname, value))
        if connection is not None:
            listed = {t.strip().lower() for t in connection.split(b",")}
            headers = [(n, v) for n, v in headers if n not in listed]
        if exchange.notices is not None:
            headers.append((MAINTENANCE_HEADER, exchange.notices))

        exchange.status = status
        if method == "HEAD" or status in _NO_BODY_STATUS or status < 200:
            await self._send_start(send, exchange, status, headers)
            await send(_END)
            return
        if tail == "/openapi.json" and method == "GET" and status == 200:
            body = await self._rewrite_openapi(response, upstream)
            headers = [(n, v) for n, v in headers if n not in (b"content-length", b"etag")]
            headers.append((b"content-length", str(len(body)).encode()))
            await self._send_start(send, exchange, status, headers)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        length = response.content_length
        if length is not None and length <= SMALL_BODY:
            body = await response.read()
            await self._send_start(send, exchange, status, headers)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return

        await self._send_start(send, exchange, status, headers)
        if not exchange.body_done:
            await _pump(response, send)
            return
        # The request is fully read, so the next receive() is the client's disconnect:
        # watch for it and stop reading from the service when nobody is listening any more.
        pump = asyncio.ensure_future(_pump(response, send))
        watch = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            await asyncio.wait((pump, watch), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            if not pump.done():
                pump.cancel()
                log.info("client left during a streamed response from %s", upstream.name)
        if not pump.cancelled():
            pump.result()

    async def _rewrite_openapi(self, response: UpstreamResponse, upstream: Upstream) -> bytes:
        """The service's OpenAPI with its gateway prefix as server and the gateway's problems."""
        raw = await response.read(self.settings.openapi_max_bytes)
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise UpstreamError("openapi.json is not JSON") from exc
        if isinstance(document, dict):
            through_gateway(document, upstream.prefix)
        return json.dumps(document, separators=(",", ":")).encode()

    # -- the live channel ------------------------------------------------------------------

    async def _live(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        exchange: _Exchange,
        authorization: bytes | None,
    ) -> None:
        """`GET /api/live`: the caller's events as server-sent events (see `gateway.live`)."""
        path: str = scope["path"]
        if scope["method"] != "GET":
            await self._problem(
                send,
                exchange,
                405,
                "Method Not Allowed",
                "the live channel is read with GET",
                path,
                headers={"Allow": "GET"},
            )
            return
        client = scope.get("client")
        client_ip: str = client[0] if client else "unknown"
        token = bearer(authorization) if authorization is not None else None
        caller: Caller | None = None
        refusal = unauthorized("a bearer access token is required")
        if token is not None:
            try:
                caller = await self.tokens.verify(token)
            except Problem as problem:
                refusal = problem
        retry_after = await self.rate_limits.hit(
            caller.subject if caller is not None else client_ip, authenticated=caller is not None
        )
        if retry_after is not None:
            await self._too_many(send, exchange, retry_after, path)
            return
        if caller is None:
            await self._problem(
                send,
                exchange,
                refusal.status,
                refusal.title,
                refusal.detail,
                path,
                headers=refusal.headers,
            )
            return
        hub = self.hub
        if hub is None:
            await self._problem(
                send, exchange, 503, "Service Unavailable", "the live channel is off", path
            )
            return
        last_event_id = next(
            (v.decode("latin-1") for n, v in scope["headers"] if n == b"last-event-id"), None
        )
        listener = hub.listen(caller.principal, caller.revocation_claims)
        try:
            exchange.status = 200
            await self._send_start(
                send, exchange, 200, [*_LIVE_HEADERS, (b"x-request-id", exchange.request_id)]
            )
            opening = b"retry: %d\n: live\n\n" % RETRY_MS
            if last_event_id:
                missed = hub.missed(last_event_id, caller.principal)
                opening += named("reset") if missed is None else frames(missed)
            await send({"type": "http.response.body", "body": opening, "more_body": True})
            await self._stream_live(send, receive, caller, listener)
        finally:
            hub.forget(listener)

    async def _stream_live(
        self, send: Send, receive: Receive, caller: Caller, listener: Listener
    ) -> None:
        """Events, heartbeats, and the end: token expired or revoked, queue overflowed,
        gateway stopping, or the client gone."""
        heartbeat = self.settings.live_heartbeat
        disconnect = asyncio.ensure_future(_wait_disconnect(receive))
        ended = asyncio.ensure_future(listener.ended.wait())
        try:
            while True:
                remaining = caller.expires_at - time.time()
                if remaining <= 0:
                    listener.end("expired")
                if listener.ended.is_set():
                    await send(
                        {
                            "type": "http.response.body",
                            "body": named(listener.reason),
                            "more_body": False,
                        }
                    )
                    return
                get = asyncio.ensure_future(listener.queue.get())
                await asyncio.wait(
                    (get, disconnect, ended),
                    timeout=min(heartbeat, remaining),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if disconnect.done():
                    get.cancel()
                    return
                if get.done():
                    batch = [get.result()]
                    while not listener.queue.empty():
                        batch.append(listener.queue.get_nowait())
                    chunk = frames(batch)
                else:
                    get.cancel()
                    chunk = b"" if listener.ended.is_set() else b": ping\n\n"
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            disconnect.cancel()
            ended.cancel()

    # -- responses made by the gateway -----------------------------------------------------

    async def _send_start(
        self, send: Send, exchange: _Exchange, status: int, headers: list[tuple[bytes, bytes]]
    ) -> None:
        exchange.started = True
        await send({"type": "http.response.start", "status": status, "headers": headers})

    async def _send_whole(
        self,
        send: Send,
        exchange: _Exchange,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        exchange.status = status
        headers = [
            *headers,
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", exchange.request_id),
        ]
        await self._send_start(send, exchange, status, headers)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _problem(
        self,
        send: Send,
        exchange: _Exchange,
        status: int,
        title: str | None,
        detail: str | None,
        instance: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(problem_body(status, title, detail, instance=instance)).encode()
        extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await self._send_whole(
            send, exchange, status, [(b"content-type", PROBLEM_JSON.encode()), *extra], body
        )

    async def _too_many(
        self, send: Send, exchange: _Exchange, retry_after: int, instance: str
    ) -> None:
        await self._problem(
            send,
            exchange,
            429,
            "Too Many Requests",
            f"rate limit exceeded; retry in {retry_after} s",
            instance,
            headers={"Retry-After": str(retry_after)},
        )

    async def _too_large(
        self, send: Send, exchange: _Exchange, upstream: Upstream, instance: str
    ) -> None:
        await self._problem(
            send,
            exchange,
            413,
            "Content Too Large",
            f"the request body exceeds {upstream.max_body} bytes, the most the gateway passes "
            f"to {upstream.name}",
            instance,
        )

    async def _upstream_failed(
        self,
        send: Send,
        exchange: _Exchange,
        upstream: Upstream,
        exc: BaseException,
        instance: str,
    ) -> None:
        if exchange.too_large:
            # The gateway cut the body off.
            await self._too_large(send, exchange, upstream, instance)
            return
        if isinstance(exc, TimeoutError):
            status, title = 504, "Gateway Timeout"
            detail = f"{upstream.name} did not answer in time"
        elif isinstance(exc, UpstreamUnavailable):
            status, title = 503, "Service Unavailable"
            detail = f"{upstream.name} is unavailable"
        else:
            status, title = 502, "Bad Gateway"
            detail = f"{upstream.name} answered badly"
        log.warning("upstream %s failed: %r", upstream.name, exc, extra={"status": status})
        await self._problem(send, exchange, status, title, detail, instance)


async def _request_body(
    first: bytes, receive: Receive, exchange: _Exchange, limit: int
) -> AsyncIterator[bytes]:
    """The client's request body, chunk by chunk as the server receives it.

    Past `limit` bytes it stops, so the upstream request is aborted (a chunked body without
    its last chunk): the service never sees a complete request.
    """
    if first:
        yield first
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            exchange.too_large = True
            raise BodyTooLarge
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            exchange.body_done = True
            return


async def _pump(response: UpstreamResponse, send: Send) -> None:
    async for chunk in response.iter_chunks():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send(_END)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
