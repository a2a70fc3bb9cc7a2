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
from typing import BinaryIO, Protocol, cast

import google_crc32c
from fastapi import FastAPI
from minio import Minio
from minio import time as s3time
from minio.commonconfig import COMPLIANCE
from minio.credentials.credentials import Credentials
from minio.datatypes import Part
from minio.error import S3Error
from minio.helpers import DictType
from minio.retention import Retention

from evidence.settings import Settings
from servicekit.objectstore import Bucket, s3_client

log = logging.getLogger(__name__)


class ObjectLockUnavailable(RuntimeError):
    """The S3 server or bucket cannot lock objects: evidence could be deleted or replaced."""


UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class PartBody(Protocol):
    """A part's bytes as pieces, sent one after another (never joined into one buffer)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[bytes]: ...


class _PartsClient(Minio):
    """The store's S3 client, sending a part's pieces as they are and without hashing them
    for the signature (`UNSIGNED-PAYLOAD`).

    Over plain HTTP the SDK signs a SHA-256 of every body: a third pass over each byte
    besides the file's SHA-256 and the chunk's checksum, which the S3 server in use
    (SeaweedFS) does not even compare with the bytes. The part carries its own checksum
    instead (see `EvidenceStore.upload_part`), which the server does check on receipt.
    Shares the given client's connection pool, credentials and region cache.
    """

    def __init__(self, client: Minio) -> None:  # a view of `client`, not a new client
        self.__dict__.update(client.__dict__)

    def _build_headers(
        self,
        host: str,
        headers: DictType | None = None,
        body: bytes | None = None,
        creds: Credentials | None = None,
    ) -> tuple[DictType, datetime]:
        headers = headers or {}
        headers["Host"] = host
        headers["User-Agent"] = self._user_agent
        headers["Content-Length"] = str(len(body) if body is not None else 0)
        if creds:
            headers["x-amz-content-sha256"] = UNSIGNED_PAYLOAD
            if creds.session_token:
                headers["X-Amz-Security-Token"] = creds.session_token
        date = s3time.utcnow()
        headers["x-amz-date"] = s3time.to_amz_date(date)
        return headers, date


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
        self._parts = _PartsClient(client)

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

    def upload_part(self, key: str, upload_id: str, number: int, data: PartBody) -> str:
        """Store one part, checked by the server on receipt; returns its ETag.

        Over HTTPS the part carries its Content-MD5, which every S3 server checks. Over plain
        HTTP (SeaweedFS in `make run` and the tests, a server beside the service) it carries
        its CRC32C (`x-amz-checksum-crc32c`, also checked on receipt) instead, computed with
        the processor's CRC32C instruction: a small fraction of the CPU of MD5, of the SDK's
        signed SHA-256 or of zlib's CRC32."""
        headers: DictType = {}
        if self.secure:
            md5 = hashlib.md5()  # noqa: S324 - S3's integrity check, not security
            for piece in data:
                md5.update(piece)
            headers["Content-MD5"] = base64.b64encode(md5.digest()).decode()
        else:
            crc = 0
            for piece in data:
                crc = google_crc32c.extend(crc, piece)
            headers["x-amz-checksum-crc32c"] = base64.b64encode(crc.to_bytes(4, "big")).decode()
        # The SDK's multipart call takes the body as bytes; the pieces pass through to urllib3
        # (an iterable body with its Content-Length) untouched.
        body = cast(bytes, data)
        return self._parts._upload_part(self.bucket, key, body, headers, upload_id, number)

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Abort a multipart upload: its parts are discarded and no object ever appears (an
        upload already gone is fine: a retried termination aborts it again)."""
        try:
            self.client._abort_multipart_upload(self.bucket, key, upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

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
