"""Sealed files through the real gateway in front of the real evidence service: a Range gets
its 206, a large download streams in flat memory, a share link opens without a customs token,
and the custody record names the caller's address as the gateway forwarded it."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyRecord
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from servicekit.clock import ManualClock
from servicekit.services import SERVICES

from ..conftest import Feed
from ..sealed import seal_package

MIB = 1024 * 1024
BIG = os.urandom(MIB) * 24  # 24 MiB: a buffering hop would show in the peak


class Served:
    """An ASGI app served by uvicorn in a thread, on a socket bound before it starts."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", proxy_headers=True
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 60  # a loaded machine starts the app slowly
        while not self.server.started:
            assert self.thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "did not start within 60 s"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


@pytest.fixture
def through_gateway(app: FastAPI, tokens: Any) -> Iterator[str]:
    """The gateway's URL, with the evidence app behind it."""
    with Served(app) as evidence:
        settings = GatewaySettings(
            environment="test",
            log_json=False,
            rate_limit_authenticated="10000/second",
            rate_limit_anonymous="10000/second",
            **{f"upstream_{name}": evidence.url for name in SERVICES},
        )
        with Served(create_gateway(settings, token_verifier=tokens.verifier())) as gateway:
            yield f"{gateway.url}/api/evidence"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_range_download_and_share_link_through_the_gateway(
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
    through_gateway: str,
) -> None:
    sealed = seal_package(app, clock.now(), video=BIG)
    url = f"{through_gateway}/packages/{sealed.package_id}/files/{sealed.video_id}"

    part = httpx.get(f"{url}/content", headers={**officer_headers, "Range": "bytes=5-1048580"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 5-1048580/{len(BIG)}"
    assert part.content == BIG[5:1048581]

    digest, size = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        with httpx.stream("GET", f"{url}/download", headers=officer_headers, timeout=60) as whole:
            assert whole.status_code == 200
            for chunk in whole.iter_bytes():
                digest.update(chunk)
                size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (size, digest.hexdigest()) == (len(BIG), hashlib.sha256(BIG).hexdigest())
    assert peak < 8 * MIB, f"{peak / MIB:.1f} MiB held while streaming {len(BIG) // MIB} MiB"

    share = httpx.post(
        f"{through_gateway}/packages/{sealed.package_id}/shares",
        headers=officer_headers,
        json={
            "recipient_name": "Nguyễn Văn Hùng",
            "recipient_authority": "Công an TP. Hồ Chí Minh",
            "purpose": "Điều tra",
            "expires_at": "2025-01-25T00:00:00Z",
            "max_downloads": 1,
        },
    )
    assert share.status_code == 201, share.text
    link = through_gateway.removesuffix("/api/evidence") + share.json()["path"]
    opened = httpx.get(f"{link}/files/{sealed.video_id}", headers={"Range": "bytes=0-99"})
    assert opened.status_code == 206
    assert opened.content == BIG[:100]

    with Session(app.state.engine) as session:
        records = session.exec(
            select(CustodyRecord)
            .where(CustodyRecord.package_id == sealed.package_id)
            .order_by(col(CustodyRecord.seq))
        ).all()
    assert [r.action for r in records] == [
        "sealed",
        "streamed",
        "downloaded",
        "shared",
        "share_opened",
    ]
    assert {r.source for r in records[1:]} == {"127.0.0.1"}
