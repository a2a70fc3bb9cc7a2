"""Settings: prefixed variables win over shared ones; production refuses placeholder secrets."""

from datetime import date

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from servicekit.settings import Environment, ServiceSettings
from servicekit.workdays import DEFAULT_SWAPS_FILE, DayKind, WorkingCalendar


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    service_name: str = "demo"
    own_setting: int = 1


def test_prefixed_variable_wins_over_shared_one(monkeypatch):
    monkeypatch.setenv("NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///shared.db")
    monkeypatch.setenv("DEMO_NATS_URL", "nats://own:4222")
    settings = DemoSettings()
    assert settings.nats_url == "nats://own:4222"
    assert settings.database_url == "sqlite:///shared.db"


def test_service_specific_fields_need_the_prefix(monkeypatch):
    monkeypatch.setenv("OWN_SETTING", "7")
    assert DemoSettings().own_setting == 1
    monkeypatch.setenv("DEMO_OWN_SETTING", "7")
    assert DemoSettings().own_setting == 7


def test_default_database_is_a_sqlite_file_per_service():
    assert DemoSettings().resolved_database_url.endswith("/var/data/demo.db")


def test_production_refuses_placeholder_secrets():
    with pytest.raises(ValidationError, match="audit_hmac_key"):
        DemoSettings(environment=Environment.PRODUCTION, audit_hmac_key=SecretStr("changethis"))
    DemoSettings(environment=Environment.PRODUCTION, audit_hmac_key=SecretStr("x" * 32))


def test_one_swaps_file_serves_the_stack(monkeypatch, tmp_path):
    """Every service counts working days from the same announced swaps: the stack-wide
    `SWAPS_FILE`, the shipped file by default, a prefixed variable only to set one apart."""
    assert DemoSettings().swaps_file == DEFAULT_SWAPS_FILE
    assert WorkingCalendar(DEFAULT_SWAPS_FILE).day_info(date(2025, 5, 2)).kind == (
        DayKind.ANNOUNCED_DAY_OFF
    )
    shared = tmp_path / "swaps.toml"
    monkeypatch.setenv("SWAPS_FILE", str(shared))
    assert DemoSettings().swaps_file == shared
    monkeypatch.setenv("DEMO_SWAPS_FILE", str(tmp_path / "own.toml"))
    assert DemoSettings().swaps_file == tmp_path / "own.toml"
