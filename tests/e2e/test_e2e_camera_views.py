"""Watching the cameras through the gateway (issue 17): the EPE's vendor points its camera at a
simulated one and hands customs the account in the vault; the assigned officer sees frames
(snapshot and streamed MJPEG), an unassigned one is refused, every view is in the audit chain,
the password appears in no response, log or event, and a dead camera times out cleanly."""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

import httpx

from devkit.simulator.cameras import CameraSite


def _release_camera(
    stack: Any, vendor_token: dict[str, Any], epe_id: str, site: CameraSite, password: str
) -> tuple[str, str]:
    """As the vendor: the gate camera streams from the simulated camera; the account is in the
    vault and released for viewing through customs. Returns (camera id, camera number)."""
    headers = {"Authorization": f"Bearer {vendor_token['access_token']}"}
    site.accounts[epe_id] = ("customs-viewer", password)
    with httpx.Client(base_url=stack.url, headers=headers, timeout=30) as api:
        cameras = api.get(f"/api/registry/epes/{epe_id}/cameras", params={"limit": 200})
        assert cameras.status_code == 200, cameras.text
        gate = next(c for c in cameras.json()["data"] if c["position_kind"] == "epe_gate")
        url = site.add(epe_id, gate["number"], "gate")
        patched = api.patch(
            f"/api/registry/epes/{epe_id}/cameras/{gate['id']}", json={"stream_url": url}
        )
        assert patched.status_code == 200, patched.text
        entry = api.post(
            "/api/access/vault/entries",
            json={
                "label": "Gate cameras",
                "access_method": "vpn",
                "access_url": url,
                "account": "customs-viewer",
                "password": password,
            },
        )
        assert entry.status_code == 201, entry.text
        policy = api.put(
            f"/api/access/camera-views/epes/{epe_id}/policy",
            json={"entry_id": entry.json()["id"], "server_side": True},
        )
        assert policy.status_code == 200, policy.text
    return gate["id"], gate["number"]


