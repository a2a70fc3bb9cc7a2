"""docker-compose.yml keeps the deployment invariants, and every service accepts its environment.

The real Docker Compose (v2, fetched by scripts/deploy-tools.sh) validates the file with
`config`, for the default stack and the demo profile; no Docker engine is needed for that.
The invariants are read from the file parsed with PyYAML (anchors and merge keys resolved,
compose's `${VAR:-default}` / `$$` interpolation applied here), the `NAME__FILE` secrets are
expanded as the image's entrypoint does, and the result is handed to each service's own
Settings class.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from servicekit.services import SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

PORTS = SERVICE_PORTS
APPS = (*SERVICES, "gateway")
S3_USERS = ("access", "registry", "evidence")
INFRA = ("postgres", "nats", "seaweedfs", "otel-collector", "jaeger")
MIGRATIONS = tuple(f"{name}-migrate" for name in SERVICES)
DEMO = ("demo-seed", "registry-seed", "simulator")
BACKUP = "backup"
COMPOSE_VERSION = "2.40.3"
COMPOSE_BINARY = ROOT / "var" / "tools" / f"docker-compose-{COMPOSE_VERSION}" / "docker-compose"
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|ACCESS_KEY|HMAC|MASTER_KEYS?$|TOKEN$)")
_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's interpolation with an empty shell environment: defaults win, `$$` is `$`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return match.group(2) or ""

    return _INTERPOLATION.sub(replace, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment as the container sees it (map form only, interpolated)."""
    env = service.get("environment", {})
    assert isinstance(env, dict), "use the map form of `environment`"
    return {key: interpolate(str(value)) for key, value in env.items()}


def secret_names(service: dict[str, Any]) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


def test_every_service_gateway_and_backing_server_is_defined(services: dict[str, Any]) -> None:
    missing = {*APPS, *INFRA} - set(services)
    assert not missing, f"docker-compose.yml lacks {sorted(missing)}"


@pytest.mark.parametrize("name", APPS)
def test_app_is_built_from_the_root_dockerfile_for_itself(
    services: dict[str, Any], name: str
) -> None:
    build = services[name]["build"]
    assert build["context"] == "."
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert build["args"]["SERVICE"] == name
    assert services[name]["image"].startswith(f"camwatch-{name}:")


def test_compose_runs_exactly_the_declared_services(services: dict[str, Any]) -> None:
    assert set(services) - set(INFRA) == {*APPS, *MIGRATIONS, BACKUP, *DEMO}


@pytest.mark.parametrize("name", SERVICES)
def test_service_listens_on_its_port_on_all_interfaces(services: dict[str, Any], name: str) -> None:
    env = environment(services[name])
    prefix = name.upper()
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert env[f"{prefix}_PORT"] == str(PORTS[name])


def test_each_service_has_its_own_database_role_and_schema(services: dict[str, Any]) -> None:
    seen: set[tuple[str, str]] = set()
    for name in SERVICES:
        env = environment(services[name])
        url = urlsplit(env[f"{name.upper()}_DATABASE_URL"])
        assert url.scheme == "postgresql"
        assert url.hostname == "postgres"
        assert url.password is None, "the password comes from a secret (PGPASSWORD__FILE)"
        assert url.username == name
        database = url.path.lstrip("/")
        assert database == name
        assert env[f"{name.upper()}_DATABASE_SCHEMA"] == name
        assert env["PGPASSWORD__FILE"] == f"/run/secrets/{name}_db_password"
        assert f"{name}_db_password" in secret_names(services[name])
        seen.add((database, env[f"{name.upper()}_DATABASE_SCHEMA"]))
    assert len(seen) == len(SERVICES)
    assert "DATABASE_URL" not in environment(services["gateway"])


def test_every_service_reaches_nats_the_issuer_jwks_and_the_collector(
    services: dict[str, Any],
) -> None:
    for name in APPS:
        env = environment(services[name])
        assert env["NATS_URL"] == "nats://nats:4222"
        assert env["JWKS_URL"] == f"http://access:{PORTS['access']}/.well-known/jwks.json"
        assert env["OIDC_ISSUER"] == "http://localhost:8000/api/access"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert env["ENVIRONMENT"] in {"development", "test", "production"}
        assert env["AUDIT_HMAC_KEY__FILE"] == "/run/secrets/audit_hmac_key"


