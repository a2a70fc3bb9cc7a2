"""Resumable uploads (tus 1.0): chunks into S3 parts, the SHA-256 computed on the way, every
refusal a problem naming what is wrong, and nothing stored lost by a failed chunk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update as sa_update
from sqlmodel import col

from evidence.packages.models import PackageFile
from servicekit.auth import Role

from ..conftest import START, UNIT, Feed
from . import tus

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1", "cam-2"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu container",
}
PIECE = 64 * 1024
"""A unit of test sizes: 80 of them (5 MiB) make the smallest chunk but the last."""


@pytest.fixture
def request_id(client: TestClient, feed: Feed, officer_headers: dict[str, str]) -> str:
    made = client.post("/requests", json=BODY, headers=officer_headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _problem(answer: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field], body
    return body


def test_a_file_uploaded_in_chunks_is_hashed_stored_and_locked(
    client: TestClient,
    app: FastAPI,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    data = os.urandom(300 * PIECE + 123)
    created = tus.create(client, request_id, epe_headers, size=len(data))
    assert created.status_code == 201, created.text
    assert created.headers["Tus-Resumable"] == "1.0.0"
    location = created.headers["Location"]
    assert location.startswith(f"/requests/{request_id}/uploads/")
    for start, end in ((0, 100 * PIECE), (100 * PIECE, 250 * PIECE), (250 * PIECE, len(data))):
        sent = tus.patch(client, location, epe_headers, offset=start, data=data[start:end])
        assert sent.status_code == 204, sent.text
        assert sent.headers["Upload-Offset"] == str(end)
    assert tus.offset(client, location, epe_headers) == len(data)

    [listed] = client.get(f"/requests/{request_id}/files", headers=officer_headers).json()["data"]
    assert listed["state"] == "uploaded"
    assert listed["sha256"] == hashlib.sha256(data).hexdigest()
    assert (listed["size"], listed["camera"], listed["name"]) == (len(data), "cam-1", "cam-1.mp4")
    request = client.get(f"/requests/{request_id}", headers=epe_headers).json()
    assert request["state"] == "uploading"

    store = app.state.evidence_store
    key = f"{request_id}/files/{listed['id']}"
    stored = store.client.get_object(store.bucket, key)
    assert stored.read() == data
    stored.close()
    assert store.client.get_object_retention(store.bucket, key).mode == "COMPLIANCE"

    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    uploaded = [r for r in trail if r["action"] == "uploaded"]
    assert [(r["file_id"], r["sha256"], r["actor"]) for r in uploaded] == [
        (listed["id"], listed["sha256"], "vendor-epe-1")
    ]


def test_a_wrong_checksum_discards_the_chunk_and_the_next_try_continues(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    data = os.urandom(120 * PIECE)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    first = tus.patch(client, location, epe_headers, offset=0, data=data[: 90 * PIECE])
    assert first.status_code == 204
    bad = tus.patch(
        client,
        location,
        epe_headers,
        offset=90 * PIECE,
        data=data[90 * PIECE :],
        digest_of=b"other",
    )
    body = _problem(bad, 460, "header.Upload-Checksum")
    assert f"offset {90 * PIECE}" in body["detail"]
    assert tus.offset(client, location, epe_headers) == 90 * PIECE
    good = tus.patch(client, location, epe_headers, offset=90 * PIECE, data=data[90 * PIECE :])
    assert good.status_code == 204, good.text
    files = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert files[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_crc32c_chunk_checksums_are_offered_accepted_and_checked(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    offered = client.options(f"/requests/{request_id}/uploads", headers={**epe_headers, **tus.TUS})
    assert offered.status_code == 204
    assert offered.headers["Tus-Checksum-Algorithm"].split(",") == [
        "sha256",
        "sha1",
        "md5",
        "crc32c",
    ]
    data = os.urandom(200 * PIECE + 5)
    sha256 = hashlib.sha256(data).hexdigest()
    created = tus.create(client, request_id, epe_headers, size=len(data), sha256=sha256)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    first = tus.patch(
        client, location, epe_headers, offset=0, data=data[: 100 * PIECE], checksum="crc32c"
    )
    assert first.status_code == 204, first.text
    bad = tus.patch(
        client,
        location,
        epe_headers,
        offset=100 * PIECE,
        data=data[100 * PIECE :],
        checksum="crc32c",
        digest_of=data[100 * PIECE : -1] + b"?",  # one byte differs
    )
    body = _problem(bad, 460, "header.Upload-Checksum")
    assert "crc32c" in body["detail"]
    assert tus.offset(client, location, epe_headers) == 100 * PIECE
    rest = tus.patch(
        client,
        location,
        epe_headers,
        offset=100 * PIECE,
        data=data[100 * PIECE :],
        checksum="crc32c",
    )
    assert rest.status_code == 204, rest.text
    [stored] = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert (stored["state"], stored["sha256"]) == ("uploaded", sha256)


def test_a_file_unlike_its_declared_sha256_is_not_completed(
    client: TestClient,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    data = os.urandom(150 * PIECE)
    declared = hashlib.sha256(data[:-1] + b"?").hexdigest()  # the vendor hashed other bytes
    created = tus.create(client, request_id, epe_headers, size=len(data), sha256=declared)
    location = created.headers["Location"]
    first = tus.patch(client, location, epe_headers, offset=0, data=data[: 100 * PIECE])
    assert first.status_code == 204, first.text
    last = tus.patch(client, location, epe_headers, offset=100 * PIECE, data=data[100 * PIECE :])
    body = _problem(last, 460, "header.Upload-Metadata")
    assert f"offset {100 * PIECE}" in body["detail"]
    assert tus.offset(client, location, epe_headers) == 100 * PIECE
    [stored] = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert (stored["state"], stored["sha256"]) == ("uploading", None)
    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    assert [r for r in trail if r["action"] == "uploaded"] == []


def test_a_malformed_declaration_or_checksum_algorithm_is_refused(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    _problem(
        tus.create(client, request_id, epe_headers, size=10, sha256="not-a-digest"),
        400,
        "header.Upload-Metadata",
    )
    data = os.urandom(90 * PIECE)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    for named, computed in (("crc32", "crc32c"), ("crc32c", "sha256")):  # unknown; wrong size
        answer = tus.patch(
            client,
            location,
            epe_headers,
            offset=0,
            data=data,
            checksum=named,
            digest_as=computed,
        )
        _problem(answer, 400, "header.Upload-Checksum")
    assert tus.offset(client, location, epe_headers) == 0


def test_a_lost_connection_resumes_from_the_last_stored_chunk(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    data = os.urandom(300 * PIECE)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    assert (
        tus.patch(client, location, epe_headers, offset=0, data=data[: 100 * PIECE]).status_code
        == 204
    )

    def cut_short() -> Iterator[bytes]:  # the client dies 50 units into a 120-unit chunk
        yield data[100 * PIECE : 150 * PIECE]

    lost = tus.patch(
        client,
        location,
        epe_headers,
        offset=100 * PIECE,
        data=cut_short(),
        length=120 * PIECE,
        checksum=None,
    )
    _problem(lost, 400, "header.Content-Length")
    assert tus.offset(client, location, epe_headers) == 100 * PIECE
    rest = tus.patch(client, location, epe_headers, offset=100 * PIECE, data=data[100 * PIECE :])
    assert rest.status_code == 204, rest.text
    files = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert files[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_refusals_are_problems_naming_what_is_wrong(
    client: TestClient, app: FastAPI, request_id: str, epe_headers: dict[str, str]
) -> None:
    _problem(
        tus.create(client, request_id, epe_headers, size=10, camera="cam-9"),
        422,
        "header.Upload-Metadata",
    )
    _problem(
        tus.create(client, request_id, epe_headers, size=10, filetype="text/html"),
        422,
        "header.Upload-Metadata",
    )
    _problem(tus.create(client, request_id, epe_headers, size=0), 400, "header.Upload-Length")
    too_big = app.state.settings.upload_max_file_bytes + 1
    _problem(tus.create(client, request_id, epe_headers, size=too_big), 413)
    no_tus = client.post(
        f"/requests/{request_id}/uploads", headers={**epe_headers, "Upload-Length": "10"}
    )
    _problem(no_tus, 412, "header.Tus-Resumable")

    data = os.urandom(100 * PIECE)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    dup = tus.create(client, request_id, epe_headers, size=10)
    _problem(dup, 409)
    _problem(tus.patch(client, location, epe_headers, offset=5, data=data[: 90 * PIECE]), 409)
    _problem(
        tus.patch(client, location, epe_headers, offset=0, data=data + b"x"),
        413,
        "header.Content-Length",
    )
    _problem(
        tus.patch(client, location, epe_headers, offset=0, data=data[: 4 * PIECE]),
        422,
        "header.Content-Length",
    )
    wrong_type = client.patch(
        location,
        content=data,
        headers={**epe_headers, **tus.TUS, "Upload-Offset": "0", "Content-Type": "video/mp4"},
    )
    _problem(wrong_type, 415, "header.Content-Type")
    assert tus.offset(client, location, epe_headers) == 0


def test_only_the_epe_itself_uploads(
    client: TestClient,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    tokens: Any,
) -> None:
    other_epe = tokens.headers(subject="v2", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-2")
    assert tus.create(client, request_id, other_epe, size=10).status_code == 404
    assert tus.create(client, request_id, officer_headers, size=10).status_code == 403
    location = tus.create(client, request_id, epe_headers, size=10).headers["Location"]
    assert client.head(location, headers={**other_epe, **tus.TUS}).status_code == 404
    sent = tus.patch(client, location, other_epe, offset=0, data=b"0123456789")
    assert sent.status_code == 404
    head = tokens.headers(subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT)
    assert tus.patch(client, location, head, offset=0, data=b"0123456789").status_code == 403


def test_a_cancelled_request_takes_no_more_bytes(
    client: TestClient,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    location = tus.create(client, request_id, epe_headers, size=10).headers["Location"]
    cancelled = client.post(
        f"/requests/{request_id}/cancel", json={"reason": "không cần"}, headers=officer_headers
    )
    assert cancelled.status_code == 200, cancelled.text
    _problem(tus.patch(client, location, epe_headers, offset=0, data=b"0123456789"), 409)
    _problem(tus.create(client, request_id, epe_headers, size=10, name="b.mp4"), 409)


def _open_uploads(app: FastAPI, request_id: str) -> list[str]:
    """The S3 multipart uploads still open under the request's files (on the real server)."""
    store = app.state.evidence_store
    listed = store.client._list_multipart_uploads(store.bucket, prefix=f"{request_id}/files/")
    return [u.upload_id for u in listed.uploads]


