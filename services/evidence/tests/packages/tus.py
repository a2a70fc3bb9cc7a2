"""A minimal tus 1.0 client over a test client (the protocol as vendors' clients speak it)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

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
) -> Any:
    return client.post(
        f"/requests/{request_id}/uploads",
        headers={
            **headers,
            **TUS,
            "Upload-Length": str(size),
            "Upload-Metadata": metadata(filename=name, filetype=filetype, camera=camera),
        },
    )


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
) -> Any:
    extra = {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset),
    }
    if length is not None:
        extra["Content-Length"] = str(length)
    if checksum is not None:
        body = digest_of if digest_of is not None else data
        assert isinstance(body, bytes)
        digest = base64.b64encode(hashlib.new(checksum, body).digest()).decode()
        extra["Upload-Checksum"] = f"{checksum} {digest}"
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
