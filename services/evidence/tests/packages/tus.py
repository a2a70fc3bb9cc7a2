"""A minimal tus 1.0 client over a test client (the protocol as vendors' clients speak it)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import google_crc32c
from fastapi.testclient import TestClient

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(
    client: TestClient,
    request_id: str,
    headers: dict[str, str],
    *,
    size: int,
    name: str = "cam-1.mp4",
    filetype: str = "video/mp4",
    camera: str = "cam-1",
    sha256: str | None = None,
) -> Any:
    values = {"filename": name, "filetype": filetype, "camera": camera}
    if sha256 is not None:
        values["sha256"] = sha256
    return client.post(
        f"/requests/{request_id}/uploads",
        headers={
            **headers,
            **TUS,
            "Upload-Length": str(size),
            "Upload-Metadata": metadata(**values),
        },
    )


def digest(algorithm: str, body: bytes) -> str:
    """An `Upload-Checksum` digest (crc32c: its 4 bytes big-endian), base64; computed apart from
    the service's code, as a vendor's client would."""
    if algorithm == "crc32c":
        raw = google_crc32c.value(body).to_bytes(4, "big")
    else:
        raw = hashlib.new(algorithm, body).digest()
    return base64.b64encode(raw).decode()


def patch(
    client: TestClient,
    location: str,
    headers: dict[str, str],
    *,
    offset: int,
    data: bytes | Iterator[bytes],
    length: int | None = None,
    checksum: str | None = "sha256",
    digest_of: bytes | None = None,
    digest_as: str | None = None,
) -> Any:
    """Append `data` at `offset`; `Upload-Checksum` names `checksum` over `digest_of` (default
    the data), computed with `digest_as` (default `checksum`: a different one is a wrong
    header)."""
    extra = {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset),
    }
    if length is not None:
        extra["Content-Length"] = str(length)
    if checksum is not None:
        body = digest_of if digest_of is not None else data
        assert isinstance(body, bytes)
        extra["Upload-Checksum"] = f"{checksum} {digest(digest_as or checksum, body)}"
    return client.patch(location, content=data, headers={**headers, **TUS, **extra})


def offset(client: TestClient, location: str, headers: dict[str, str]) -> int:
    answer = client.head(location, headers={**headers, **TUS})
    assert answer.status_code == 200, answer.headers
    return int(answer.headers["Upload-Offset"])


def upload(
    client: TestClient,
    request_id: str,
    headers: dict[str, str],
    data: bytes,
    *,
    name: str = "cam-1.mp4",
    camera: str = "cam-1",
) -> str:
    """A whole file in one chunk; its upload's location."""
    created = create(client, request_id, headers, size=len(data), name=name, camera=camera)
    assert created.status_code == 201, created.text
    location = str(created.headers["Location"])
    sent = patch(client, location, headers, offset=0, data=data)
    assert sent.status_code == 204, sent.text
    return location
