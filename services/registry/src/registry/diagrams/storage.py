"""Diagram objects in S3 through the `minio` SDK: versioned keys, one object per version."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

from minio import Minio
from minio.error import S3Error

from registry.settings import Settings

CHUNK = 64 * 1024


class DiagramStore:
    """The bucket holding diagrams; created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key or None,
            secret_key=settings.s3_secret_key.get_secret_value() or None,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        self._ready = False
        self._lock = threading.Lock()

    def ensure_bucket(self) -> None:
        """Create the bucket when missing (idempotent, once per process)."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                if not self.client.bucket_exists(self.bucket):
                    self.client.make_bucket(self.bucket)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
            self._ready = True

    def put(self, key: str, data: IO[bytes], *, size: int, content_type: str, sha256: str) -> None:
        """Upload one version (multipart for large files, handled by the SDK)."""
        self.ensure_bucket()
        self.client.put_object(
            self.bucket,
            key,
            cast(BinaryIO, data),
            length=size,
            content_type=content_type,
            metadata={"x-amz-meta-sha256": sha256},
        )

    def open(self, key: str) -> Iterator[bytes]:
        """Fetch the object now (errors surface here) and return its bytes as chunks."""
        response: Any = self.client.get_object(self.bucket, key)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(CHUNK)
            finally:
                response.close()
                response.release_conn()

        return chunks()
