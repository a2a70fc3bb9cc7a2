"""The simulator's I/O: tokens from the access service, gate cameras from the registry, then
heartbeats, customs data and gate reads, all through the gateway."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devkit.simulator.cameras import CameraSite
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
    camera_ids: dict[str, str] = field(default_factory=dict)
    gate_number: str = ""


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
        cameras: CameraSite | None = None,
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
        self.cameras = cameras
        if cameras is not None:
            for vendor in self.vendors:
                self.serve_cameras(vendor, cameras)

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
        return Vendor(
            epe_id,
            epe.json()["tax_code"],
            api,
            [c["number"] for c in items],
            gate["id"],
            camera_ids={c["number"]: c["id"] for c in items},
            gate_number=gate["number"],
        )

    def serve_cameras(self, vendor: Vendor, site: CameraSite) -> None:
        """As the EPE's vendor: point the cameras at the simulated ones, hand customs a fresh
        account for them in the vault, and release it for viewing through customs."""
        password = secrets.token_urlsafe(18)
        site.accounts[vendor.epe_id] = (f"customs-{vendor.tax_code}", password)
        for number, camera_id in vendor.camera_ids.items():
            url = site.add(vendor.epe_id, number, f"EPE {vendor.tax_code}")
            answer = vendor.api.patch(
                f"/api/registry/epes/{vendor.epe_id}/cameras/{camera_id}", json={"stream_url": url}
            )
            answer.raise_for_status()
        entry = vendor.api.post(
            "/api/access/vault/entries",
            json={
                "label": "Simulated cameras",
                "access_method": "vpn",
                "access_url": f"http://{site.host}:{site.bound_port}/",
                "account": f"customs-{vendor.tax_code}",
                "password": password,
            },
        )
        entry.raise_for_status()
        policy = vendor.api.put(
            f"/api/access/camera-views/epes/{vendor.epe_id}/policy",
            json={"entry_id": entry.json()["id"], "server_side": True},
        )
        policy.raise_for_status()

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
            if self.cameras is not None:  # a camera in an outage stops answering too
                for number, status in statuses.items():
                    self.cameras.set_outage(vendor.epe_id, number, status != "ok")
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
        if self.cameras is not None:  # the truck shows on the gate camera as it is read
            containers = movement.event.get("container_numbers") or [None]
            self.cameras.vehicle_passes(
                vendor.epe_id, vendor.gate_number, movement.event["plate"], containers[0]
            )
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
        if self.cameras is not None:
            self.cameras.stop()
        self.customs.close()
        for vendor in self.vendors:
            vendor.api.close()
