"""The active prober: customs checks cameras it can reach (ONVIF, else RTSP OPTIONS).

Cameras due for a probe are claimed with a conditional UPDATE (`probe_claimed_until`), so two
replicas never probe the same camera in the same round; results are written as observations
(`probe_*` columns) that the detector turns into transitions, like heartbeats.

Every probe goes through the network policy (`probe_policy.py`): the host is resolved once,
every address checked, and the connection made to a checked address. A refused probe is
recorded as such (`refused`, with the reason) and is not a fault.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import BindParameter

from registry.cameras.models import Camera
from registry.health.models import CameraHealth
from registry.health.probe_policy import (
    IPAddress,
    NameNotResolved,
    ProbePolicy,
    ProbeRefused,
    ip_literal,
)
from registry.types import table_of

log = logging.getLogger(__name__)

H = table_of(CameraHealth)
C = table_of(Camera)
OK, UNREACHABLE, REFUSED = "ok", "unreachable", "refused"

ONVIF_NS = "http://www.onvif.org/ver10/device/wsdl"
GET_SYSTEM_DATE_AND_TIME = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    f'<s:Body><GetSystemDateAndTime xmlns="{ONVIF_NS}"/></s:Body></s:Envelope>'
)


@dataclass(frozen=True)
class ProbeResult:
    """Whether the camera answered, and a short reason (never a URL or a credential).

    `refused`: the network policy forbade the probe; that is no observation of the camera,
    so it neither counts as a fault nor as an ok.
    """

    ok: bool
    detail: str
    refused: bool = False

    @property
    def status(self) -> str:
        """What is recorded in `probe_status`."""
        return REFUSED if self.refused else OK if self.ok else UNREACHABLE


def _refused(exc: ProbeRefused) -> ProbeResult:
    return ProbeResult(False, f"refused by the probe network policy: {exc.reason}", refused=True)


async def _target(url: str, default_port: int, policy: ProbePolicy) -> tuple[int, list[IPAddress]]:
    """The port and the checked addresses to connect to (raises ProbeRefused, NameNotResolved)."""
    parts = urlsplit(url)
    try:
        port = parts.port or default_port
    except ValueError:
        raise ProbeRefused("the URL's port is not valid") from None
    host = parts.hostname
    if not host:
        raise ProbeRefused("the URL has no host")
    return port, await policy.resolve(host, port)


async def _pinned_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    wait: float,
    policy: ProbePolicy,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """An HTTP request sent to a checked address of the URL's host, never to a re-resolved name.

    The Host header and (HTTPS) the TLS server name and certificate check keep the name; no
    redirect is followed (it could lead anywhere). The next address is tried only when the
    connection fails at once (refused, unreachable), not after a timeout.
    """
    try:
        original = httpx.URL(url)
    except httpx.InvalidURL:
        raise ProbeRefused("the URL is not valid") from None
    port, addresses = await _target(
        url, original.port or (443 if original.scheme == "https" else 80), policy
    )
    by_name = ip_literal(original.host) is None
    extensions = {"sni_hostname": original.host} if by_name and original.scheme == "https" else {}
    sent = {
        **(headers or {}),
        "Host": original.netloc.decode("ascii"),
        "Connection": "close",
    }
    failure: httpx.ConnectError | None = None
    for address in addresses:
        try:
            return await client.request(
                method,
                original.copy_with(host=str(address), port=port),
                content=content,
                headers=sent,
                timeout=wait,
                extensions=extensions,
                follow_redirects=False,
            )
        except httpx.ConnectError as exc:
            failure = exc
    assert failure is not None  # addresses is never empty
    raise failure


async def probe_onvif(
    client: httpx.AsyncClient, url: str, wait: float, *, policy: ProbePolicy
) -> ProbeResult:
    """ONVIF device service: `GetSystemDateAndTime` needs no authentication by the standard."""
    try:
        response = await _pinned_request(
            client,
            "POST",
            url,
            wait=wait,
            policy=policy,
            content=GET_SYSTEM_DATE_AND_TIME.encode(),
            headers={
                "Content-Type": (
                    f'application/soap+xml; charset=utf-8; action="{ONVIF_NS}/GetSystemDateAndTime"'
                )
            },
        )
    except ProbeRefused as exc:
        return _refused(exc)
    except NameNotResolved:
        return ProbeResult(False, "ONVIF: the host name does not resolve")
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"ONVIF: {type(exc).__name__}")
    if response.status_code == 200 and b"GetSystemDateAndTimeResponse" in response.content:
        return ProbeResult(True, "ONVIF GetSystemDateAndTime answered")
    return ProbeResult(False, f"ONVIF: HTTP {response.status_code}")


async def probe_http(
    client: httpx.AsyncClient, url: str, wait: float, *, policy: ProbePolicy
) -> ProbeResult:
    """An HTTP(S) stream: a HEAD answered below 500 means the server is up."""
    try:
        response = await _pinned_request(client, "HEAD", url, wait=wait, policy=policy)
    except ProbeRefused as exc:
        return _refused(exc)
    except NameNotResolved:
        return ProbeResult(False, "HTTP: the host name does not resolve")
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"HTTP: {type(exc).__name__}")
    return ProbeResult(response.status_code < 500, f"HTTP {response.status_code}")


async def probe_rtsp(  # noqa: C901 -- each way RTSP can fail is one answer, read top down
    url: str, wait: float, *, policy: ProbePolicy
) -> ProbeResult:
    """RTSP `OPTIONS`: any RTSP status line means the server is up (401 too: it needs auth).

    The connection goes to a checked address of the host (the request line keeps the URL).
    """
    if urlsplit(url).scheme == "rtsps":
        return ProbeResult(False, "RTSPS probing is not supported; give an ONVIF URL")
    try:
        port, addresses = await _target(url, 554, policy)
    except ProbeRefused as exc:
        return _refused(exc)
    except NameNotResolved:
        return ProbeResult(False, "RTSP: the host name does not resolve")
    request = f"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: camwatch-prober\r\n\r\n"
    writer = None
    try:
        failure: OSError | None = None
        for address in addresses:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(str(address), port), wait
                )
                break
            except TimeoutError:
                raise
            except OSError as exc:  # refused or unreachable at once: try the next address
                failure = exc
        if writer is None:
            assert failure is not None
            raise failure
        writer.write(request.encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), wait)
    except (OSError, TimeoutError) as exc:
        return ProbeResult(False, f"RTSP: {type(exc).__name__}")
    finally:
        if writer is not None:
            writer.close()
    status = line.decode("latin-1").split()
    if len(status) >= 2 and status[0].startswith("RTSP/") and status[1] in {"200", "401"}:
        return ProbeResult(True, f"RTSP OPTIONS {status[1]}")
    return ProbeResult(False, "RTSP: unexpected answer")


async def probe_camera(
    client: httpx.AsyncClient,
    *,
    onvif_url: str | None,
    stream_url: str | None,
    wait: float,
    policy: ProbePolicy,
) -> ProbeResult:
    """Probe one camera by the best means it declares, within the network policy."""
    if onvif_url:
        return await probe_onvif(client, onvif_url, wait, policy=policy)
    scheme = urlsplit(stream_url).scheme.lower() if stream_url else ""
    if stream_url and scheme in {"rtsp", "rtsps"}:
        return await probe_rtsp(stream_url, wait, policy=policy)
    if stream_url and scheme in {"http", "https"}:
        return await probe_http(client, stream_url, wait, policy=policy)
    if stream_url:
        return ProbeResult(False, f"{scheme.upper()} probing is not supported; give an ONVIF URL")
    return ProbeResult(False, "no address to probe")


def claim_due(
    engine: Engine, *, now: datetime, worker: str, limit: int, claim: float
) -> list[dict[str, Any]]:
    """Claim up to `limit` cameras due for a probe; returns their ids and addresses."""
    due = and_(
        H.c.probe_enabled.is_(True),
        H.c.probe_next_at.is_not(None),
        H.c.probe_next_at <= now,
        or_(H.c.probe_claimed_until.is_(None), H.c.probe_claimed_until < now),
    )
    candidates = (
        select(H.c.camera_id)
        .where(due)
        .order_by(H.c.probe_next_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as conn:
        ids = [
            r.camera_id
            for r in conn.execute(
                update(H)
                .where(H.c.camera_id.in_(candidates), due)
                .values(probe_claimed_until=now + timedelta(seconds=claim), probe_claimed_by=worker)
                .returning(H.c.camera_id)
            )
        ]
        if not ids:
            return []
        rows = conn.execute(
            select(C.c.id, C.c.onvif_url, C.c.stream_url).where(C.c.id.in_(ids))
        ).all()
    return [{"camera_id": r.id, "onvif_url": r.onvif_url, "stream_url": r.stream_url} for r in rows]


_now = bindparam("r_now", type_=H.c.probe_at.type)
_ok: BindParameter[bool] = bindparam("r_ok")
_fault: BindParameter[bool] = bindparam("r_fault")
RECORD = (
    update(H)
    .where(H.c.camera_id == bindparam("r_id"), H.c.probe_claimed_by == bindparam("r_worker"))
    .values(
        probe_at=_now,
        probe_status=bindparam("r_status"),
        probe_detail=bindparam("r_detail"),
        # A refused probe is neither: it clears both, like a camera that is not probed.
        probe_fault_since=case((_fault, func.coalesce(H.c.probe_fault_since, _now)), else_=None),
        probe_ok_since=case((_ok, func.coalesce(H.c.probe_ok_since, _now)), else_=None),
        probe_next_at=bindparam("r_next", type_=H.c.probe_next_at.type),
        probe_claimed_until=None,
        probe_claimed_by=None,
    )
)


def record_results(
    engine: Engine,
    *,
    worker: str,
    now: datetime,
    results: dict[str, ProbeResult],
    interval: float,
    retry: float,
) -> None:
    """Write probe observations; a failure is re-probed soon so a blip is told from an outage.

    A probe the policy refused is recorded (status `refused`, the reason as detail) and tried
    again after the normal interval (the policy or the name's addresses may change).
    """
    params = [
        {
            "r_id": camera_id,
            "r_worker": worker,
            "r_now": now,
            "r_ok": result.ok,
            "r_fault": not result.ok and not result.refused,
            "r_status": result.status,
            "r_detail": result.detail[:300],
            "r_next": now
            + timedelta(seconds=retry if not result.ok and not result.refused else interval),
        }
        for camera_id, result in sorted(results.items())
    ]
    if params:
        with engine.begin() as conn:
            conn.execute(RECORD, params)


class Prober:
    """One replica's prober; `run_round` claims, probes concurrently and records."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float,
        timeout: float,
        concurrency: int,
        claim: float,
        grace: float,
        policy: ProbePolicy,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.interval = interval
        self.timeout = timeout
        self.concurrency = concurrency
        self.claim = max(claim, timeout * 2)
        self.retry = max(1.0, min(interval, grace / 3 if grace else interval))
        self.worker = f"prober-{uuid.uuid4().hex[:12]}"

    async def run_round(self, client: httpx.AsyncClient, now: datetime) -> dict[str, ProbeResult]:
        """Probe every camera that is due (up to a few hundred per round)."""
        due = await asyncio.to_thread(
            claim_due,
            self.engine,
            now=now,
            worker=self.worker,
            limit=self.concurrency * 4,
            claim=self.claim,
        )
        if not due:
            return {}
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row: dict[str, Any]) -> tuple[str, ProbeResult]:
            async with gate:
                try:
                    result = await probe_camera(
                        client,
                        onvif_url=row["onvif_url"],
                        stream_url=row["stream_url"],
                        wait=self.timeout,
                        policy=self.policy,
                    )
                except Exception as exc:  # one odd camera must not sink the whole round
                    log.warning(
                        "probe of camera %s failed: %s", row["camera_id"], type(exc).__name__
                    )
                    result = ProbeResult(False, f"probe error: {type(exc).__name__}")
            return row["camera_id"], result

        results = dict(await asyncio.gather(*(one(r) for r in due)))
        for camera_id, result in sorted(results.items()):
            if result.refused:  # the reason names addresses and ports, never the URL
                log.info("probe of camera %s %s", camera_id, result.detail)
        from servicekit.clock import utc_now

        await asyncio.to_thread(
            record_results,
            self.engine,
            worker=self.worker,
            now=utc_now(),
            results=results,
            interval=self.interval,
            retry=self.retry,
        )
        return results
