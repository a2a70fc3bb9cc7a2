"""Object storage: settings read like the shared ones, one client, buckets made once."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.objectstore import Bucket, s3_client
from servicekit.settings import ObjectStoreSettings, ServiceSettings


class StoringSettings(ServiceSettings, ObjectStoreSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


class PlainSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


def test_prefixed_variables_win_over_the_stack_wide_ones(monkeypatch):
    monkeypatch.setenv("S3_ENDPOINT", "127.0.0.1:9999")
    monkeypatch.setenv("S3_SECRET_KEY", "from-stack")
    monkeypatch.setenv("DEMO_S3_ENDPOINT", "127.0.0.1:7777")
    settings = StoringSettings()
    assert settings.s3_endpoint == "127.0.0.1:7777"
    assert settings.s3_secret_key.get_secret_value() == "from-stack"


def test_a_service_without_object_storage_ignores_the_stack_wide_variables(monkeypatch):
    monkeypatch.setenv("S3_ENDPOINT", "127.0.0.1:9999")
    assert not hasattr(PlainSettings(), "s3_endpoint")


def test_buckets_are_made_once_even_when_asked_concurrently(s3):
    settings = ObjectStoreSettings(
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=SecretStr(s3.secret_key),
        s3_secure=s3.secure,
    )
    client = s3_client(settings)
    name = f"kit-{uuid.uuid4().hex[:12]}"
    buckets = [Bucket(client, name, object_lock=True) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda bucket: bucket.ensure(), buckets))
    assert client.bucket_exists(name)
    assert client.get_object_lock_config(name) is not None  # locked at creation
    client.put_object(name, "k", io.BytesIO(b"x"), 1)
    assert client.get_object(name, "k").read() == b"x"
