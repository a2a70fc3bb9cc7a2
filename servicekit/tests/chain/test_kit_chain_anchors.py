"""Anchors in a real S3 server with Object Lock: written, read back (every version), and
neither deletable nor replaceable during their retention."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from minio import Minio
from minio.error import S3Error

from servicekit.chain import Anchor, AnchorStore, ChainKey


@pytest.fixture
def store(s3) -> AnchorStore:
    client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure)
    return AnchorStore(client, f"anchors-{uuid.uuid4().hex[:8]}", retention=timedelta(days=1))


def make_anchor(seq: int, mac: str) -> Anchor:
    key = ChainKey(b"secret", chain="audit")
    return Anchor(
        chain="audit",
        seq=seq,
        mac=mac,
        keyed_from=1,
        key_id=key.key_id,
        anchored_at=datetime.now(UTC),
    )


def test_anchors_are_written_and_read_back(store):
    first, second = make_anchor(3, "a" * 64), make_anchor(7, "b" * 64)
    store.write(first)
    store.write(second)
    assert store.read("audit") == [first, second]
    assert store.read("other") == []


def test_an_anchor_cannot_be_deleted_or_hidden(store):
    anchor = make_anchor(3, "a" * 64)
    key = store.write(anchor)
    versions = list(store.client.list_objects(store.bucket, prefix=key, include_version=True))
    assert store.client.get_object_retention(store.bucket, key).mode == "COMPLIANCE"
    with pytest.raises(S3Error):
        store.client.remove_object(store.bucket, key, version_id=versions[0].version_id)
    # writing over the name only adds a version: the original is still read
    store.client.put_object(store.bucket, key, io.BytesIO(b"{}"), 2)
    with pytest.raises(ValueError, match="validation"):
        store.read("audit")
    assert anchor in [
        Anchor.model_validate_json(
            store.client.get_object(store.bucket, key, version_id=v.version_id).read()
        )
        for v in versions
    ]
