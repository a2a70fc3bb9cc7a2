"""Typed settings of the evidence service."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Evidence settings; environment variables prefixed EVIDENCE_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore")

    service_name: str = "evidence"
    port: int = 8105