def _until_projected(url: str, headers: dict[str, str]) -> httpx.Response:
    """The camera reaches access through the registry's event: retry while it is unknown."""
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(url, headers=headers, timeout=30)
        if answer.status_code != 404 or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_officer_watches_a_camera_through_the_gateway(
    stack, machine_token, officer_session, account, camera_site
):
    password = f"cam-{secrets.token_hex(12)}"
    officer = officer_session("officer")
    epe_id = account("officer")["assigned_epes"].split(",")[0]
    vendor = next(
        name
        for name, a in stack.demo.items()
        if a.get("epe_id") == epe_id and "client_id" in a.fields
    )
    camera_id, number = _release_camera(stack, machine_token(vendor), epe_id, camera_site, password)
    camera_site.vehicle_passes(epe_id, number, "51C-123.45", "MSCU1234565")
    base = f"{stack.url}/api/access/camera-views/cameras/{camera_id}"
    responses: list[str] = []

    snapshot = _until_projected(f"{base}/snapshot", officer.headers())
    assert snapshot.status_code == 200, snapshot.text
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content.startswith(b"\xff\xd8")
    responses.append(repr(snapshot.headers))

    # the gateway streams the live view: two frames arrive while the response goes on
    with httpx.stream("GET", f"{base}/live", headers=officer.headers(), timeout=30) as live:
        assert live.status_code == 200, live.read()
        assert live.headers["content-type"].startswith("multipart/x-mixed-replace")
        received, started = b"", time.monotonic()
        for chunk in live.iter_bytes():
            received += chunk
            if received.count(b"\xff\xd8") >= 2:
                break
        assert time.monotonic() - started < 10
        responses.append(repr(live.headers))

    wall = httpx.get(f"{stack.url}/api/access/camera-views/wall", headers=officer.headers())
    assert wall.status_code == 200, wall.text
    tile = next(t for t in wall.json()["tiles"] if t["camera_id"] == camera_id)
    assert tile["viewable"] and tile["snapshot_url"].startswith("/api/access/camera-views/")
    responses.append(wall.text)

    # an officer not assigned to the EPE: refused, and the camera is not contacted
    other_epe = next(
        a["epe_id"] for a in stack.demo.values() if a.get("epe_id") and a["epe_id"] != epe_id
    )
    other_vendor = next(
        n for n, a in stack.demo.items() if a.get("epe_id") == other_epe and "client_id" in a.fields
    )
    other_camera, other_number = _release_camera(
        stack, machine_token(other_vendor), other_epe, camera_site, password
    )
    refused = _until_projected(
        f"{stack.url}/api/access/camera-views/cameras/{other_camera}/snapshot", officer.headers()
    )
    assert refused.status_code == 403, refused.text
    assert camera_site.cameras[CameraSite.key_of(other_epe, other_number)].frames == 0
    responses.append(refused.text)

    # a dead camera: a clean 504 problem within the timeout
    camera_site.set_outage(epe_id, number, True)
    try:
        started = time.monotonic()
        dead = httpx.get(f"{base}/snapshot", headers=officer.headers(), timeout=30)
        if dead.status_code == 200:  # the shared upstream still held a frame: wait for it to end
            time.sleep(4)
            dead = httpx.get(f"{base}/snapshot", headers=officer.headers(), timeout=30)
        assert dead.status_code in {502, 504}, dead.text
        assert dead.headers["content-type"] == "application/problem+json"
        assert time.monotonic() - started < 15
        responses.append(dead.text)
    finally:
        camera_site.set_outage(epe_id, number, False)

    # every view is in the audit chain: who, which camera, how long, from where
    auditor = officer_session("auditor")
    records = httpx.get(
        f"{stack.url}/api/access/audit/records",
        params={"target": f"camera:{camera_id}", "limit": 100},
        headers=auditor.headers(),
        timeout=30,
    )
    assert records.status_code == 200, records.text
    views = [r for r in records.json()["data"] if r["action"] == "camera.viewed"]
    kinds = {r["details"]["kind"] for r in views}
    assert {"snapshot", "live"} <= kinds, views
    assert all("duration_seconds" in r["details"] and r["details"]["client"] for r in views)
    assert views[0]["actor"].startswith("user:")
    responses.append(records.text)

    logs = "".join(p.read_text(errors="replace") for p in stack.logs.glob("*"))
    assert password not in "\n".join(responses) + logs


def test_the_simulator_serves_its_cameras_through_customs(
    stack, officer_session, account, simulator_camera_port, tmp_path
):
    """`make run`'s simulator (`--cameras`): as each vendor it points the cameras at its own
    simulated ones and releases a fresh account, so the officer's wall shows images."""
    accounts = tmp_path / "demo-accounts.txt"
    demo = {name: dict(a.fields) for name, a in stack.demo.items()}
    accounts.write_text("seed output\n" + json.dumps({"accounts": demo}) + "\n")
    command = [sys.executable, "-m", "devkit.simulator", "--gateway", stack.url]
    command += ["--accounts", str(accounts), "--rate", "1", "--cameras"]
    command += ["--camera-port", str(simulator_camera_port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    officer = officer_session("officer")
    epe_id = account("officer")["assigned_epes"].split(",")[0]
    try:
        deadline = time.monotonic() + 120
        while True:
            wall = httpx.get(f"{stack.url}/api/access/camera-views/wall", headers=officer.headers())
            assert wall.status_code == 200, wall.text
            tiles = [t for t in wall.json()["tiles"] if t["epe_id"] == epe_id and t["viewable"]]
            shot = None
            if tiles:
                shot = httpx.get(
                    f"{stack.url}{tiles[0]['snapshot_url']}", headers=officer.headers(), timeout=30
                )
                if shot.status_code == 200:
                    break
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, shot.text if shot is not None else wall.text
            time.sleep(1)
        assert shot.headers["content-type"] == "image/jpeg"
        assert shot.content.startswith(b"\xff\xd8")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
