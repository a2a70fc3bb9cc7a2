"""helm/camwatch checked with the real tools: `helm lint`, `helm template`, and every rendered
manifest validated against the Kubernetes schemas (strict: an unknown field is an error) for
the oldest and the newest Kubernetes version the chart targets.

Rendered for the default values and for values-production.yaml; the assertions read the
rendered objects, never the template text.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

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
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(APPS)
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == deployments[name]["metadata"]["name"]
        assert hpa["spec"]["minReplicas"] >= 2
        assert "replicas" not in deployments[name]["spec"], "the HPA owns the replica count"
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


def env_of(manifests: Manifests, component: str) -> dict[str, Any]:
    """The plain variables of a Deployment's container."""
    (container,) = of_kind(manifests, "Deployment")[component]["spec"]["template"]["spec"][
        "containers"
    ]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_the_spa_signs_in_through_the_public_url(
    manifests: Manifests, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Access lets the SPA come back to <publicUrl>/callback (the ingress host in production),
    never to its loopback defaults, in the format its settings read (a JSON list)."""
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in PROFILES[profile]:
        values = merged(values, yaml.safe_load(path.read_text()))
    public = values["publicUrl"].rstrip("/")
    rendered = env_of(manifests, "access")["ACCESS_SPA_REDIRECT_URIS"]
    assert json.loads(rendered) == [f"{public}/callback"]
    monkeypatch.setenv("ACCESS_SPA_REDIRECT_URIS", rendered)
    settings = importlib.import_module("access.settings").Settings()
    assert settings.spa_redirect_uris == [f"{public}/callback"]
    if values["gateway"]["ingress"]["enabled"]:
        assert urlsplit(public).hostname == values["gateway"]["ingress"]["host"]
    for component in APPS:
        if component != "access":
            assert "ACCESS_SPA_REDIRECT_URIS" not in env_of(manifests, component)


def test_the_access_block_can_list_more_spa_origins(tmp_path: Path) -> None:
    more = ["https://camwatch.example.org/callback", "https://camwatch.customs.vn/callback"]
    extra = tmp_path / "values.yaml"
    access_env = {"ACCESS_SPA_REDIRECT_URIS": json.dumps(more)}
    extra.write_text(yaml.safe_dump({"services": {"access": {"env": access_env}}}))
    manifests = render(ROOT, CHART, values=(extra,))
    assert [e for m in manifests if (e := schema_errors(m, KUBERNETES_VERSIONS[0]))] == []
    (container,) = of_kind(manifests, "Deployment")["access"]["spec"]["template"]["spec"][
        "containers"
    ]
    env = [e for e in container["env"] if e["name"] == "ACCESS_SPA_REDIRECT_URIS"]
    assert env == [{"name": "ACCESS_SPA_REDIRECT_URIS", "value": json.dumps(more)}]


def pods(manifests: Manifests) -> dict[str, dict[str, Any]]:
    """Every pod template (Deployments, hook Jobs, the backup CronJob) by component."""
    found = {}
    for kind in ("Deployment", "Job"):
        for name, doc in of_kind(manifests, kind).items():
            found[name] = doc["spec"]["template"]
    for name, doc in of_kind(manifests, "CronJob").items():
        found[name] = doc["spec"]["jobTemplate"]["spec"]["template"]
    return found


def test_every_pod_is_non_root_read_only_and_without_capabilities(manifests: Manifests) -> None:
    templates = pods(manifests)
    assert set(templates) == {*APPS, *(f"{s}-migrations" for s in SERVICES), "backup"}
    for name, template in templates.items():
        spec = template["spec"]
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["enableServiceLinks"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec["containers"] + spec.get("initContainers", []):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, "the only writable place"


def test_probes_use_the_health_endpoints(manifests: Manifests) -> None:
    for name, deployment in of_kind(manifests, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        readiness = container["readinessProbe"]["httpGet"]["path"]
        # The gateway's /readyz aggregates every service: one being down must not empty it.
        assert readiness == ("/healthz" if name == "gateway" else "/readyz")


def test_migrations_run_once_per_release_as_a_hook_job(manifests: Manifests) -> None:
    jobs = of_kind(manifests, "Job")
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    assert set(jobs) == {f"{s}-migrations" for s in SERVICES}
    for name in SERVICES:
        job = jobs[f"{name}-migrations"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["migrate"]
        env = {e["name"]: e for e in container["env"]}
        assert f"{name.upper()}_DATABASE_URL" in env and "PGPASSWORD" in env
        pod = deployments[name]["spec"]["template"]
        assert "initContainers" not in pod["spec"]
        assert pod["spec"]["containers"][0]["args"] == ["serve", "--no-migrate-first"]
        # The Service never routes to a migrations pod.
        selector = services[name]["spec"]["selector"].items()
        assert not selector <= job["spec"]["template"]["metadata"]["labels"].items()
    assert deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["serve"]


def test_each_deployable_has_a_disruption_budget_over_its_own_pods(manifests: Manifests) -> None:
    budgets = of_kind(manifests, "PodDisruptionBudget")
    deployments = of_kind(manifests, "Deployment")
    assert set(budgets) == set(APPS)
    for name, budget in budgets.items():
        assert budget["spec"]["maxUnavailable"] == 1
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert (
            budget["spec"]["selector"]["matchLabels"]
            == deployments[name]["spec"]["selector"]["matchLabels"]
        )


def test_no_autoscaler_by_default() -> None:
    manifests = render(ROOT, CHART)
    assert of_kind(manifests, "HorizontalPodAutoscaler") == {}
    assert all(d["spec"]["replicas"] >= 1 for d in of_kind(manifests, "Deployment").values())


def test_replicas_spread_over_zones_and_nodes(manifests: Manifests) -> None:
    for deployment in of_kind(manifests, "Deployment").values():
        spec = deployment["spec"]["template"]["spec"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        keys = {c["topologyKey"]: c for c in spec["topologySpreadConstraints"]}
        assert set(keys) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for constraint in keys.values():
            assert constraint["labelSelector"]["matchLabels"] == selector


def test_backing_servers_are_the_endpoints_given_in_values(
    manifests: Manifests, profile: str
) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in PROFILES[profile]:
        values = merged(values, yaml.safe_load(path.read_text()))
    for name, template in pods(manifests).items():
        service = name.removesuffix("-migrations")
        env = {e["name"]: e.get("value") for e in template["spec"]["containers"][0]["env"]}
        assert env["NATS_URL"] == values["nats"]["url"]
        if service == "backup":
            for other in SERVICES:
                database = values["services"][other]["database"]
                # The service's database URL, with the backup role as the user.
                expected = re.sub(r"//[^@/]*@", "//backup@", database["url"])
                assert env[f"{other.upper()}_DATABASE_URL"] == expected
            continue
        if service != "gateway":
            database = values["services"][service]["database"]
            assert env[f"{service.upper()}_DATABASE_URL"] == database["url"]
        if values["services"].get(service, {}).get("s3"):
            assert env["S3_ENDPOINT"] == values["s3"]["endpoint"]


def merged(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {k: merged(base.get(k), v) if k in base else v for k, v in override.items()} | {
            k: v for k, v in base.items() if k not in override
        }
    return override


# --- network policies, evaluated as a cluster would for pods of the release's namespace --------

INGRESS_POD = {"namespace": "ingress-nginx", "labels": {"app": "ingress-nginx"}}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items()


def peer_matches(peer: dict[str, Any], pod: dict[str, Any]) -> bool:
    """A NetworkPolicyPeer against a pod {namespace, labels} (ipBlocks match no pod here)."""
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": pod["namespace"]}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
        return "podSelector" not in peer or selects(peer["podSelector"], pod["labels"])
    return pod["namespace"] == "camwatch" and selects(peer["podSelector"], pod["labels"])


def rule_allows(rule: dict[str, Any], peers_key: str, peer: dict[str, Any], port: Any) -> bool:
    ports = rule.get("ports")
    if ports is not None and not any(p["port"] == port for p in ports):
        return False
    peers = rule.get(peers_key)
    return not peers or any(peer_matches(p, peer) for p in peers)


def allowed(policies: Manifests, source: dict[str, Any], target: dict[str, Any], port: Any) -> bool:
    """Whether the release's policies let `source` open a connection to `target` on `port`."""

    def direction(pod: dict[str, Any], kind: str, key: str, other: dict[str, Any]) -> bool:
        if pod["labels"].get("app.kubernetes.io/instance") != "camwatch":
            return True  # not a pod of the release: its policies do not govern it
        governing = [
            p
            for p in policies
            if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], pod["labels"])
        ]
        assert governing, f"{pod['labels']} is not covered by the default deny"
        return any(
            rule_allows(rule, key, other, port)
            for p in governing
            for rule in p["spec"].get(kind.lower(), [])
        )

    return direction(source, "Egress", "to", target) and direction(
        target, "Ingress", "from", source
    )


