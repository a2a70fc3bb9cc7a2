"""Settings: S3 from the stack-wide variables, and detection within two intervals enforced."""

import pytest
from pydantic import ValidationError

from registry.settings import Settings


def test_s3_settings_fall_back_to_stack_variables(monkeypatch):
    monkeypatch.setenv("S3_ENDPOINT", "127.0.0.1:9999")
    monkeypatch.setenv("S3_SECRET_KEY", "from-stack")
    monkeypatch.setenv("REGISTRY_S3_BUCKET", "diagrams")
    settings = Settings()
    assert settings.s3_endpoint == "127.0.0.1:9999"
    assert settings.s3_secret_key.get_secret_value() == "from-stack"
    assert settings.s3_bucket == "diagrams"
    monkeypatch.setenv("REGISTRY_S3_ENDPOINT", "127.0.0.1:7000")
    assert Settings().s3_endpoint == "127.0.0.1:7000"


def test_detection_must_fit_in_two_intervals():
    Settings(heartbeat_interval=60, offline_after_silence=110, detector_tick=10)
    with pytest.raises(ValidationError, match="exceeds two heartbeat intervals"):
        Settings(heartbeat_interval=60, offline_after_silence=115, detector_tick=10)
    with pytest.raises(ValidationError, match="must exceed heartbeat_interval"):
        Settings(heartbeat_interval=60, offline_after_silence=50)
