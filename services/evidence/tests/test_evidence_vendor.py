"""The vendor's upload client: continues an upload a previous run left unfinished, by name,
from the offset the service reports, and the file arrives whole."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient

from evidence import vendor
from evidence.vendor import MIB, Uploader, upload_file

from .conftest import Feed
from .packages import tus

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu",
}


def test_the_client_resumes_an_unfinished_upload_and_completes_it(
    client: TestClient,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    body: dict[str, Any] = {
        "epe_id": "epe-1",
        "cameras": ["cam-1"],
        "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
        "reason": "Đối chiếu",
    }
    request_id = client.post("/requests", json=body, headers=officer_headers).json()["id"]
    data = os.urandom(11 * MIB + 17)
    path = tmp_path / "gate.mp4"
    path.write_bytes(data)
    # a previous run stored the first 5 MiB, then died
    created = tus.create(client, request_id, epe_headers, size=len(data), name="gate.mp4")
    first = tus.patch(
        client, created.headers["Location"], epe_headers, offset=0, data=data[: 5 * MIB]
    )
    assert first.status_code == 204

    client.headers.update(epe_headers)
    upload_file(Uploader(client, request_id), path, camera="cam-1", chunk_size=5 * MIB, quiet=True)
    [stored] = client.get(f"/requests/{request_id}/files").json()["data"]
    assert stored["state"] == "uploaded"
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_new_upload_declares_its_sha256_and_sends_crc32c_chunks(
    client: TestClient,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    data = os.urandom(11 * MIB + 17)
    good, changed = tmp_path / "gate.mp4", tmp_path / "yard.mp4"
    good.write_bytes(data)
    changed.write_bytes(data)
    sent: list[str] = []
    original = client.patch

    def recording(url: str, **kwargs: Any) -> Any:
        sent.append(kwargs["headers"]["Upload-Checksum"].split()[0])
        return original(url, **kwargs)

    monkeypatch.setattr(client, "patch", recording)
    client.headers.update(epe_headers)
    uploader = Uploader(client, request_id)
    upload_file(uploader, good, camera="cam-1", chunk_size=5 * MIB, quiet=True)
    assert sent == ["crc32c"] * 3
    [stored] = client.get(f"/requests/{request_id}/files").json()["data"]
    assert (stored["state"], stored["sha256"]) == ("uploaded", hashlib.sha256(data).hexdigest())

    # the file changes after the vendor hashed it: the service refuses to complete it, and
    # the client stops at once (resending the last chunk cannot help), terminating the upload
    with monkeypatch.context() as patched:
        patched.setattr(vendor, "file_sha256", lambda path: hashlib.sha256(b"before").hexdigest())
        with pytest.raises(typer.BadParameter, match="sha256 does not match") as refused:
            upload_file(uploader, changed, camera="cam-1", chunk_size=5 * MIB, quiet=True)
    assert "the upload was terminated" in str(refused.value)
    files = client.get(f"/requests/{request_id}/files").json()["data"]
    assert [(f["name"], f["state"]) for f in files] == [("gate.mp4", "uploaded")]
    # a rerun uploads it anew under the same name
    upload_file(uploader, changed, camera="cam-1", chunk_size=5 * MIB, quiet=True)
    files = client.get(f"/requests/{request_id}/files").json()["data"]
    assert [(f["name"], f["state"]) for f in files] == [
        ("gate.mp4", "uploaded"),
        ("yard.mp4", "uploaded"),
    ]


def test_a_chunk_is_read_in_blocks_and_a_file_that_shrank_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gate.mp4"
    data = os.urandom(3 * MIB + 5)
    path.write_bytes(data)
    with path.open("rb") as handle:
        read = list(vendor.blocks(handle, MIB - 1, 2 * MIB + 6))
        assert b"".join(read) == data[MIB - 1 : 3 * MIB + 5]
        assert max(len(block) for block in read) == MIB  # never the chunk in one piece
        with pytest.raises(typer.BadParameter, match="got shorter"):
            list(vendor.blocks(handle, 3 * MIB, MIB))


def test_the_client_abandons_an_unfinished_upload_by_name_and_not_a_complete_one(
    client: TestClient,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    data = os.urandom(6 * MIB)
    created = tus.create(client, request_id, epe_headers, size=len(data), name="gate.mp4")
    assert created.status_code == 201
    done = tmp_path / "yard.mp4"
    done.write_bytes(data)
    client.headers.update(epe_headers)
    uploader = Uploader(client, request_id)
    upload_file(uploader, done, camera="cam-1", chunk_size=5 * MIB, quiet=True)

    uploader.abandon("gate.mp4")
    names = [f["name"] for f in client.get(f"/requests/{request_id}/files").json()["data"]]
    assert names == ["yard.mp4"]
    with pytest.raises(typer.BadParameter, match=r"no file named 'gate\.mp4'"):
        uploader.abandon("gate.mp4")
    with pytest.raises(typer.BadParameter, match="409"):
        uploader.abandon("yard.mp4")  # complete: never removed
