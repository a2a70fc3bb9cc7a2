"""The S3 fixture is a real S3 server reachable with the minio SDK."""

import io
import uuid

from minio import Minio


def test_s3_fixture_stores_and_returns_an_object(s3):
    client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure)
    bucket = f"kit-{uuid.uuid4().hex[:8]}"
    client.make_bucket(bucket)
    client.put_object(bucket, "a.txt", io.BytesIO(b"hello"), 5)
    assert client.get_object(bucket, "a.txt").read() == b"hello"