def test_gateway_is_the_only_published_port_and_routes_to_every_service(
    services: dict[str, Any],
) -> None:
    published = sorted(name for name, svc in services.items() if svc.get("ports"))
    assert published == ["gateway", "jaeger"]
    (viewer,) = services["jaeger"]["ports"]
    assert interpolate(viewer) == "127.0.0.1:16686:16686", "the trace viewer: loopback only"
    (mapping,) = services["gateway"]["ports"]
    assert interpolate(mapping) == "8000:8000"
    env = environment(services["gateway"])
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    assert env["GATEWAY_PORT"] == "8000"
    for name, port in PORTS.items():
        assert env[f"GATEWAY_UPSTREAM_{name.upper()}"] == f"http://{name}:{port}"


def test_nats_runs_jetstream_on_a_volume(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    command = nats["command"]
    assert "-js" in command
    store = command[command.index("-sd") + 1]
    volumes = {v.split(":")[1]: v.split(":")[0] for v in nats["volumes"]}
    assert store in volumes, "the JetStream store directory must be a volume"
    assert volumes[store] in compose["volumes"]


def test_seaweedfs_serves_s3_from_a_volume_with_keys_from_secrets(compose: dict[str, Any]) -> None:
    seaweed = compose["services"]["seaweedfs"]
    assert "seaweedfs" in interpolate(seaweed["image"])
    volumes = {v.split(":")[1]: v.split(":")[0] for v in seaweed["volumes"]}
    assert volumes["/data"] in compose["volumes"]
    assert {"s3_access_key", "s3_secret_key"} <= secret_names(seaweed)
    assert "environment" not in seaweed
    for name in S3_USERS:
        service = compose["services"][name]
        app_env = environment(service)
        assert app_env["S3_ENDPOINT"] == "seaweedfs:8333"
        assert app_env["S3_ACCESS_KEY__FILE"] == "/run/secrets/s3_access_key"
        assert app_env["S3_SECRET_KEY__FILE"] == "/run/secrets/s3_secret_key"
        assert {"s3_access_key", "s3_secret_key"} <= secret_names(service)
        assert service["depends_on"]["seaweedfs"]["condition"] == "service_healthy"


def test_seaweedfs_start_script_writes_its_identity_from_the_secret_files(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """Run the start script (as the container would) against a recording `weed`."""
    seaweed = compose["services"]["seaweedfs"]
    (mount,) = seaweed["configs"]
    assert seaweed["entrypoint"] == ["/bin/sh", mount["target"]]
    script = interpolate(compose["configs"][mount["source"]]["content"])
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "s3_access_key").write_text("AKIA-test\n")
    (secrets_dir / "s3_secret_key").write_text("s3cr3t/+=\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    weed = bin_dir / "weed"
    weed.write_text('#!/bin/sh\necho "$@" > "$WEED_LOG"\n')
    weed.chmod(weed.stat().st_mode | stat.S_IEXEC)
    runner = tmp_path / "start.sh"
    runner.write_text(
        script.replace("/run/secrets/", f"{secrets_dir}/").replace("/tmp/s3", f"{tmp_path}/s3")
    )
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "WEED_LOG": str(tmp_path / "weed.log")}
    subprocess.run(["/bin/sh", str(runner)], env=env, check=True, timeout=30)
    identity = json.loads((tmp_path / "s3.json").read_text())
    (credentials,) = identity["identities"][0]["credentials"]
    assert credentials == {"accessKey": "AKIA-test", "secretKey": "s3cr3t/+="}
    assert stat.S_IMODE((tmp_path / "s3.json").stat().st_mode) == 0o600
    args = (tmp_path / "weed.log").read_text().split()
    assert args[:2] == ["server", "-dir=/data"]
    assert "-s3" in args and "-s3.port=8333" in args
    assert f"-s3.config={tmp_path}/s3.json" in args
    # A missing secret stops the start instead of running with empty keys.
    (secrets_dir / "s3_secret_key").unlink()
    (tmp_path / "weed.log").unlink()
    failed = subprocess.run(["/bin/sh", str(runner)], env=env, capture_output=True, timeout=30)
    assert failed.returncode != 0
    assert not (tmp_path / "weed.log").exists()


def test_postgres_keeps_its_data_on_a_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    volumes = {v.split(":")[1]: v.split(":")[0] for v in postgres["volumes"]}
    assert volumes["/var/lib/postgresql/data"] in compose["volumes"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_otel_collector_receives_otlp_http(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    (mount,) = collector["configs"]
    assert any(arg.endswith(mount["target"]) for arg in collector["command"])
    config = yaml.safe_load(compose["configs"][mount["source"]]["content"])
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    traces = config["service"]["pipelines"]["traces"]
    assert "otlp" in traces["receivers"]
    (exporter,) = traces["exporters"]
    assert config["exporters"][exporter]["endpoint"] == "jaeger:4317"
    jaeger = compose["services"]["jaeger"]
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


def test_healthchecks_and_start_order(services: dict[str, Any]) -> None:
    # The collector's and Jaeger's images have nothing to run a probe with; nothing waits for
    # them to be healthy. One-shot containers (migrations, seeds) are waited for to complete.
    for name, service in services.items():
        if name in {"otel-collector", "jaeger", BACKUP, *MIGRATIONS, *DEMO}:
            continue
        test = service["healthcheck"]["test"]
        assert test[0] in {"CMD", "CMD-SHELL"}, name
    for name in SERVICES:
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{PORTS[name]}/readyz" in probe
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["nats"]["condition"] == "service_healthy"
    gateway = services["gateway"]
    assert "127.0.0.1:8000/healthz" in " ".join(gateway["healthcheck"]["test"])
    for name in SERVICES:
        assert gateway["depends_on"][name]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APPS)
def test_app_containers_are_hardened(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert service["user"] == "10001:10001"
    assert any(str(t).startswith("/tmp") for t in service["tmpfs"])


def test_no_secret_value_is_written_in_the_file(compose: dict[str, Any]) -> None:
    declared = set(compose["secrets"])
    for name, service in compose["services"].items():
        mounted = secret_names(service)
        assert mounted <= declared, name
        for key, value in environment(service).items():
            if key.endswith("_FILE") or key.endswith("__FILE"):
                if value.startswith("/run/secrets/"):
                    assert value.removeprefix("/run/secrets/") in mounted, (name, key)
                continue
            assert not SECRET_NAME.search(key), f"{name}: {key} must come from a secret file"
    for secret in compose["secrets"].values():
        assert set(secret) == {"file"}
        assert secret["file"].startswith("./var/secrets/"), "var/ is ignored by git"


def test_config_contents_only_use_escaped_dollars(compose: dict[str, Any]) -> None:
    for name, config in compose["configs"].items():
        unescaped = re.sub(r"\$\$", "", config["content"])
        assert "$" not in unescaped, f"config {name}: write $$ for a literal $"


def test_postgres_init_creates_one_owned_database_per_service(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """Run the init script (as the postgres image would source it) against a recording psql."""
    postgres = compose["services"]["postgres"]
    (mount,) = postgres["configs"]
    assert mount["target"].startswith("/docker-entrypoint-initdb.d/")
    assert mount["target"].endswith(".sh")
    script = interpolate(compose["configs"][mount["source"]]["content"])
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for name in SERVICES:
        assert f"{name}_db_password" in secret_names(postgres)
        (secrets_dir / f"{name}_db_password").write_text(f"pw-{name}\n")
    assert "backup_db_password" in secret_names(postgres)
    (secrets_dir / "backup_db_password").write_text("pw-backup\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "psql.log"
    fake = bin_dir / "psql"
    fake.write_text('#!/bin/sh\n{ echo "ARGS $*"; cat; echo "END"; } >> "$PSQL_LOG"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    runner = tmp_path / "run.sh"
    runner.write_text("set -Eeo pipefail\n" + script.replace("/run/secrets/", f"{secrets_dir}/"))
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PSQL_LOG": str(log),
        "POSTGRES_USER": "postgres",
    }
    subprocess.run(["bash", str(runner)], env=env, check=True, timeout=30)
    calls = log.read_text().split("END\n")[:-1]
    assert len(calls) == 1 + len(SERVICES)
    backup_args, _, backup_sql = calls.pop(0).partition("\n")
    assert "--set=password=pw-backup" in backup_args
    assert "CREATE ROLE backup LOGIN PASSWORD :'password' IN ROLE pg_read_all_data;" in backup_sql
    for name, call in zip(SERVICES, calls, strict=True):
        args, _, sql = call.partition("\n")
        assert f"--set=name={name}" in args
        assert f"--set=password=pw-{name}" in args
        assert "ON_ERROR_STOP=1" in args
        assert "CREATE ROLE :\"name\" LOGIN PASSWORD :'password';" in sql
        assert 'CREATE DATABASE :"name" OWNER :"name";' in sql
        assert 'REVOKE ALL ON DATABASE :"name" FROM PUBLIC;' in sql
        assert 'GRANT CONNECT ON DATABASE :"name" TO backup;' in sql


def container_environment(service: dict[str, Any]) -> dict[str, str]:
    """The environment after the entrypoint turned NAME__FILE into NAME (dummy secret values)."""
    env: dict[str, str] = {}
    for key, value in environment(service).items():
        if key.endswith("__FILE"):
            env[key.removesuffix("__FILE")] = "x" * 40  # a real-looking secret
        else:
            env[key] = value
    return env


_STACK_VARS = re.compile(
    r"^(ACCESS|REGISTRY|INCIDENTS|RISK|EVIDENCE|GATEWAY|S3|OTEL|NATS|DATABASE|OIDC|JWKS|"
    r"TOKEN|LOG|AUDIT|ENVIRONMENT|HOST|PORT|PG)"
)


@pytest.mark.parametrize("name", APPS)
def test_service_settings_accept_the_compose_environment(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names in docker-compose.yml are the names the service's Settings class reads."""
    for key in list(os.environ):
        if _STACK_VARS.match(key):
            monkeypatch.delenv(key)
    env = container_environment(services[name])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if name == "gateway":
        settings_cls = importlib.import_module("gateway.settings").GatewaySettings
    else:
        settings_cls = importlib.import_module(f"{name}.settings").Settings
    settings = settings_cls()

    assert settings.host == "0.0.0.0"
    assert settings.port == (8000 if name == "gateway" else PORTS[name])
    assert settings.nats_url == "nats://nats:4222"
    assert settings.oidc_issuer == "http://localhost:8000/api/access"
    assert settings.jwks_url == env["JWKS_URL"]
    assert settings.otel_exporter_otlp_endpoint == "http://otel-collector:4318"
    assert settings.audit_hmac_key.get_secret_value() == "x" * 40
    if name == "gateway":
        assert settings.upstreams == {s: f"http://{s}:{p}" for s, p in PORTS.items()}
        return
    assert settings.database_url == env[f"{name.upper()}_DATABASE_URL"]
    assert settings.database_schema == name
    if name in S3_USERS and "s3_endpoint" in settings_cls.model_fields:
        assert settings.s3_endpoint == "seaweedfs:8333"
        assert settings.s3_access_key == "x" * 40
        assert settings.s3_secret_key.get_secret_value() == "x" * 40
        assert settings.s3_secure is False
    if name == "access":
        assert str(settings.master_key_file) == env["ACCESS_MASTER_KEY_FILE"]
        assert settings.spa_redirect_uris == ["http://localhost:8000/callback"]


def test_registry_reads_the_s3_settings_compose_gives_it() -> None:
    fields = importlib.import_module("registry.settings").Settings.model_fields
    assert {"s3_endpoint", "s3_access_key", "s3_secret_key", "s3_secure"} <= set(fields)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_starts_after_its_own_migrations(services: dict[str, Any], name: str) -> None:
    migrate = services[f"{name}-migrate"]
    service = services[name]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["image"] == service["image"]
    assert migrate["build"] == service["build"]
    assert environment(migrate) == environment(service)
    assert secret_names(migrate) == secret_names(service)
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["command"] == ["serve", "--no-migrate-first"]
    condition = service["depends_on"][f"{name}-migrate"]["condition"]
    assert condition == "service_completed_successfully"


def test_demo_profile_seeds_then_runs_the_simulator(services: dict[str, Any]) -> None:
    for name in DEMO:
        assert services[name]["profiles"] == ["demo"], name
    for name, service in services.items():
        if name not in DEMO:
            assert "profiles" not in service, f"{name} must run without a profile"
    seed, registry_seed, simulator = (services[n] for n in DEMO)
    assert "seed-demo > /var/lib/camwatch/demo-accounts.txt" in seed["entrypoint"][-1]
    assert seed["depends_on"]["access"]["condition"] == "service_healthy"
    assert registry_seed["command"] == ["seed-demo"]
    assert registry_seed["depends_on"]["demo-seed"]["condition"] == "service_completed_successfully"
    assert simulator["build"]["args"] == {
        "SERVICE": "simulator",
        "PACKAGE": "camwatch-devkit",
        "MODULE": "devkit.simulator",
    }
    assert "--accounts=/var/lib/camwatch/demo-accounts.txt" in simulator["command"]
    assert "--gateway=http://gateway:8000" in simulator["command"]
    assert simulator["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert seed["volumes"] == ["demo-data:/var/lib/camwatch"]
    assert simulator["volumes"] == ["demo-data:/var/lib/camwatch:ro"]


def docker_compose(*args: str) -> subprocess.CompletedProcess[str]:
    if not COMPOSE_BINARY.is_file():
        pytest.fail(f"{COMPOSE_BINARY} is missing: run scripts/deploy-tools.sh", pytrace=False)
    env = {"PATH": os.environ["PATH"], "HOME": str(ROOT / "var" / "tools")}
    return subprocess.run(
        [str(COMPOSE_BINARY), "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("profile", [(), ("--profile", "demo")], ids=["default", "demo"])
def test_docker_compose_config_is_clean(profile: tuple[str, ...]) -> None:
    result = docker_compose(*profile, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "no warning either"
    rendered = json.loads(result.stdout)
    expected = {*INFRA, *APPS, *MIGRATIONS, BACKUP, *(DEMO if profile else ())}
    assert set(rendered["services"]) == expected
    # What compose itself resolved: the merged environment and the start order.
    access = rendered["services"]["access"]
    assert access["environment"]["S3_ENDPOINT"] == "seaweedfs:8333"
    assert access["depends_on"]["access-migrate"]["condition"] == "service_completed_successfully"


def test_docker_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    """The check can fail: a dependency on a service that does not exist is refused."""
    broken = tmp_path / "compose.yml"
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    document["services"]["gateway"]["depends_on"]["nowhere"] = {"condition": "service_healthy"}
    broken.write_text(yaml.safe_dump(document))
    result = subprocess.run(
        [str(COMPOSE_BINARY), "--project-directory", str(ROOT), "-f", str(broken), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "nowhere" in result.stderr


def test_the_backup_job_runs_daily_as_a_read_only_role_keys_apart(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup service runs the schedule on the backup image, finds every service's
    database as the read-only `backup` role, and seals the keyring into its own volume."""
    backup = services[BACKUP]
    assert "profiles" not in backup, "backups run in every deployment"
    assert backup["build"]["args"] == {
        "SERVICE": "backup",
        "PACKAGE": "camwatch-servicekit",
        "MODULE": "servicekit.backup",
    }
    command = [interpolate(part) for part in backup["command"]]
    assert command[0] == "daily"
    assert "--at=19:00" in command and "--keep-days=30" in command
    assert "--key-file=/run/secrets/access_master_keys" in command
    assert backup["volumes"] == ["backup-data:/backups", "backup-keys:/backup-keys"]
    assert {"backup_db_password", "backup_passphrase", "access_master_keys"} == secret_names(backup)
    for key in ("read_only", "cap_drop", "user", "security_opt"):
        assert backup[key] == services["access"][key], key
    for key in list(os.environ):
        if _STACK_VARS.match(key):
            monkeypatch.delenv(key)
    for key, value in container_environment(backup).items():
        monkeypatch.setenv(key, value)
    from servicekit.backup.databases import database_of

    for name in SERVICES:
        database = database_of(name)
        assert database.url == f"postgresql://backup@postgres:5432/{name}"
        assert database.schema == name
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"