def release_pod(manifests: Manifests, component: str) -> dict[str, Any]:
    return {"namespace": "camwatch", "labels": pods(manifests)[component]["metadata"]["labels"]}


def test_default_deny_with_only_the_needed_paths(manifests: Manifests) -> None:
    policies = list(of_kind(manifests, "NetworkPolicy").values())
    assert "camwatch-default-deny" in {p["metadata"]["name"] for p in policies}
    gateway = release_pod(manifests, "gateway")
    outsider = {"namespace": "camwatch", "labels": {"app": "debug-shell"}}
    assert allowed(policies, INGRESS_POD, gateway, "http")
    assert not allowed(policies, outsider, gateway, "http")
    for name in SERVICES:
        service = release_pod(manifests, name)
        assert allowed(policies, gateway, service, "http"), name
        assert not allowed(policies, INGRESS_POD, service, "http"), name
        assert not allowed(policies, outsider, service, "http"), name
        assert allowed(policies, service, release_pod(manifests, "access"), "http"), "JWKS"
        for other in SERVICES:
            if other not in (name, "access"):
                assert not allowed(policies, service, release_pod(manifests, other), "http")
        assert not allowed(policies, service, gateway, "http")
        migrations = release_pod(manifests, f"{name}-migrations")
        assert not allowed(policies, migrations, release_pod(manifests, "access"), "http")
        assert not allowed(policies, gateway, migrations, "http")


