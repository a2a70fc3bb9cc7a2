"""Typed settings of the registry service."""

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    """Read REGISTRY_<NAME> first, then the stack-wide <NAME> (e.g. S3_ENDPOINT)."""
    return AliasChoices(f"registry_{name}", name)


class Settings(ServiceSettings):
    """Registry settings; environment variables prefixed REGISTRY_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    port: int = 8102

    # Object storage for diagrams (minio SDK against any S3 API).
    s3_endpoint: str = Field(default="127.0.0.1:9000", validation_alias=_env("s3_endpoint"))
    s3_access_key: str = Field(default="", validation_alias=_env("s3_access_key"))
    s3_secret_key: SecretStr = Field(default=SecretStr(""), validation_alias=_env("s3_secret_key"))
    s3_secure: bool = Field(default=False, validation_alias=_env("s3_secure"))
    s3_region: str | None = Field(default=None, validation_alias=_env("s3_region"))
    s3_bucket: str = Field(default="camwatch-registry", validation_alias=_env("s3_bucket"))
    diagram_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)

    # Live camera health (seconds).
    heartbeat_interval: float = Field(default=60.0, gt=0, description="expected push cadence")
    offline_after_silence: float = Field(
        default=100.0, gt=0, description="no heartbeat for this long: the camera is offline"
    )
    fault_grace: float = Field(
        default=30.0, ge=0, description="a reported fault shorter than this is a blip, ignored"
    )
    detector_enabled: bool = True
    detector_tick: float = Field(default=5.0, gt=0, description="how often transitions run")
    detector_batch: int = Field(default=2000, gt=0, description="transitions per transaction")
    heartbeat_max_batch: int = Field(default=20000, gt=0, description="cameras per request")

    # Active prober (customs reaching cameras directly).
    prober_enabled: bool = True
    probe_interval: float = Field(default=60.0, gt=0)
    probe_timeout: float = Field(default=5.0, gt=0)
    probe_concurrency: int = Field(default=50, gt=0)
    probe_claim_seconds: float = Field(default=30.0, gt=0)

    maintenance_min_notice: float = Field(
        default=0.0, ge=0, description="how far ahead a maintenance window must be declared"
    )

    @model_validator(mode="after")
    def _detect_within_two_intervals(self) -> Self:
        """A dead camera must be offline within two heartbeat intervals (issue 4)."""
        worst = self.offline_after_silence + self.detector_tick
        if worst > 2 * self.heartbeat_interval:
            raise ValueError(
                f"offline_after_silence + detector_tick = {worst:g} s exceeds two heartbeat "
                f"intervals ({2 * self.heartbeat_interval:g} s)"
            )
        if self.offline_after_silence <= self.heartbeat_interval:
            raise ValueError("offline_after_silence must exceed heartbeat_interval")
        return self
