"""Typed settings of the incidents service."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Incidents settings; environment variables prefixed INCIDENTS_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="INCIDENTS_", extra="ignore")

    service_name: str = "incidents"
    port: int = 8103

    timezone: str = Field(
        default="Asia/Ho_Chi_Minh", description="Time zone of deadlines and working days"
    )
    equipment_restoration_working_days: int = Field(
        default=10, ge=1, description="Decision I.2.3.a: camera equipment restored within"
    )
    channel_restoration_working_days: int = Field(
        default=3, ge=1, description="Decision I.2.3.b: transmission channel restored within"
    )
    extension_grace_working_days: int = Field(
        default=1,
        ge=0,
        description="Working days after an unmet deadline by which the extension notice "
        "(reasons and expected completion) must have been filed",
    )
    recurrence_window_days: int = Field(
        default=30,
        ge=0,
        description="A camera failing again within this many days of its last restoration "
        "links the new incident to the earlier one",
    )
    watcher_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often the deadline watcher looks for due work"
    )
    follow_up_lookback_days: int = Field(
        default=60,
        ge=1,
        description="How far back the watcher looks for working days without a follow-up",
    )
