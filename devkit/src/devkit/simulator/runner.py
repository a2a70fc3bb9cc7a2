"""The simulator's I/O: tokens from the access service, gate cameras from the registry, then
heartbeats, customs data and gate reads, all through the gateway."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devkit.simulator.generate import CameraOutages, Generator, Movement

CUSTOMS_PATHS = {
    "declarations": "/api/risk/customs/declarations/batch",
    "releases": "/api/risk/customs/releases/batch",
    "manifests": "/api/risk/customs/manifests/batch",
    "gps_fixes": "/api/risk/customs/gps-fixes/batch",
}


def load_accounts(path: Path) -> dict[str, dict[str, Any]]:
    """The demo accounts `access seed-demo` printed (its last line is JSON)."""
    last = path.read_text().strip().splitlines()[-1]
    accounts: dict[str, dict[str, Any]] = json.loads(last)["accounts"]
    return accounts


class TokenClient(httpx.Auth):
    """Client credentials at the gateway's token endpoint, renewed before the token expires."""

    def __init__(self, gateway: str, client_id: str, secret: str) -> None:
        self.gateway, self.client_id, self.secret = gateway, client_id, secret
        self._token, self._expires = "", 0.0

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        if time.monotonic() > self._expires - 30:
            answer = httpx.post(
                f"{self.gateway}/api/access/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.secret),
                timeout=30,
            )
            answer.raise_for_status()
            body = answer.json()
            self._token = body["access_token"]
            self._expires = time.monotonic() + float(body["expires_in"])
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


@dataclass
class Vendor:
    """One EPE's vendor software: its client, its cameras by number and its gate camera."""

    epe_id: str
    tax_code: str
    api: httpx.Client
    camera_numbers: list[str]
    gate_camera: str


@dataclass
class Counts:
    """What a run sent (and what the services refused, by status)."""

    movements: int = 0
    anomalies: int = 0
    gate_events: int = 0
    heartbeats: int = 0
    records: int = 0
    refused: dict[int, int] = field(default_factory=dict)


class Simulator:
    """Plays every demo vendor and the customs system against `gateway` at `rate` movements/s."""

    def __init__(
        self,
        gateway: str,
        accounts: dict[str, dict[str, Any]],
        *,
        seed: int,
        rate: float,
        anomaly_share: float,
        outage_share: float = 0.01,
        heartbeat_every: float = 10.0,
        salt: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.gateway = gateway.rstrip("/")
        self.rate = rate
        rng = random.Random(seed)  # noqa: S311 - simulated traffic, not security
        self.outages = CameraOutages(rng, start_share=outage_share)
        self.heartbeat_every = heartbeat_every
        self.stop = stop or threading.Event()
        self.counts = Counts()
        customs = next(a for a in accounts.values() if a.get("kind") == "customs_system")
        self.customs = self._client(customs)
        self.vendors = [self._vendor(a) for a in accounts.values() if a.get("kind") == "epe_vendor"]
        gates = {v.tax_code: v.gate_camera for v in self.vendors}
        salt = int(time.time() / 10) if salt is None else salt  # repeats after 11 days
        self.generator = Generator(gates, seed=seed, anomaly_share=anomaly_share, salt=salt)

    def _client(self, account: dict[str, Any]) -> httpx.Client:
        auth = TokenClient(self.gateway, account["client_id"], account["client_secret"])
        return httpx.Client(base_url=self.gateway, auth=auth, timeout=30)

    def _vendor(self, account: dict[str, Any]) -> Vendor:
        api = self._client(account)
        epe_id = account["epe_id"]
        epe = api.get(f"/api/registry/epes/{epe_id}")
        epe.raise_for_status()
        cameras = api.get(f"/api/registry/epes/{epe_id}/cameras", params={"limit": 200})
        cameras.raise_for_status()
        items = cameras.json()["data"]
        gate = next(c for c in items if c["position_kind"] == "epe_gate")
        return Vendor(epe_id, epe.json()["tax_code"], api, [c["number"] for c in items], gate["id"])

    def run(self, duration: float | None = None) -> Counts:
        """Send until `stop` is set or `duration` seconds have passed."""
        end = None if duration is None else time.monotonic() + duration
        next_heartbeat = 0.0
        interval = 1.0 / self.rate
        while not self.stop.is_set() and (end is None or time.monotonic() < end):
            started = time.monotonic()
            if started >= next_heartbeat:
                self.heartbeats()
                next_heartbeat = started + self.heartbeat_every
            self.send(self.generator.movement(datetime.now(UTC)))
            self.stop.wait(max(0.0, interval - (time.monotonic() - started)))
        return self.counts

    def heartbeats(self) -> None:
        """Every camera of every vendor reports; a camera in an outage reports `no_signal`."""
        for vendor in self.vendors:
            statuses = self.outages.statuses(vendor.camera_numbers)
            body = {"cameras": [{"camera": c, "status": s} for c, s in statuses.items()]}
            self._post(vendor.api, f"/api/registry/epes/{vendor.epe_id}/heartbeats", body)
            self.counts.heartbeats += len(statuses)

    def send(self, movement: Movement) -> None:
        """Customs data first (as VNACCS clears before the truck leaves), then the gate read."""
        for kind, path in CUSTOMS_PATHS.items():
            records = getattr(movement, kind)
            if records:
                self._post(self.customs, path, {"records": records})
                self.counts.records += len(records)
        vendor = next(v for v in self.vendors if v.tax_code == movement.epe_tax_code)
        self._post(vendor.api, "/api/risk/gate-events", movement.event)
        self.counts.gate_events += 1
        self.counts.movements += 1
        self.counts.anomalies += movement.anomaly is not None

    def _post(self, api: httpx.Client, path: str, body: dict[str, Any]) -> None:
        """Send; a refusal or a lost connection is counted (status 0), never fatal: under
        `make run` the simulator ending would stop the whole stack."""
        try:
            status = api.post(path, json=body).status_code
        except httpx.HTTPError:
            status = 0
        if status >= 400 or status == 0:
            self.counts.refused[status] = self.counts.refused.get(status, 0) + 1

    def close(self) -> None:
        self.customs.close()
        for vendor in self.vendors:
            vendor.api.close()
