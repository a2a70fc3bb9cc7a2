"""helm/camwatch: the values' invariants (what the chart is given).

What the chart renders is checked by the real tools in test_deploy_helm_render.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from servicekit.services import SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "camwatch"
PORTS = SERVICE_PORTS
S3_USERS = {"access", "registry", "evidence"}
# Keys whose values name a Secret or a key inside one; any other secret-looking key is a leak.
SECRET_REFERENCE_KEY = re.compile(r"(existingSecret|passwordSecret|secretName|Key)$")
SECRET_LOOKING_KEY = re.compile(r"(password|secret|hmac|masterkey|privatekey)", re.IGNORECASE)


@pytest.fixture(scope="module")
def chart() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((CHART / "Chart.yaml").read_text())
    return document


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return document


def test_chart_metadata(chart: dict[str, Any]) -> None:
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "camwatch"
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert isinstance(chart["appVersion"], str) and chart["appVersion"]


def test_values_have_one_block_per_service_and_one_for_the_gateway(
    values: dict[str, Any],
) -> None:
    assert set(values["services"]) == set(SERVICES)
    for name, port in PORTS.items():
        block = values["services"][name]
        assert block["enabled"] is True
        assert block["port"] == port
        assert block["replicas"] >= 1
        assert "resources" in block and block["resources"]["limits"]["memory"]
    gateway = values["gateway"]
    assert gateway["enabled"] is True
    assert gateway["port"] == 8000
    assert gateway["readinessPath"] == "/healthz"


def test_each_service_has_its_own_database(values: dict[str, Any]) -> None:
    seen = set()
    for name in SERVICES:
        database = values["services"][name]["database"]
        url = urlsplit(database["url"])
        assert url.scheme == "postgresql"
        assert url.password is None, "passwords come from passwordSecret (PGPASSWORD)"
        assert database["schema"] == name
        assert database["passwordSecret"]
        seen.add((url.hostname, url.port, url.path, database["schema"]))
    assert len(seen) == len(SERVICES)
    assert "database" not in values["gateway"]


def test_s3_goes_to_the_services_that_keep_objects(values: dict[str, Any]) -> None:
    assert {n for n in SERVICES if values["services"][n]["s3"]} == S3_USERS
    s3 = values["s3"]
    assert s3["existingSecret"] and s3["accessKeyKey"] and s3["secretKeyKey"]
    assert "://" not in s3["endpoint"], "the minio SDK takes host:port"


def test_hardened_security_context_by_default(values: dict[str, Any]) -> None:
    security = values["securityContext"]
    assert security["enabled"] is True
    pod = security["pod"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] >= 1000
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    container = security["container"]
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    assert values["networkPolicies"]["enabled"] is True


def test_production_defaults_are_consistent(values: dict[str, Any]) -> None:
    assert values["environment"] == "production"
    assert values["publicUrl"].startswith("https://"), "access refuses http issuers in production"


def walk(node: Any, path: str = "") -> list[tuple[str, str, Any]]:
    found: list[tuple[str, str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((f"{path}.{key}", str(key), value))
            found.extend(walk(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(walk(value, f"{path}[{index}]"))
    return found


def test_no_secret_value_in_values(values: dict[str, Any]) -> None:
    for path, key, value in walk(values):
        if isinstance(value, dict | list) or not SECRET_LOOKING_KEY.search(key):
            continue
        assert SECRET_REFERENCE_KEY.search(key) or key.endswith("_FILE"), (
            f"{path} looks like a secret value; reference a Secret instead"
        )
    for name in SERVICES:
        for env_name in values["services"][name]["env"]:
            assert not SECRET_LOOKING_KEY.search(env_name) or env_name.endswith("_FILE")


def test_access_gets_its_master_keyring_from_a_secret_file(values: dict[str, Any]) -> None:
    access = values["services"]["access"]
    key_file = Path(access["env"]["ACCESS_MASTER_KEY_FILE"])
    mounts = {Path(m["mountPath"]): m for m in access["secretFiles"]}
    assert key_file.parent in mounts
    assert mounts[key_file.parent]["secretName"]
