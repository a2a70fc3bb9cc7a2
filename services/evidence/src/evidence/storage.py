"""The evidence bucket: created with Object Lock, every object under COMPLIANCE retention.

COMPLIANCE mode means nobody, not even the bucket's owner, can delete or overwrite an object's
version before its retention ends (Decision I.2.2.b: at least 12 months). A bucket without
Object Lock cannot get it later, so the service checks it at start and, in production,
refuses to start on a server or bucket that cannot lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import BinaryIO

from fastapi import FastAPI
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from evidence.settings import Settings
from servicekit.objectstore import Bucket, s3_client

log = logging.getLogger(__name__)


class ObjectLockUnavailable(RuntimeError):
    """The S3 server or bucket cannot lock objects: evidence could be deleted or replaced."""


class EvidenceStore:
    """Puts evidence objects under COMPLIANCE retention in an Object-Locked bucket."""

    def __init__(self, client: Minio, bucket: str, *, retention: timedelta) -> None:
        self.client = client
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
        self.ensure_locked()
        until = now + self.retention
        self.client.put_object(
            self.bucket,
            key,
            data,
            length,
            content_type=media_type,
            retention=Retention(COMPLIANCE, until),
        )
        return until


def evidence_store(settings: Settings) -> EvidenceStore:
    """The store the settings describe."""
    return EvidenceStore(
        s3_client(settings),
        settings.evidence_bucket,
        retention=timedelta(days=settings.retention_days),
    )


def require_object_lock(app: FastAPI) -> None:
    """Startup step (production): refuse to serve when evidence cannot be locked."""
    store: EvidenceStore = app.state.evidence_store
    store.ensure_locked()
