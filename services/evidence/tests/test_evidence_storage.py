"""The evidence bucket on the real S3 server: COMPLIANCE retention refuses delete and
overwrite, and a server or bucket without Object Lock is refused."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from minio import Minio
from minio.error import S3Error
from pydantic import ValidationError

from evidence.main import create_app
from evidence.settings import Settings
from evidence.storage import EvidenceStore, ObjectLockUnavailable, require_object_lock
from servicekit.settings import Environment


def _client(s3: Any) -> Minio:
    return Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure)


def test_an_evidence_object_can_be_neither_deleted_nor_replaced(s3: Any) -> None:
    store = EvidenceStore(
        _client(s3), f"evidence-{uuid.uuid4().hex[:8]}", retention=timedelta(days=366)
    )
    now = datetime.now(UTC).replace(microsecond=0)
    until = store.put("req-1/cam-1.mp4", io.BytesIO(b"video"), 5, media_type="video/mp4", now=now)
    assert until == now + timedelta(days=366)
    retention = store.client.get_object_retention(store.bucket, "req-1/cam-1.mp4")
    assert retention.mode == "COMPLIANCE"
    assert retention.retain_until_date >= now + timedelta(days=366)
    [version] = list(
        store.client.list_objects(store.bucket, prefix="req-1/cam-1.mp4", include_version=True)
    )
    with pytest.raises(S3Error):
        store.client.remove_object(store.bucket, "req-1/cam-1.mp4", version_id=version.version_id)
    # a write over the name only adds a version: the sealed bytes stay readable
    store.client.put_object(store.bucket, "req-1/cam-1.mp4", io.BytesIO(b"forged"), 6)
    original = store.client.get_object(
        store.bucket, "req-1/cam-1.mp4", version_id=version.version_id
    )
    assert original.read() == b"video"
    original.close()


class _Changing:
    """A part whose bytes change between the checksum and the sending (a corruption)."""

    def __init__(self) -> None:
        self.reads = 0

    def __len__(self) -> int:
        return 6 * 1024 * 1024

    def __iter__(self) -> Iterator[bytes]:
        self.reads += 1
        yield bytes([self.reads]) * len(self)


def test_a_part_is_checked_by_the_server_on_receipt(s3: Any) -> None:
    store = EvidenceStore(
        _client(s3), f"evidence-{uuid.uuid4().hex[:8]}", retention=timedelta(days=366)
    )
    upload_id = store.start_upload("req-1/cam-1.mp4", media_type="video/mp4")
    with pytest.raises(S3Error, match="BadDigest"):
        store.upload_part("req-1/cam-1.mp4", upload_id, 1, _Changing())


def test_a_bucket_without_object_lock_is_refused(s3: Any) -> None:
    client = _client(s3)
    bucket = f"plain-{uuid.uuid4().hex[:8]}"
    client.make_bucket(bucket)  # without Object Lock, which cannot be added later
    store = EvidenceStore(client, bucket, retention=timedelta(days=366))
    with pytest.raises(ObjectLockUnavailable, match=bucket):
        store.ensure_locked()


def test_retention_is_at_least_twelve_months() -> None:
    with pytest.raises(ValidationError, match="retention_days"):
        Settings(retention_days=365)


def test_production_checks_the_lock_before_serving(s3: Any, database: Any, tokens: Any) -> None:
    settings = Settings(
        environment=Environment.TEST,
        database_url=database.url,
        database_schema=database.schema,
        events_enabled=False,
        log_json=False,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
    )
    production = settings.model_copy(update={"environment": Environment.PRODUCTION})
    app = create_app(production, token_verifier=tokens.verifier(), watcher_enabled=False)
    assert list(app.state.spec.startup) == [require_object_lock]
    plain = f"plain-{uuid.uuid4().hex[:8]}"
    _client(s3).make_bucket(plain)
    app.state.evidence_store = EvidenceStore(_client(s3), plain, retention=timedelta(days=366))
    with pytest.raises(ObjectLockUnavailable, match="Object Lock"), TestClient(app):
        pass  # the lifespan's startup step refuses before anything is served
    app.state.engine.dispose()
    test_app = create_app(settings, token_verifier=tokens.verifier(), watcher_enabled=False)
    assert list(test_app.state.spec.startup) == []
    test_app.state.engine.dispose()
