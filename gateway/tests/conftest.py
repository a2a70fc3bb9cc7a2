"""Real servers for the gateway tests: upstream FastAPI apps and the gateway, each under uvicorn.

Each server runs in its own thread with its own event loop and listens on a free port of
127.0.0.1, so requests cross real sockets exactly as they do in production.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from devkit.testing.tokens import TokenFactory
from gateway.main import create_app
from gateway.server import CoalescingHttpToolsProtocol
from gateway.settings import GatewaySettings
from servicekit.auth import TokenVerifier
from servicekit.services import SERVICES

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
MIB = 1024 * 1024


class ServerThread:
    """uvicorn serving `app` in a background thread on a socket bound before it starts."""

    def __init__(self, app: Any, *, http: Any = "httptools") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            log_config=None,
            lifespan="on",
            http=http,
            loop="asyncio",
            timeout_keep_alive=30,
            proxy_headers=False,  # as `python -m gateway` without trusted proxies
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


@dataclass
class Upstream:
    """A fake service that records what reached it."""

    name: str
    ready: bool = True
    hits: list[dict[str, Any]] = field(default_factory=list)
    upload_started: threading.Event = field(default_factory=threading.Event)
    download_received: threading.Event = field(default_factory=threading.Event)
    endless_stopped: threading.Event = field(default_factory=threading.Event)
    url: str = ""


def upstream_app(state: Upstream) -> FastAPI:
    app = FastAPI(title=f"fake {state.name}")

    @app.get("/readyz")
    async def readyz() -> Response:
        if state.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, status_code=503)

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(3)
        return {"status": "late"}

    @app.get("/broken")
    async def broken() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"x" * MIB
            raise RuntimeError("the service fails halfway through its answer")

        return StreamingResponse(body(), media_type="application/octet-stream")

    @app.get("/redirect")
    async def redirect() -> RedirectResponse:
        return RedirectResponse("/echo/target", status_code=307)

    @app.get("/cookie")
    async def cookie(request: Request) -> Response:
        response = JSONResponse({"received": request.headers.get("cookie")})
        response.set_cookie("session", "from-service")
        return response

    @app.get("/gzip")
    async def gzipped() -> Response:
        body = gzip.compress(json.dumps({"data": ["x" * 100] * 1000}).encode())
        return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            if chunk and not state.upload_started.is_set():
                state.upload_started.set()
            digest.update(chunk)
            size += len(chunk)
        state.hits.append({"raw_path": "/upload", "size": size})
        return {"size": size, "sha256": digest.hexdigest()}

    @app.get("/endless")
    async def endless() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"e" * 65536
                    await asyncio.sleep(0.001)
            finally:
                state.endless_stopped.set()

        return StreamingResponse(body(), media_type="application/octet-stream")

    @app.get("/blob")
    async def blob(size: int) -> Response:
        return Response(pattern_chunk(7, size), media_type="application/octet-stream")

    @app.get("/download")
    async def download(size: int) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            sent = 0
            index = 0
            while sent < size:
                chunk = pattern_chunk(index, min(MIB, size - sent))
                yield chunk
                sent += len(chunk)
                index += 1
                if index == 2:
                    # Go on only once the client has bytes: a buffering proxy never lets it.
                    received = await asyncio.to_thread(state.download_received.wait, 20)
                    if not received:
                        raise RuntimeError("the client got nothing while the service streamed")

        return StreamingResponse(body(), media_type="application/octet-stream")

    @app.get("/ranged")
    async def ranged(request: Request, size: int) -> StreamingResponse:
        # Serves `bytes=START-END` of a pattern file as a streamed 206, as evidence does.
        first, _, last = request.headers["range"].removeprefix("bytes=").partition("-")
        start, end = int(first), int(last)
        data = pattern_chunk(3, size)[start : end + 1]

        async def body() -> AsyncIterator[bytes]:
            for offset in range(0, len(data), MIB):
                yield data[offset : offset + MIB]

        return StreamingResponse(
            body(),
            status_code=206,
            media_type="video/mp4",
            headers={
                "Content-Range": f"bytes {start}-{end}/{size}",
                "Content-Length": str(len(data)),
                "Accept-Ranges": "bytes",
                "ETag": '"v1"',
            },
        )

    @app.api_route("/crash", methods=ALL_METHODS, include_in_schema=False)
    async def crash(delay: float = 0) -> Response:
        # An unhandled error: uvicorn answers 500 and then closes the kept-alive connection.
        await asyncio.sleep(delay)
        raise RuntimeError("the service fails")

    @app.api_route("/{path:path}", methods=ALL_METHODS, include_in_schema=False)
    async def echo(request: Request) -> Response:
        body = await request.body()
        hit = {
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "query": request.scope["query_string"].decode("latin-1"),
            "headers": [(k, v) for k, v in request.headers.items()],
            "body": body.decode("latin-1"),
            "service": state.name,
        }
        state.hits.append(hit)
        status = int(request.headers.get("x-test-status", "200"))  # a refusal, when asked
        return JSONResponse(hit, status_code=status, headers={"X-Upstream": state.name})

    return app


def pattern_chunk(index: int, size: int) -> bytes:
    """Deterministic bytes for large-body tests (different per chunk index)."""
    block = hashlib.sha256(str(index).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture
def serve_upstream() -> Iterator[Callable[..., Upstream]]:
    """Start a fake service: `serve_upstream(name, ready=True)`."""
    servers: list[ServerThread] = []

    def start(name: str = "registry", *, ready: bool = True) -> Upstream:
        state = Upstream(name, ready=ready)
        server = ServerThread(upstream_app(state)).__enter__()
        servers.append(server)
        state.url = server.url
        return state

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def upstream(serve_upstream: Callable[..., Upstream]) -> Upstream:
    return serve_upstream("registry")


class RawServer:
    """A TCP server that answers every connection with fixed bytes and closes it."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes], RawServer]]:
    servers: list[RawServer] = []

    def start(reply: bytes) -> RawServer:
        servers.append(RawServer(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A port on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


GatewayStarter = Callable[..., str]


@pytest.fixture
def start_gateway(tokens: TokenFactory) -> Iterator[GatewayStarter]:
    """Start a gateway with the given settings; every service defaults to `upstreams`."""
    servers: list[ServerThread] = []

    def start(
        *,
        upstreams: dict[str, str],
        verifier: TokenVerifier | None = None,
        prepare: Callable[[Any], None] | None = None,
        **overrides: Any,
    ) -> str:
        values: dict[str, Any] = {
            "environment": "test",
            "log_json": False,
            "rate_limit_authenticated": "10000/second",
            "rate_limit_anonymous": "10000/second",
            "rate_limit_credential_address": "10000/second",
            "live_enabled": False,  # the live channel's tests give it a NATS server
        }
        values.update({f"upstream_{name}": url for name, url in upstreams.items()})
        values.update(overrides)
        app = create_app(GatewaySettings(**values), token_verifier=verifier or tokens.verifier())
        if prepare is not None:
            prepare(app)
        # served as `python -m gateway` serves it: response writes coalesced
        server = ServerThread(app, http=CoalescingHttpToolsProtocol).__enter__()
        servers.append(server)
        return server.url

    start.servers = servers  # type: ignore[attr-defined]  # for tests that stop one
    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def gateway(start_gateway: GatewayStarter, upstream: Upstream) -> str:
    """A gateway whose five services are all the `upstream` fake."""
    return start_gateway(upstreams={name: upstream.url for name in SERVICES})


@pytest.fixture
def pattern() -> Callable[[int, int], bytes]:
    """`pattern(index, size)`: the deterministic chunk the fake service streams."""
    return pattern_chunk
