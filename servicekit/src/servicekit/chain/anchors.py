"""Anchors: a chain's head written outside the database, to Object-Locked S3.

Each anchor is its own object under `<chain>/`, kept in COMPLIANCE mode until its retention
ends, so nobody (not even the bucket's owner) can delete or overwrite it before then; a later
write to the same name only adds a version, and readers read every version.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.retention import Retention
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from servicekit.objectstore import Bucket


class Anchor(BaseModel):
    """The head of a chain at a moment: its last seq and MAC, and which key made it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain: str = Field(description="which chain, e.g. access-audit")
    seq: int = Field(ge=0, description="the last link covered")
    mac: str = Field(description="that link's MAC")
    keyed_from: int = Field(ge=1, description="the first keyed link of the chain")
    key_id: str = Field(description="fingerprint of the chain key (not the key)")
    anchored_at: AwareDatetime


def anchor_key(anchor: Anchor) -> str:
    """The object name of an anchor: by chain, then seq and time, so listings sort."""
    stamp = anchor.anchored_at.strftime("%Y%m%dT%H%M%S%fZ")
    return f"{anchor.chain}/{anchor.seq:012d}-{stamp}.json"


class AnchorStore:
    """Writes and reads anchors in a bucket created with Object Lock."""

    def __init__(self, client: Minio, bucket: str, *, retention: timedelta) -> None:
        self.client = client
        self.bucket = bucket
        self.retention = retention
        self._bucket = Bucket(client, bucket, object_lock=True)  # a lock cannot be added later

    def write(self, anchor: Anchor) -> str:
        """Store the anchor under COMPLIANCE retention; returns its object name."""
        self._bucket.ensure()
        data = anchor.model_dump_json().encode()
        key = anchor_key(anchor)
        until = anchor.anchored_at + self.retention
        self.client.put_object(
            self.bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type="application/json",
            retention=Retention(COMPLIANCE, until),
        )
        return key

    def read(self, chain: str) -> list[Anchor]:
        """Every anchor of a chain (every version of every object), oldest first."""
        self._bucket.ensure()
        anchors: list[Anchor] = []
        for item in self.client.list_objects(
            self.bucket, prefix=f"{chain}/", recursive=True, include_version=True
        ):
            if item.object_name is None or item.is_delete_marker:
                continue
            response = self.client.get_object(
                self.bucket, item.object_name, version_id=item.version_id
            )
            try:
                anchors.append(Anchor.model_validate_json(response.read()))
            finally:
                response.close()
                response.release_conn()
        return sorted(anchors, key=_order)


def _order(anchor: Anchor) -> tuple[datetime, int]:
    return anchor.anchored_at, anchor.seq
