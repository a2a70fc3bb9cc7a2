"""Diagram objects in S3 through the `minio` SDK: versioned keys, one object per version."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

import urllib3
from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError as TransportError

from registry.settings import Settings

CHUNK = 64 * 1024
STORAGE_ERRORS = (OSError, ValueError, S3Error, TransportError)
"""What talking to object storage may raise: mapped to 503 by the routes."""


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
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=5.0, read=60.0),
                retries=urllib3.Retry(
                    total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
                ),
                maxsize=10,
            ),
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
