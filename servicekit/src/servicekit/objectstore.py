"""Object storage through the `minio` SDK (any S3 API): one client factory, buckets made once.

Registry diagrams, the audit chain's anchors and evidence exports all use it, so timeouts,
retries and bucket creation behave the same everywhere.
"""

from __future__ import annotations

import threading

import urllib3
from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError as TransportError

from servicekit.settings import ObjectStoreSettings

STORAGE_ERRORS = (OSError, ValueError, S3Error, TransportError)
"""What talking to object storage may raise (a route maps it to 503)."""


def s3_client(
    settings: ObjectStoreSettings, *, read_timeout: float = 30.0, pool_size: int = 10
) -> Minio:
    """A client with bounded timeouts and a short retry of transient server errors."""
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key or None,
        secret_key=settings.s3_secret_key.get_secret_value() or None,
        secure=settings.s3_secure,
        region=settings.s3_region,
        http_client=urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=read_timeout),
            retries=urllib3.Retry(
                total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
            ),
            maxsize=pool_size,
        ),
    )


class Bucket:
    """A bucket created on first use, once per process (Object Lock only at creation)."""

    def __init__(self, client: Minio, name: str, *, object_lock: bool = False) -> None:
        self.client = client
        self.name = name
        self.object_lock = object_lock
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the bucket when missing; concurrent callers and replicas are fine."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                if not self.client.bucket_exists(self.name):
                    self.client.make_bucket(self.name, object_lock=self.object_lock)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
            self._ready = True
