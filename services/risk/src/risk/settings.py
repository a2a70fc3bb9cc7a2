"""Typed settings of the risk service."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Risk settings; environment variables prefixed RISK_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="RISK_", extra="ignore")

    service_name: str = "risk"
    port: int = 8104
    ingest_batch_max_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="body limit of batch ingestion (a few thousand declarations with goods)",
    )
