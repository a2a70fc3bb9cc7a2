"""Officers view, stream and download sealed files with HTTP Range; each answer is recorded in
the custody chain, and a whole download whose bytes differ from the seal is recorded too."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyRecord
from evidence.storage import EvidenceStore
from servicekit.clock import ManualClock

from ..conftest import Feed
from ..sealed import NOTE, VIDEO, seal_package


def _records(app: FastAPI, package_id: str) -> list[CustodyRecord]:
    with Session(app.state.engine) as session:
        query = (
            select(CustodyRecord)
            .where(CustodyRecord.package_id == package_id)
            .order_by(col(CustodyRecord.seq))
        )
        return list(session.exec(query).all())


def test_a_range_is_206_with_exactly_its_bytes_and_is_recorded_as_streamed(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    url = f"/packages/{sealed.package_id}/files/{sealed.video_id}/content"
    for header, start, end in (
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=1048000-", 1048000, len(VIDEO) - 1),
        ("bytes=-10", len(VIDEO) - 10, len(VIDEO) - 1),
    ):
        part = client.get(url, headers={**officer_headers, "Range": header})
        assert part.status_code == 206, part.text
        assert part.content == VIDEO[start : end + 1]
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(VIDEO)}"
        assert part.headers["content-length"] == str(end - start + 1)
        assert part.headers["accept-ranges"] == "bytes"
        assert part.headers["content-type"] == "video/mp4"
        assert part.headers["etag"] == f'"{hashlib.sha256(VIDEO).hexdigest()}"'
    records = _records(app, sealed.package_id)
    streamed = [r for r in records if r.action == "streamed"]
    assert len(streamed) == 3
    assert streamed[0].actor == "officer-an"
    assert streamed[0].file_id == sealed.video_id
    assert streamed[0].sha256 == hashlib.sha256(VIDEO).hexdigest()
    assert streamed[0].source == "testclient"
    assert '"range":"bytes 1000-1999/1048576"' in streamed[0].details


def test_whole_views_and_downloads_are_recorded_and_served(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    head_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    base = f"/packages/{sealed.package_id}/files/{sealed.note_id}"
    view = client.get(f"{base}/content", headers=head_headers)
    assert view.status_code == 200
    assert view.content == NOTE
    assert view.headers["content-disposition"].startswith("inline; filename*=UTF-8''ghi-chu.txt")
    download = client.get(f"{base}/download", headers=head_headers)
    assert download.status_code == 200
    assert download.content == NOTE
    assert download.headers["content-disposition"].startswith("attachment;")
    actions = [r.action for r in _records(app, sealed.package_id)]
    assert actions == ["sealed", "viewed", "downloaded"]


def test_bad_ranges_are_416_and_a_stale_if_range_gets_the_whole_file(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    url = f"/packages/{sealed.package_id}/files/{sealed.note_id}/content"
    for header in (f"bytes={len(NOTE)}-", "bytes=0-1,4-5", "pages=1"):
        refused = client.get(url, headers={**officer_headers, "Range": header})
        assert refused.status_code == 416, header
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["content-range"] == f"bytes */{len(NOTE)}"
    stale = client.get(url, headers={**officer_headers, "Range": "bytes=0-3", "If-Range": '"x"'})
    assert stale.status_code == 200
    assert stale.content == NOTE
    assert [r.action for r in _records(app, sealed.package_id)] == ["sealed", "viewed"]


def test_bytes_that_differ_from_the_seal_are_recorded_as_a_failed_check(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
    s3: Any,
) -> None:
    """Someone with storage rights cannot change a locked version, but a row pointing at
    another version (or a server that broke its lock) must not pass unnoticed."""
    sealed = seal_package(app, clock.now())
    store: EvidenceStore = app.state.evidence_store
    forged = b"X" * len(NOTE)
    key = f"{sealed.request_id}/ghi-chu.txt"
    result = store.client.put_object(store.bucket, key, io.BytesIO(forged), len(forged))
    with Session(app.state.engine) as session:
        from evidence.packages.models import PackageFile

        file = session.get(PackageFile, sealed.note_id)
        assert file is not None
        file.version_id = result.version_id
        session.add(file)
        session.commit()
    download = client.get(
        f"/packages/{sealed.package_id}/files/{sealed.note_id}/download", headers=officer_headers
    )
    assert download.status_code == 200
    assert download.content == forged
    records = _records(app, sealed.package_id)
    assert [r.action for r in records] == ["sealed", "downloaded", "verified"]
    assert '"result":"mismatch"' in records[-1].details
    assert hashlib.sha256(forged).hexdigest() in records[-1].details


def test_a_file_of_another_package_or_unknown_is_404(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
) -> None:
    first, second = seal_package(app, clock.now()), seal_package(app, clock.now())
    mixed = f"/packages/{first.package_id}/files/{second.video_id}/content"
    assert client.get(mixed, headers=officer_headers).status_code == 404
    unknown = f"/packages/{first.package_id}/files/nope/content"
    assert client.get(unknown, headers=officer_headers).status_code == 404
