"""Typed settings of the risk service."""

import re

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Risk settings; environment variables prefixed RISK_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="RISK_", extra="ignore")

    service_name: str = "risk"
    plan_windows: list[str] = Field(
        default=["07:30-09:30", "09:30-11:30", "13:00-15:00", "15:00-17:00"],
        description="inspection windows of a working day, local time (II.1.c: working time)",
    )

    @field_validator("plan_windows")
    @classmethod
    def _windows(cls, value: list[str]) -> list[str]:
        """HH:MM-HH:MM, each ending after it starts: checked at start-up, not at drafting."""
        for window in value:
            match = re.fullmatch(
                r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])", window
            )
            if match is None or window[6:] <= window[:5]:
                raise ValueError(f"not a window HH:MM-HH:MM: {window!r}")
        if not value:
            raise ValueError("at least one inspection window")
        return value

    plan_visits: dict[str, int] = Field(
        default={"green": 1, "yellow": 2, "red": 4},
        description="inspections a month by level or selectivity lane (the larger applies)",
    )
    port: int = 8104
    ingest_batch_max_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="body limit of batch ingestion (a few thousand declarations with goods)",
    )
    match_window_hours: float = Field(
        default=72, gt=0, description="how long before a gate exit a clearance or release counts"
    )
    match_tolerance_minutes: float = Field(
        default=15, ge=0, description="clock skew allowed: a clearance this much after the exit"
    )
    plate_min_score: float = Field(
        default=0.8, gt=0, le=1, description="least plate_score for a read to be the declared plate"
    )
    gps_window_minutes: float = Field(
        default=10, gt=0, description="GPS fixes this close to a gate time are compared with it"
    )
    gps_tolerance_m: float = Field(
        default=1000, gt=0, description="how far from the gate a fix at gate time may lie"
    )
    travel_max_speed_kmh: float = Field(
        default=80,
        gt=0,
        description="a container truck faster than this from release is implausible",
    )
    travel_max_dwell_hours: float = Field(
        default=24, ge=0, description="time a trip from release may take beyond the least it needs"
    )
    unseen_sweep_seconds: float = Field(
        default=60, gt=0, description="how often declared containers never seen are looked for"
    )
    warning_actions: list[str] = Field(
        default=[
            "direct_screen_supervision",
            "request_camera_evidence",
            "documentary_check",
            "physical_inspection",
            "no_action",
        ],
        min_length=1,
        description="actions an officer may propose on a warning; no_action needs a reason",
    )
    score_debounce_seconds: float = Field(
        default=5, ge=0, description="an EPE is rescored this long after the first change marked it"
    )
    score_tick_seconds: float = Field(
        default=2, gt=0, description="how often the scheduler looks for EPEs due for rescoring"
    )
    score_batch: int = Field(
        default=2000, gt=0, description="EPEs rescored in one transaction by the scheduler"
    )
    score_refresh_hours: float = Field(
        default=24,
        gt=0,
        description="a level older than this is recomputed even without events (the window slides)",
    )
