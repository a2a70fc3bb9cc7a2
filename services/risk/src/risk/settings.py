"""Typed settings of the risk service."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Risk settings; environment variables prefixed RISK_ override the common ones."""

    model_config = SettingsConfigDict(env_prefix="RISK_", extra="ignore")

    service_name: str = "risk"
    port: int = 8104
