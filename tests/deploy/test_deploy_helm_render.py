"""helm/camwatch checked with the real tools: `helm lint`, `helm template`, and every rendered
manifest validated against the Kubernetes schemas (strict: an unknown field is an error) for
the oldest and the newest Kubernetes version the chart targets.

Rendered for the default values and for values-production.yaml; the assertions read the
rendered objects, never the template text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit.testing.helm import KUBERNETES_VERSIONS, helm, render, schema_errors
from servicekit.services import SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "camwatch"
PRODUCTION = CHART / "values-production.yaml"
APPS = (*SERVICES, "gateway")
PROFILES = {"default": (), "production": (PRODUCTION,)}

Manifests = list[dict[str, Any]]


@pytest.fixture(scope="module", params=list(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def manifests(profile: str) -> Manifests:
    return render(ROOT, CHART, values=PROFILES[profile])


def of_kind(manifests: Manifests, kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind by component (app.kubernetes.io/component) or name."""
    found: dict[str, dict[str, Any]] = {}
    for doc in manifests:
        if doc["kind"] == kind:
            labels = doc["metadata"].get("labels", {})
            found[labels.get("app.kubernetes.io/component", doc["metadata"]["name"])] = doc
    return found


@pytest.mark.parametrize("values", list(PROFILES))
def test_helm_lint_is_clean_in_strict_mode(values: str) -> None:
    args = ["lint", str(CHART), "--strict"]
    for path in PROFILES[values]:
        args += ["--values", str(path)]
    result = helm(ROOT, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("kube_version", KUBERNETES_VERSIONS)
def test_every_rendered_manifest_is_valid_for_the_target_kubernetes(
    profile: str, kube_version: str
) -> None:
    manifests = render(ROOT, CHART, values=PROFILES[profile], kube_version=kube_version)
    assert manifests
    errors = [e for doc in manifests if (e := schema_errors(doc, kube_version))]
    assert errors == []


def deployment(replicas: Any, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [container]}},
        },
    }


def test_the_validator_refuses_what_kubernetes_would() -> None:
    """The schema check can fail: a wrong type and a misspelt field are both caught."""
    version = KUBERNETES_VERSIONS[0]
    assert schema_errors(deployment(2, {"name": "x", "image": "x"}), version) is None
    assert schema_errors(deployment("two", {"name": "x", "image": "x"}), version)
    assert schema_errors(
        deployment(2, {"name": "x", "image": "x", "imagePullPolicyy": "x"}), version
    )


def test_a_missing_required_value_fails_the_render() -> None:
    with pytest.raises(AssertionError, match=r"secrets\.existingSecret"):
        render(ROOT, CHART, sets=("secrets.existingSecret=",))


def test_one_deployment_and_service_per_deployable(manifests: Manifests) -> None:
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    assert set(deployments) == set(APPS)
    assert set(services) == set(APPS)
    for name, port in SERVICE_PORTS.items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["ports"][0]["containerPort"] == port
        env = {e["name"]: e for e in container["env"]}
        assert env[f"{name.upper()}_PORT"]["value"] == str(port)
        assert env[f"{name.upper()}_HOST"]["value"] == "0.0.0.0"
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    gateway_env = {e["name"]: e.get("value") for e in gateway["env"]}
    for name, port in SERVICE_PORTS.items():
        assert gateway_env[f"GATEWAY_UPSTREAM_{name.upper()}"] == f"http://camwatch-{name}:{port}"


def test_secrets_are_only_referenced(manifests: Manifests) -> None:
    assert of_kind(manifests, "Secret") == {}
    for deployment in of_kind(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for env in container["env"]:
                if any(word in env["name"] for word in ("PASSWORD", "SECRET", "HMAC")):
                    assert "valueFrom" in env, env["name"]
                    assert "value" not in env, env["name"]


def test_production_runs_replicas_behind_an_ingress_with_tls() -> None:
    manifests = render(ROOT, CHART, values=(PRODUCTION,))
    deployments = of_kind(manifests, "Deployment")
    assert all(d["spec"]["replicas"] >= 2 for d in deployments.values())
    (ingress,) = of_kind(manifests, "Ingress").values()
    assert ingress["spec"]["tls"][0]["secretName"] == "camwatch-tls"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "camwatch-gateway"
    env = {
        e["name"]: e.get("value")
        for e in deployments["risk"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["NATS_STREAM_REPLICAS"] == "3"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://")