def test_an_abandoned_upload_is_terminated_and_its_name_used_again(
    client: TestClient,
    app: FastAPI,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    offered = client.options(f"/requests/{request_id}/uploads", headers={**epe_headers, **tus.TUS})
    assert "termination" in offered.headers["Tus-Extension"].split(",")
    data = os.urandom(150 * PIECE)
    declared = hashlib.sha256(b"the file before it changed").hexdigest()
    created = tus.create(client, request_id, epe_headers, size=len(data), sha256=declared)
    location = created.headers["Location"]
    first = tus.patch(client, location, epe_headers, offset=0, data=data[: 100 * PIECE])
    assert first.status_code == 204, first.text
    last = tus.patch(client, location, epe_headers, offset=100 * PIECE, data=data[100 * PIECE :])
    _problem(last, 460, "header.Upload-Metadata")
    assert len(_open_uploads(app, request_id)) == 1
    submitted = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert "cam-1.mp4" in _problem(submitted, 409)["detail"]  # the unfinished file blocks it

    ended = client.delete(location, headers={**epe_headers, **tus.TUS})
    assert ended.status_code == 204, ended.text
    assert ended.headers["Tus-Resumable"] == "1.0.0"
    assert _open_uploads(app, request_id) == []
    assert client.head(location, headers={**epe_headers, **tus.TUS}).status_code == 404
    _problem(tus.patch(client, location, epe_headers, offset=100 * PIECE, data=data[-10:]), 404)
    _problem(client.delete(location, headers={**epe_headers, **tus.TUS}), 404)
    assert client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"] == []
    file_id = location.rsplit("/", 1)[1]
    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    [record] = [r for r in trail if r["action"] == "upload_terminated"]
    assert (record["file_id"], record["actor"]) == (file_id, "vendor-epe-1")

    sha256 = hashlib.sha256(data).hexdigest()
    again = tus.create(client, request_id, epe_headers, size=len(data), sha256=sha256)
    assert again.status_code == 201, again.text
    anew = again.headers["Location"]
    assert tus.patch(client, anew, epe_headers, offset=0, data=data).status_code == 204
    [stored] = client.get(f"/requests/{request_id}/files", headers=epe_headers).json()["data"]
    assert (stored["name"], stored["state"], stored["sha256"]) == ("cam-1.mp4", "uploaded", sha256)
    submitted = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert submitted.status_code == 200, submitted.text


def test_terminating_is_refused_for_a_complete_busy_or_closed_upload(
    client: TestClient,
    app: FastAPI,
    request_id: str,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    tokens: Any,
) -> None:
    vendor = {**epe_headers, **tus.TUS}
    done = tus.create(client, request_id, epe_headers, size=10, name="done.mp4")
    complete = done.headers["Location"]
    assert tus.patch(client, complete, epe_headers, offset=0, data=b"0123456789").status_code == 204
    assert "complete" in _problem(client.delete(complete, headers=vendor), 409)["detail"]

    data = os.urandom(100 * PIECE)
    location = tus.create(client, request_id, epe_headers, size=len(data)).headers["Location"]
    _problem(client.delete(location, headers=epe_headers), 412, "header.Tus-Resumable")
    other_epe = tokens.headers(subject="v2", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-2")
    _problem(client.delete(location, headers={**other_epe, **tus.TUS}), 404)
    _problem(client.delete(location, headers={**officer_headers, **tus.TUS}), 403)
    _problem(client.delete(f"/requests/{request_id}/uploads/nope", headers=vendor), 404)

    # a chunk being received holds the file (its lease): a DELETE then is refused
    file_id = location.rsplit("/", 1)[1]
    with app.state.engine.begin() as connection:
        connection.execute(
            sa_update(PackageFile)
            .where(col(PackageFile.id) == file_id)
            .values(busy_until=START + timedelta(hours=1))
        )
    assert "being received" in _problem(client.delete(location, headers=vendor), 409)["detail"]
    assert tus.offset(client, location, epe_headers) == 0
    assert len(_open_uploads(app, request_id)) == 1

    cancelled = client.post(
        f"/requests/{request_id}/cancel", json={"reason": "không cần"}, headers=officer_headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert "cancelled" in _problem(client.delete(location, headers=vendor), 409)["detail"]
    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    assert [r for r in trail if r["action"] == "upload_terminated"] == []


def test_a_sealed_request_keeps_its_files(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    location = tus.create(client, request_id, epe_headers, size=10).headers["Location"]
    assert tus.patch(client, location, epe_headers, offset=0, data=b"0123456789").status_code == 204
    submitted = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert submitted.status_code == 200, submitted.text
    ended = client.delete(location, headers={**epe_headers, **tus.TUS})
    assert "sealed" in _problem(ended, 409)["detail"]
