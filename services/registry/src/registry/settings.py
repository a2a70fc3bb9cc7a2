"""Typed settings of the registry service."""

import json
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    IPvAnyNetwork,
    field_validator,
    model_validator,
)
from pydantic_settings import NoDecode, SettingsConfigDict

from registry.health.probe_policy import (
    DEFAULT_ALLOWED_NETWORKS,
    DEFAULT_ALLOWED_PORTS,
    DEFAULT_DENIED_NETWORKS,
    ProbePolicy,
    parse_networks,
)
from servicekit.settings import ObjectStoreSettings, ServiceSettings


def _port_range(value: Any) -> Any:
    """A port (`554`) or an inclusive range (`"8000-8099"`) as a `(low, high)` pair."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    elif isinstance(value, str):
        first, sep, last = value.strip().partition("-")
        try:
            value = (int(first), int(last if sep else first))
        except ValueError:
            raise ValueError("a port (554) or a range of ports (8000-8099)") from None
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = int(value[0]), int(value[1])
        if not 1 <= low <= high <= 65535:
            raise ValueError("ports are 1-65535 and a range goes from low to high")
        return (low, high)
    return value


PortRange = Annotated[tuple[int, int], BeforeValidator(_port_range)]


def _split_list(value: Any) -> Any:
    """A list from the environment: JSON (`["10.0.0.0/8"]`) or comma-separated (`554,8554`)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _env(name: str) -> AliasChoices:
    """Read REGISTRY_<NAME> first, then the stack-wide <NAME> (e.g. S3_ENDPOINT)."""
    return AliasChoices(f"registry_{name}", name)


class Settings(ServiceSettings, ObjectStoreSettings):
    """Registry settings; environment variables prefixed REGISTRY_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    port: int = 8102

    # Object storage for diagrams (minio SDK against any S3 API).
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
    probe_save_resolve_wait: float = Field(
        default=2.0,
        gt=0,
        description="how long saving a camera waits for its probed host name to resolve "
        "(a name that does not resolve in time is accepted; the prober checks every probe)",
    )
    probe_claim_seconds: float = Field(default=30.0, gt=0)
    # Where the prober may connect (server-side request forgery guard): an address is probed
    # only if it is in an allowed network and in no denied network; every address a name
    # resolves to must pass. See docs/registry.md, "Prober network policy".
    probe_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: list(parse_networks(DEFAULT_ALLOWED_NETWORKS)),
        description="CIDRs cameras may be probed in (default: any address not denied)",
    )
    probe_denied_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: list(parse_networks(DEFAULT_DENIED_NETWORKS)),
        description="CIDRs never probed, even if allowed (default: loopback, link-local and "
        "cloud metadata, multicast, unspecified, reserved; IPv4 and IPv6)",
    )
    probe_allowed_ports: Annotated[list[PortRange], NoDecode] = Field(
        default_factory=lambda: [(p, p) for p in DEFAULT_ALLOWED_PORTS],
        description="ports (554) or ranges (8000-8099) the prober may connect to",
    )

    maintenance_min_notice: float = Field(
        default=0.0, ge=0, description="how far ahead a maintenance window must be declared"
    )
    # Windows are planned work, not a way to mark cameras planned-down for good: a start far in
    # the future or a window of months is a typo or an abuse (ISO 8601 durations or seconds).
    maintenance_max_ahead: timedelta = Field(
        default=timedelta(days=366),
        gt=timedelta(0),
        description="how far ahead a maintenance window may start",
    )
    maintenance_max_duration: timedelta = Field(
        default=timedelta(days=31), gt=timedelta(0), description="the longest maintenance window"
    )

    @field_validator(
        "probe_allowed_networks", "probe_denied_networks", "probe_allowed_ports", mode="before"
    )
    @classmethod
    def _list_from_environment(cls, value: Any) -> Any:
        return _split_list(value)

    def probe_policy(self) -> ProbePolicy:
        """The prober's network policy from these settings."""
        return ProbePolicy.build(
            allowed=self.probe_allowed_networks,
            denied=self.probe_denied_networks,
            ports=self.probe_allowed_ports,
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