def egress_ports(manifests: Manifests, component: str) -> set[int]:
    """The numbered ports a component may open (to the backing servers and DNS)."""
    labels = pods(manifests)[component]["metadata"]["labels"]
    return {
        port["port"]
        for policy in of_kind(manifests, "NetworkPolicy").values()
        if selects(policy["spec"]["podSelector"], labels)
        for rule in policy["spec"].get("egress", [])
        for port in rule.get("ports", [])
        if isinstance(port["port"], int)
    }


def test_services_reach_only_nats_postgresql_and_s3(manifests: Manifests, profile: str) -> None:
    otel = {4318} if profile == "production" else set()
    for name in SERVICES:
        s3 = {9000} | ({443} if profile == "default" else set())
        expected = {53, 4222, 5432} | (s3 if name in {"access", "registry", "evidence"} else set())
        assert egress_ports(manifests, name) == expected | otel, name
        assert egress_ports(manifests, f"{name}-migrations") == {53, 5432} | otel
    # The gateway's rate limits are shared through NATS (rateLimitStore: nats).
    assert egress_ports(manifests, "gateway") == {53, 4222} | otel
    assert egress_ports(manifests, "backup") == {53, 4222, 5432} | otel


def test_gateway_replicas_share_their_rate_limits() -> None:
    for sets, expected in (((), "nats"), (("gateway.rateLimitStore=memory",), "memory")):
        manifests = render(ROOT, CHART, sets=sets)
        (container,) = of_kind(manifests, "Deployment")["gateway"]["spec"]["template"]["spec"][
            "containers"
        ]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["GATEWAY_RATE_LIMIT_STORE"] == expected
        assert (4222 in egress_ports(manifests, "gateway")) is (expected == "nats")


