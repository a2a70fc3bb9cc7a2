"""Diagram objects in S3 through the `minio` SDK: versioned keys, one object per version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

from registry.settings import Settings
from servicekit.objectstore import Bucket, s3_client

CHUNK = 64 * 1024


class DiagramStore:
    """The bucket holding diagrams; created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.client = s3_client(settings, read_timeout=60.0)
        self._bucket = Bucket(self.client, self.bucket)

    def put(self, key: str, data: IO[bytes], *, size: int, content_type: str, sha256: str) -> None:
        """Upload one version (multipart for large files, handled by the SDK)."""
        self._bucket.ensure()
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
