"""Typed settings of the evidence service."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ObjectStoreSettings, ServiceSettings

MIB = 1024 * 1024
GIB = 1024 * MIB


class Settings(ServiceSettings, ObjectStoreSettings):
    """Evidence settings; environment variables prefixed EVIDENCE_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore")

    service_name: str = "evidence"
    port: int = 8105
    due_working_days: int = Field(
        default=5, ge=1, le=60, description="working days an EPE has to answer, unless set"
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
    custody_verify_enabled: bool = Field(
        default=True, description="verify the custody chain daily for the log digest"
    )
    custody_verify_minute_of_day: int = Field(
        default=15,
        ge=0,
        lt=1440,
        description="when the daily check runs, in minutes after midnight in Vietnam (the "
        "access service's digest runs at 00:30)",
    )
    custody_verify_tick: float = Field(
        default=60, gt=0, description="how often the daily check's timer is read"
    )
    share_max_days: int = Field(
        default=30, ge=1, le=366, description="the longest a share link may last"
    )
    upload_part_bytes: int = Field(
        default=8 * MIB,
        ge=1024,
        description="bytes per S3 part a chunk is cut into (memory per upload: up to two parts)",
    )
    upload_min_part_bytes: int = Field(
        default=5 * MIB,
        ge=1,
        description="smallest S3 part but the last (S3: 5 MiB); so is every chunk but the last",
    )
    upload_max_file_bytes: int = Field(
        default=50 * GIB, gt=0, description="largest file (tus Upload-Length, Tus-Max-Size)"
    )
    upload_max_request_bytes: int = Field(
        default=500 * GIB, gt=0, description="most bytes of all files of one request"
    )
    upload_max_files: int = Field(default=200, ge=1, description="most files per request")
    upload_media_types: list[str] = Field(
        default=[
            "video/mp4",
            "video/quicktime",
            "video/x-matroska",
            "video/mp2t",
            "video/x-msvideo",
            "video/h264",
            "video/h265",
            "image/jpeg",
            "image/png",
            "application/octet-stream",
        ],
        description="media types an EPE may upload",
    )
    upload_lease_seconds: float = Field(
        default=900,
        gt=0,
        description="a chunk being received holds its file this long at most (a dead writer's "
        "hold ends then)",
    )
    signing_key: SecretStr = Field(
        default=SecretStr("dev"),
        description="secret the Ed25519 evidence signing key is derived from (keep it offline-"
        "safe: the public key is served, manifests signed with it)",
    )

    @model_validator(mode="after")
    def _parts_fit(self) -> Self:
        if self.upload_part_bytes < self.upload_min_part_bytes:
            raise ValueError("upload_part_bytes must be at least upload_min_part_bytes")
        return self
