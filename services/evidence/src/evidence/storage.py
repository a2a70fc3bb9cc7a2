"""The evidence bucket: created with Object Lock, every object under COMPLIANCE retention.

COMPLIANCE mode means nobody, not even the bucket's owner, can delete or overwrite an object's
version before its retention ends (Decision I.2.2.b: at least 12 months). A bucket without
Object Lock cannot get it later, so the service checks it at start and, in production,
refuses to start on a server or bucket that cannot lock.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from fastapi import FastAPI
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.datatypes import Part
from minio.error import S3Error
from minio.helpers import DictType
from minio.retention import Retention

from evidence.settings import Settings
from servicekit.objectstore import Bucket, s3_client

log = logging.getLogger(__name__)


class ObjectLockUnavailable(RuntimeError):
    """The S3 server or bucket cannot lock objects: evidence could be deleted or replaced."""


class EvidenceStore:
    """Puts evidence objects under COMPLIANCE retention in an Object-Locked bucket."""

    def __init__(
        self, client: Minio, bucket: str, *, retention: timedelta, secure: bool = False
    ) -> None:
        self.client = client
        self.secure = secure
        self.bucket = bucket
        self.retention = retention
        self._bucket = Bucket(client, bucket, object_lock=True)

    def ensure_locked(self) -> None:
        """Create the bucket if missing and check it has Object Lock enabled."""
        self._bucket.ensure()
        try:
            config = self.client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            raise ObjectLockUnavailable(
                f"bucket {self.bucket!r} has no Object Lock ({exc.code}): evidence could be "
                "deleted before its retention; use an S3 server with Object Lock and a bucket "
                "created with it"
            ) from exc
        log.info("evidence bucket %s is Object-Locked (default mode %s)", self.bucket, config.mode)

    def put(
        self, key: str, data: BinaryIO, length: int, *, media_type: str, now: datetime
    ) -> datetime:
        """Store an object under COMPLIANCE retention from `now`; returns when it ends."""
        return self.put_version(
            key, data, length, media_type=media_type, until=now + self.retention
        )[1]

    def put_version(
        self, key: str, data: BinaryIO, length: int, *, media_type: str, until: datetime
    ) -> tuple[str | None, datetime]:
        """Store an object under COMPLIANCE retention until `until`; its version id."""
        self.ensure_locked()
        result = self.client.put_object(
            self.bucket,
            key,
            data,
            length,
            content_type=media_type,
            retention=Retention(COMPLIANCE, until),
        )
        return result.version_id, until

    # Multipart upload: the bytes of a file arrive over many requests (and replicas), each part
    # is stored as it comes and the object appears, whole, only on completion. The SDK's public
    # put_object cannot resume across requests, so its multipart calls are used directly.

    def start_upload(self, key: str, *, media_type: str) -> str:
        """Begin a multipart upload; its id (kept in the database between chunks)."""
        self.ensure_locked()
        return self.client._create_multipart_upload(self.bucket, key, {"Content-Type": media_type})

    def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Store one part, checked by the server on receipt: over HTTP the SDK signs the
        part's SHA-256 (which S3 recomputes), over HTTPS it sends no payload hash, so the part
        carries its Content-MD5. Returns its ETag."""
        headers: DictType = {}
        if self.secure:
            digest = hashlib.md5(data).digest()  # noqa: S324 - S3's integrity check, not security
            headers["Content-MD5"] = base64.b64encode(digest).decode()
        return self.client._upload_part(self.bucket, key, data, headers, upload_id, number)

    def retain_until(self) -> datetime:
        """When retention set now ends. Counted on the wall clock, not the app's: the S3
        server refuses a retention date in its past."""
        return datetime.now(UTC) + self.retention

    def complete_upload(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> str | None:
        """Join the parts into the object and lock it (COMPLIANCE for the retention period);
        its version id."""
        result = self.client._complete_multipart_upload(
            self.bucket, key, upload_id, [Part(number, etag) for number, etag in parts]
        )
        self.retain(key, result.version_id, until=self.retain_until())
        return result.version_id

    def retain(self, key: str, version_id: str | None, *, until: datetime) -> None:
        """Set (or extend: COMPLIANCE never shortens) an object version's retention."""
        self.client.set_object_retention(
            self.bucket, key, Retention(COMPLIANCE, until), version_id=version_id
        )

    def legal_hold(self, key: str, version_id: str | None, *, on: bool) -> None:
        """Place or lift a legal hold on an object version."""
        if on:
            self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
        else:
            self.client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def blocks(
        self, key: str, version_id: str | None, *, size: int = 1024 * 1024
    ) -> Iterator[bytes]:
        """An object version's bytes in blocks (streamed, never whole in memory)."""
        response = self.client.get_object(self.bucket, key, version_id=version_id)
        try:
            yield from response.stream(size)
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str, version_id: str | None) -> bool:
        """Whether the object version is there."""
        try:
            self.client.stat_object(self.bucket, key, version_id=version_id)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchVersion", "NoSuchObject"}:
                return False
            raise
        return True


def evidence_store(settings: Settings) -> EvidenceStore:
    """The store the settings describe."""
    return EvidenceStore(
        s3_client(settings),
        settings.evidence_bucket,
        retention=timedelta(days=settings.retention_days),
        secure=settings.s3_secure,
    )


def require_object_lock(app: FastAPI) -> None:
    """Startup step (production): refuse to serve when evidence cannot be locked."""
    store: EvidenceStore = app.state.evidence_store
    store.ensure_locked()