def test_one_operator_edited_swaps_file_reaches_every_pod() -> None:
    """The working-day swaps come from one ConfigMap, mounted whole (not by subPath, so an edit
    reaches running pods) into every service and migration pod, named by `SWAPS_FILE`."""
    for pod in pods(render(ROOT, CHART)).values():
        assert "SWAPS_FILE" not in {e["name"] for e in pod["spec"]["containers"][0]["env"]}
    manifests = render(ROOT, CHART, sets=("workingDays.swapsConfigMap=working-day-swaps",))
    assert [e for m in manifests if (e := schema_errors(m, KUBERNETES_VERSIONS[0]))] == []
    templates = pods(manifests)
    assert set(APPS) <= set(templates)
    for name, pod in templates.items():
        if name == "backup":  # copies databases; counts no working days
            continue
        (container,) = pod["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["SWAPS_FILE"] == "/etc/camwatch/working-days/swaps.toml"
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "working-day-swaps"]
        assert mount == {
            "name": "working-day-swaps",
            "mountPath": "/etc/camwatch/working-days",
            "readOnly": True,
        }
        (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "working-day-swaps"]
        assert volume["configMap"]["name"] == "working-day-swaps"


def test_a_daily_backup_cronjob_reads_every_database_as_the_backup_role(
    manifests: Manifests,
) -> None:
    """One run at a time, every service database as the read-only role, the keyring sealed
    under a passphrase from a Secret into its own volume, old backups pruned."""
    (cronjob,) = of_kind(manifests, "CronJob").values()
    spec = cronjob["spec"]
    assert spec["schedule"] == "0 19 * * *" and spec["timeZone"] == "Etc/UTC"
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["image"].endswith("/camwatch-backup:0.1.0")
    args = container["args"]
    assert args[:3] == ["create", "--to=/backups", "--keys-to=/backup-keys"]
    assert "--keep-days=30" in args
    assert "--key-file=/var/run/secrets/camwatch/master-keys/master-keys.json" in args
    assert {a for a in args if a.startswith("--service=")} == {f"--service={s}" for s in SERVICES}
    env = {e["name"]: e for e in container["env"]}
    for name in SERVICES:
        url = env[f"{name.upper()}_DATABASE_URL"]["value"]
        assert url.startswith("postgresql://backup@postgresql") and url.endswith(f"/{name}")
        assert env[f"{name.upper()}_DATABASE_SCHEMA"]["value"] == name
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "camwatch-db-backup"
    passphrase = env["BACKUP_PASSPHRASE"]["valueFrom"]["secretKeyRef"]
    assert passphrase["name"] == "camwatch-backup-passphrase"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["backups"]["persistentVolumeClaim"]["claimName"] == "camwatch-backups"
    assert volumes["backup-keys"]["persistentVolumeClaim"]["claimName"] == "camwatch-backup-keys"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/var/run/secrets/camwatch/master-keys"]["readOnly"] is True


def test_the_backup_schedule_retention_and_volumes_are_values() -> None:
    sets = (
        "backup.schedule=30 18 * * *",
        "backup.keepDays=90",
        "backup.storage.backupsClaim=nfs-backups",
        "services.risk.enabled=false",
    )
    (cronjob,) = of_kind(render(ROOT, CHART, sets=sets), "CronJob").values()
    assert cronjob["spec"]["schedule"] == "30 18 * * *"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    assert "--keep-days=90" in args and "--service=risk" not in args
    claims = {v["name"]: v.get("persistentVolumeClaim") for v in pod["volumes"]}
    assert claims["backups"] == {"claimName": "nfs-backups"}
    assert of_kind(render(ROOT, CHART, sets=("backup.enabled=false",)), "CronJob") == {}
