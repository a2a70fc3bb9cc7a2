"""Issue 13 through the gateway of a real stack: an officer asks an EPE for footage, the
vendor uploads it with tus in chunks (declaring the file's SHA-256, chunks checked with
SHA-256 and with CRC32C as the vendor CLI sends them), the connection dies mid-chunk and the
upload resumes from the last stored chunk, the vendor submits, the package is sealed and
verifies; and the shipped vendor CLI, run as a vendor runs it, uploads and submits.

Asynchronous effects (the registry's cameras reaching the evidence service) are polled with
deadlines; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import google_crc32c
import httpx

from devkit.testing.http import assert_problem, bearer, poll

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def _crc32c(data: bytes) -> str:
    return "crc32c " + base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _kill_mid_chunk(url: str, path: str, token: str, offset: int, chunk: bytes) -> None:
    """Send a PATCH's headers and half its body, then drop the connection."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
            f"Content-Length: {len(chunk)}\r\n\r\n"
        )
        sock.sendall(head.encode() + chunk[: len(chunk) // 2])


def test_footage_uploaded_resumed_after_a_lost_connection_sealed_and_verified(
    stack, account, machine_token, officer_session
):
    officer = officer_session("officer")
    assigned = set(account("officer")["assigned_epes"].split(","))
    vendor_name = next(
        n for n in ("epe_vendor_1", "epe_vendor_2") if account(n)["epe_id"] in assigned
    )
    epe = account(vendor_name)["epe_id"]
    token = machine_token(vendor_name)
    vendor = httpx.Client(base_url=f"{stack.url}/api/evidence", headers=bearer(token), timeout=60)
    registry = httpx.Client(base_url=f"{stack.url}/api/registry", timeout=30)
    cameras = registry.get(f"/epes/{epe}/cameras", headers=officer.headers()).json()["data"]
    assert cameras, "the demo EPE has cameras"
    camera = cameras[0]["id"]

    def ask() -> dict[str, Any] | None:
        made = httpx.post(
            f"{stack.url}/api/evidence/requests",
            headers=officer.headers(),
            json={
                "epe_id": epe,
                "cameras": [camera],
                "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
                "reason": "Đối chiếu container xuất cổng",
            },
            timeout=30,
        )
        return made.json() if made.status_code == 201 else None

    request = poll("the evidence service knows the EPE's cameras", ask)
    request_id = request["id"]

    data = os.urandom(12 * MIB + 4321)
    created = vendor.post(
        f"/requests/{request_id}/uploads",
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"filename {_b64('gate.mp4')},filetype {_b64('video/mp4')},"
            f"camera {_b64(camera)},sha256 {_b64(hashlib.sha256(data).hexdigest())}",
        },
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.startswith(f"/api/evidence/requests/{request_id}/uploads/")
    upload = httpx.Client(base_url=stack.url, headers=bearer(token), timeout=60)

    # a wrong file picked: the vendor terminates its upload (tus termination) through the
    # gateway; it is gone and does not hold up the submission
    wrong = vendor.post(
        f"/requests/{request_id}/uploads",
        headers={
            **TUS,
            "Upload-Length": "10",
            "Upload-Metadata": f"filename {_b64('wrong.mp4')},filetype {_b64('video/mp4')},"
            f"camera {_b64(camera)}",
        },
    )
    assert wrong.status_code == 201, wrong.text
    ended = upload.delete(wrong.headers["Location"], headers=TUS)
    assert ended.status_code == 204, ended.text
    assert ended.headers["Tus-Resumable"] == "1.0.0"
    assert upload.head(wrong.headers["Location"], headers=TUS).status_code == 404

    def patch(offset: int, chunk: bytes, **extra: str) -> httpx.Response:
        return upload.patch(
            location,
            content=chunk,
            headers={
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
                "Upload-Checksum": _checksum(chunk),
                **extra,
            },
        )

    first = data[: 6 * MIB]
    assert patch(0, first).status_code == 204
    second = data[6 * MIB :]
    _kill_mid_chunk(stack.url, location, token["access_token"], 6 * MIB, second)

    def stored_offset() -> int | None:
        answer = upload.head(location, headers=TUS)
        held = answer.status_code == 200 and int(answer.headers["Upload-Offset"]) == 6 * MIB
        return 6 * MIB if held else None

    poll("the offset after the lost connection", stored_offset)
    bad = patch(6 * MIB, second, **{"Upload-Checksum": _checksum(b"not these bytes")})
    assert_problem(bad, 460)
    bad = patch(6 * MIB, second, **{"Upload-Checksum": _crc32c(b"not these bytes")})
    assert_problem(bad, 460)
    # the killed chunk's hold on the file ends when the service sees the connection drop
    resumed = poll(
        "the resumed chunk is taken",
        lambda: (
            (r := patch(6 * MIB, second, **{"Upload-Checksum": _crc32c(second)})).status_code == 204
            and r
        ),
    )
    assert resumed.headers["Upload-Offset"] == str(len(data))

    receipt = vendor.post(f"/requests/{request_id}/submit")
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["state"] == "sealed"
    package_id = receipt.json()["package_id"]
    assert vendor.get(f"/packages/{package_id}").status_code == 403

    evidence = httpx.Client(base_url=f"{stack.url}/api/evidence", timeout=60)
    verified = evidence.post(f"/packages/{package_id}/verify", headers=officer.headers())
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    files = evidence.get(f"/requests/{request_id}/files", headers=officer.headers()).json()
    assert files["data"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    trail = evidence.get(f"/requests/{request_id}/custody", headers=officer.headers()).json()
    actions = [r["action"] for r in trail["data"]]
    assert actions == ["requested", "upload_terminated", "uploaded", "sealed", "verified"]
    assert all(r["source"] for r in trail["data"])
    for client in (vendor, registry, upload, evidence):
        client.close()


def test_the_vendor_cli_uploads_and_submits_through_the_gateway(
    stack, account, officer_session, tmp_path
):
    """The shipped client as a vendor runs it (its own process, client credentials, the
    gateway's address): chunks streamed from the file, the request sealed with `--submit`."""
    officer = officer_session("officer")
    assigned = set(account("officer")["assigned_epes"].split(","))
    vendor_name = next(
        n for n in ("epe_vendor_1", "epe_vendor_2") if account(n)["epe_id"] in assigned
    )
    vendor_account = account(vendor_name)
    epe = vendor_account["epe_id"]
    registry = httpx.Client(base_url=f"{stack.url}/api/registry", timeout=30)
    cameras = registry.get(f"/epes/{epe}/cameras", headers=officer.headers()).json()["data"]
    camera = cameras[0]["id"]
    evidence = httpx.Client(base_url=f"{stack.url}/api/evidence", timeout=60)

    def ask() -> dict[str, Any] | None:
        made = evidence.post(
            "/requests",
            headers=officer.headers(),
            json={
                "epe_id": epe,
                "cameras": [camera],
                "time_ranges": [{"start": "2025-01-19T01:00:00Z", "end": "2025-01-19T02:00:00Z"}],
                "reason": "Đối chiếu hàng nhập kho",
            },
        )
        return made.json() if made.status_code == 201 else None

    request_id = poll("the evidence service knows the EPE's cameras", ask)["id"]
    data = os.urandom(11 * MIB + 17)
    path = tmp_path / "yard.mp4"
    path.write_bytes(data)
    env = {
        **os.environ,
        "CAMWATCH_API": stack.url,
        "CAMWATCH_CLIENT_ID": vendor_account["client_id"],
        "CAMWATCH_CLIENT_SECRET": vendor_account["client_secret"],
    }
    command = [sys.executable, "-m", "evidence.vendor", "upload", request_id, str(path)]
    ran = subprocess.run(
        [*command, "--camera", camera, "--chunk-mib", "5", "--submit", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "sealed: package" in ran.stdout
    files = evidence.get(f"/requests/{request_id}/files", headers=officer.headers()).json()
    assert [(f["name"], f["state"]) for f in files["data"]] == [("yard.mp4", "uploaded")]
    assert files["data"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    for client in (registry, evidence):
        client.close()
