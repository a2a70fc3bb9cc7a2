"""Object storage unreachable in the middle of an upload (issue 16's S3 fault): the vendor's
chunk is refused with a 503 problem, the chunks already stored stay counted, and once the S3
server is back the same upload continues from its last stored chunk to the whole file."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devkit.testing.database import TestDatabase, sqlite_database
from devkit.testing.s3 import S3Endpoint, SeaweedS3

from . import tus
from .test_evidence_uploads import PIECE, _problem, request_id

__all__ = ["request_id"]  # the fixture, shared with the upload tests


@pytest.fixture
def database(tmp_path: Path) -> Iterator[TestDatabase]:
    """SQLite only: the fault is in object storage, and each run starts S3 twice."""
    with sqlite_database(tmp_path) as db:
        yield db


@pytest.fixture
def private_s3(tmp_path: Path) -> Iterator[SeaweedS3]:
    """A SeaweedFS of this test's own, which the test stops and starts again on its data."""
    server = SeaweedS3(tmp_path / "weed")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(private_s3: SeaweedS3) -> S3Endpoint:
    """The evidence app of this module talks to the private server (overrides the session's)."""
    return private_s3.endpoint


def test_an_upload_survives_object_storage_going_away_and_coming_back(
    client: TestClient,
    app: FastAPI,
    private_s3: SeaweedS3,
    request_id: str,
    epe_headers: dict[str, str],
) -> None:
    data = os.urandom(250 * PIECE + 7)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    first = tus.patch(client, location, epe_headers, offset=0, data=data[: 100 * PIECE])
    assert first.status_code == 204, first.text

    private_s3.stop()
    refused = tus.patch(
        client, location, epe_headers, offset=100 * PIECE, data=data[100 * PIECE : 200 * PIECE]
    )
    body = _problem(refused, 503)
    assert "object storage" in body["detail"]
    assert "camwatch-dev-secret" not in refused.text
    assert tus.offset(client, location, epe_headers) == 100 * PIECE

    private_s3.start()
    for start, end in ((100 * PIECE, 200 * PIECE), (200 * PIECE, len(data))):
        sent = tus.patch(client, location, epe_headers, offset=start, data=data[start:end])
        assert sent.status_code == 204, sent.text
    [listed] = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert (listed["state"], listed["size"]) == ("uploaded", len(data))
    assert listed["sha256"] == hashlib.sha256(data).hexdigest()
    store = app.state.evidence_store
    stored = store.client.get_object(store.bucket, f"{request_id}/files/{listed['id']}")
    assert stored.read() == data
    stored.close()
