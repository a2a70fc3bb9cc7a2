"""The declared services are the workspace's services, each on its declared development port."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

from gateway.settings import GatewaySettings
from servicekit.services import SERVICE_PORTS, SERVICES
from servicekit.settings import ServiceSettings

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


def test_the_workspace_and_the_import_contracts_name_every_service() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dependencies = set(project["project"]["dependencies"])
    contracts = {c["name"]: c for c in project["tool"]["importlinter"]["contracts"]}
    independent = next(c for c in contracts.values() if c["type"] == "independence")

    assert {f"camwatch-{name}" for name in SERVICES} <= dependencies
    assert set(independent["modules"]) == set(SERVICES)
    assert set(SERVICES) <= set(project["tool"]["importlinter"]["root_packages"])
    forbidden = [c for c in contracts.values() if c["type"] == "forbidden"]
    kit_and_gateway = next(c for c in forbidden if c["source_modules"] == ["servicekit", "gateway"])
    assert set(kit_and_gateway["forbidden_modules"]) == set(SERVICES)
    no_devkit = next(c for c in forbidden if c["forbidden_modules"] == ["devkit"])
    assert set(SERVICES) <= set(no_devkit["source_modules"])


def test_services_find_the_access_keys_at_its_declared_port_by_default() -> None:
    default = ServiceSettings.model_fields["jwks_url"].default

    assert default == f"http://127.0.0.1:{SERVICE_PORTS['access']}/.well-known/jwks.json"
