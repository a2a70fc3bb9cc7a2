"""The declared services are the workspace's services, each on its declared development port."""

from __future__ import annotations

import importlib
from pathlib import Path

from gateway.settings import GatewaySettings
from servicekit.services import SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_folder_is_declared_and_every_declared_service_has_one() -> None:
    folders = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()}

    assert folders == set(SERVICES)


def test_each_service_listens_by_default_on_its_declared_port() -> None:
    for name, port in SERVICE_PORTS.items():
        settings = importlib.import_module(f"{name}.settings").Settings
        assert settings.model_fields["port"].default == port, name


def test_the_gateway_has_an_upstream_for_each_service_at_its_port() -> None:
    settings = GatewaySettings()

    assert settings.upstreams == {n: f"http://127.0.0.1:{p}" for n, p in SERVICE_PORTS.items()}
