"""Typed settings of the evidence service."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ObjectStoreSettings, ServiceSettings


class Settings(ServiceSettings, ObjectStoreSettings):
    """Evidence settings; environment variables prefixed EVIDENCE_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore")

    service_name: str = "evidence"
    port: int = 8105
    due_working_days: int = Field(
        default=5, ge=1, le=60, description="working days an EPE has to answer, unless set"
    )
    swaps_file: Path | None = Field(
        default=None,
        description="announced working-day swaps (TOML); point it at the file incidents reads",
    )
    watch_seconds: float = Field(
        default=60, gt=0, description="how often due reminders and overdue requests are looked for"
    )
    evidence_bucket: str = Field(
        default="camwatch-evidence",
        min_length=3,
        max_length=63,
        description="S3 bucket of evidence files and manifests (created with Object Lock)",
    )
    retention_days: int = Field(
        default=366,
        ge=366,
        le=36600,
        description="COMPLIANCE retention of every evidence object: at least 12 months",
    )
    custody_anchor_seconds: float = Field(
        default=3600, gt=0, description="the custody chain's head is anchored in S3 this often"
    )
    custody_anchor_tick: float = Field(
        default=60, gt=0, description="how often the anchoring timer is read"
    )
    share_max_days: int = Field(
        default=30, ge=1, le=366, description="the longest a share link may last"
    )
