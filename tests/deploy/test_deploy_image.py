"""The root Dockerfile builds every deployable the same way; its entrypoint reads secret files.

There is no Docker engine here: the Dockerfile is read as text, and the entrypoint script it
embeds is extracted and run with /bin/sh against a stand-in `python`.
"""

from __future__ import annotations

import fnmatch
import glob
import importlib
import importlib.util
import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from servicekit.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
APPS = (*SERVICES, "gateway")


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def instructions(text: str) -> list[str]:
    """Instructions with line continuations joined and comments dropped (heredocs kept raw)."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line and not line.lstrip().startswith("#")]


def stages(text: str) -> dict[str, list[str]]:
    """Instructions of each named stage."""
    result: dict[str, list[str]] = {}
    current: list[str] = []
    for line in instructions(text):
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = result.setdefault(match.group(1), [])
        current.append(line)
    return result


def test_builds_take_the_service_as_a_build_arg_and_check_it(dockerfile: str) -> None:
    build = stages(dockerfile)["build"]
    assert "ARG SERVICE" in build
    check = next(line for line in build if line.startswith("RUN case"))
    for app in APPS:
        assert app in check


def test_dependencies_come_from_the_lock_for_that_package_only(dockerfile: str) -> None:
    syncs = [line for line in stages(dockerfile)["build"] if "uv sync" in line]
    assert len(syncs) == 2, "one layer of third-party packages, then the workspace"
    for line in syncs:
        assert "--frozen" in line
        assert "--no-dev" in line
        assert '--package "${PACKAGE}"' in line
    assert "ARG PACKAGE=camwatch-${SERVICE}" in stages(dockerfile)["build"]
    assert "--no-install-workspace" in syncs[0]


def test_every_workspace_member_manifest_is_copied_before_the_first_sync(dockerfile: str) -> None:
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = sorted(
        str(Path(path).relative_to(ROOT))
        for pattern in workspace["members"]
        for path in glob.glob(str(ROOT / pattern))
        if (Path(path) / "pyproject.toml").exists()
    )
    assert members
    build = stages(dockerfile)["build"]
    first_sync = next(i for i, line in enumerate(build) if "uv sync" in line)
    copied = " ".join(build[:first_sync])
    assert "COPY pyproject.toml uv.lock ./" in copied
    for member in members:
        assert f"COPY {member}/pyproject.toml {member}/" in copied, member


def test_runtime_needs_the_migrations_and_contracts_beside_the_code(dockerfile: str) -> None:
    build = " ".join(stages(dockerfile)["build"])
    assert "COPY contracts/ contracts/" in build
    assert "cp -a .venv servicekit contracts /out/app/" in build
    assert 'cp -a "${src}" "/out/app/${src}"' in build  # services/<s> with its migrations/


def test_runtime_stage_is_unprivileged_and_runs_serve(dockerfile: str) -> None:
    runtime = stages(dockerfile)["runtime"]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users, "the runtime stage must switch to an unprivileged user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, "numeric uid so runAsNonRoot can verify it"
    assert runtime[-2] == 'ENTRYPOINT ["/usr/local/bin/camwatch-entrypoint"]'
    assert runtime[-1] == 'CMD ["serve"]'
    env = " ".join(line for line in runtime if line.startswith("ENV "))
    assert "CAMWATCH_SERVICE=${MODULE}" in env
    assert "ARG MODULE=${SERVICE}" in runtime
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "/app/.venv/bin" in env


def entrypoint_script(dockerfile: str) -> str:
    match = re.search(
        r"^COPY <<'EOF' /out/usr/local/bin/camwatch-entrypoint\n(.*?)^EOF$",
        dockerfile,
        re.MULTILINE | re.DOTALL,
    )
    assert match, "the entrypoint heredoc is missing"
    return match.group(1)


@pytest.fixture
def entrypoint(dockerfile: str, tmp_path: Path) -> Path:
    script = tmp_path / "camwatch-entrypoint"
    script.write_text(entrypoint_script(dockerfile))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    python = fake_bin / "python"
    python.write_text('#!/bin/sh\necho "ARGS $*"\nenv\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return script


def run_entrypoint(
    script: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": f"{script.parent / 'bin'}:{os.environ['PATH']}", "CAMWATCH_SERVICE": "risk"}
    return subprocess.run(
        ["/bin/sh", str(script), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_entrypoint_exports_secret_files_and_runs_the_service_cli(
    entrypoint: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "audit_hmac_key"
    secret.write_text("s3cr3t value with spaces\n")
    result = run_entrypoint(
        entrypoint,
        {"AUDIT_HMAC_KEY__FILE": str(secret), "ACCESS_MASTER_KEY_FILE": "/keys.json"},
        "serve",
        "--no-migrate-first",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "ARGS -m risk serve --no-migrate-first"
    assert "AUDIT_HMAC_KEY=s3cr3t value with spaces" in lines
    assert not any(line.startswith("AUDIT_HMAC_KEY__FILE=") for line in lines)
    # A single-underscore _FILE is an ordinary setting (a path the service opens itself).
    assert "ACCESS_MASTER_KEY_FILE=/keys.json" in lines
    assert not any(line.startswith("ACCESS_MASTER_KEY=") for line in lines)


def test_entrypoint_refuses_a_missing_secret_file(entrypoint: Path, tmp_path: Path) -> None:
    result = run_entrypoint(entrypoint, {"PGPASSWORD__FILE": str(tmp_path / "absent")})
    assert result.returncode == 1
    assert "PGPASSWORD__FILE" in result.stderr
    assert "ARGS" not in result.stdout


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore excludes a path (its patterns here are simple globs)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(parts[-1], pattern[3:])
            ):
                return True
    return False


def test_dockerignore_keeps_what_the_build_copies_and_drops_local_state() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns)
    for needed in (
        "pyproject.toml",
        "uv.lock",
        "servicekit/src/servicekit/settings.py",
        "services/registry/src/registry/main.py",
        "services/registry/migrations/env.py",
        "gateway/src/gateway/main.py",
        "gateway/spa/index.html",
        "contracts/events/registry/registry.camera.went_offline.v1.json",
    ):
        assert not ignored(needed, patterns), needed
    for dropped in (".git/HEAD", ".venv/bin/python", "var/secrets/audit_hmac_key", "var/nats"):
        assert ignored(dropped, patterns), dropped
    assert ignored("services/registry/tests/test_x.py", patterns)


def test_dev_tooling_stays_out_of_the_build_context_and_the_image(dockerfile: str) -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not ignored("devkit/pyproject.toml", patterns), "uv needs every member's manifest"
    assert not ignored("devkit/src/devkit/simulator/runner.py", patterns), "the demo image"
    assert ignored("devkit/src/devkit/testing/plugin.py", patterns)
    assert ignored("devkit/src/devkit/contracts.py", patterns)
    assert ignored("devkit/tests/simulator/test_cli.py", patterns)
    build = " ".join(stages(dockerfile)["build"])
    assert "COPY devkit/pyproject.toml devkit/" in build
    # Only the simulator's image keeps devkit (src=devkit); the others copy their own folder.
    assert "simulator) src=devkit ;;" in build
    assert "devkit" not in " ".join(stages(dockerfile)["runtime"])


def test_the_gateway_image_serves_the_spa_built_in_its_own_stage(dockerfile: str) -> None:
    spa = " ".join(stages(dockerfile)["spa"])
    assert "COPY gateway/spa/ ./" in spa
    assert "npm ci" in spa and "npm run build" in spa
    assert "test -f dist/index.html" in spa
    build = " ".join(stages(dockerfile)["build"])
    assert "COPY --from=spa /spa/dist/ /spa-dist/" in build
    assert "cp -a /spa-dist gateway/spa/dist" in build


RUNTIME_SOURCES = ("servicekit/src", "gateway/src", *(f"services/{s}/src" for s in SERVICES))
TEST_ONLY = re.compile(r"^\s*(import|from)\s+(pytest|schemathesis|devkit)\b", re.MULTILINE)


def test_no_runtime_package_imports_test_tooling() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for source in RUNTIME_SOURCES
        for path in (ROOT / source).rglob("*.py")
        if TEST_ONLY.search(path.read_text())
    ]
    assert offenders == []


def test_service_cli_serves_and_migrates_as_the_deployments_expect() -> None:
    """Compose runs `serve`; Helm runs `migrate`, then `serve --no-migrate-first`."""
    from typer.testing import CliRunner

    from servicekit.cli import service_cli
    from servicekit.settings import ServiceSettings

    cli = service_cli(
        name="probe",
        settings_factory=ServiceSettings,
        app_factory="probe.main:create_app",
        migrations_dir=ROOT,
    )
    runner = CliRunner()
    serve = runner.invoke(cli, ["serve", "--help"])
    assert serve.exit_code == 0, serve.output
    assert "--no-migrate-first" in serve.output
    assert runner.invoke(cli, ["migrate", "--help"]).exit_code == 0


@pytest.mark.parametrize("service", APPS[:-1])
def test_service_uses_the_shared_cli_and_keeps_its_source_layout(service: str) -> None:
    """The image keeps services/<s>/{src,migrations}; the service's code is found there."""
    spec = importlib.util.find_spec(f"{service}.main")
    assert spec is not None and spec.origin is not None
    package_dir = Path(spec.origin).resolve().parent
    assert package_dir == ROOT / "services" / service / "src" / service, "editable source layout"
    assert (ROOT / "services" / service / "migrations" / "env.py").is_file()
    main = (package_dir / "main.py").read_text()
    assert re.search(
        r'MIGRATIONS_DIR = Path\(__file__\)\.resolve\(\)\.parents\[2\] / "migrations"', main
    )
    cli_sources = [package_dir / "__main__.py", package_dir / "cli.py"]
    assert any(p.is_file() and "service_cli(" in p.read_text() for p in cli_sources)


def test_event_schemas_are_read_from_the_copied_contracts_folder() -> None:
    from servicekit.events import default_contracts_dir

    assert default_contracts_dir().resolve() == ROOT / "contracts" / "events"


def test_the_backup_image_carries_the_kit_and_a_pg_dump_matching_the_server(
    dockerfile: str,
) -> None:
    """`SERVICE=backup` runs `python -m servicekit.backup`; pg_dump refuses a server newer
    than itself, so the client is PostgreSQL 16 like compose's postgres:16 image."""
    build = stages(dockerfile)["build"]
    check = next(line for line in build if line.startswith("RUN case"))
    assert "backup)" in check.replace("|backup)", "backup)")
    keep = next(line for line in build if "compileall" in line)
    assert "backup) src=servicekit ;;" in keep
    assert 'if [ "${src}" != servicekit ]; then cp -a' in keep  # not copied into itself
    runtime = " ".join(stages(dockerfile)["runtime"])
    assert 'if [ "${SERVICE}" = backup ]' in runtime
    assert "postgresql-client-16" in runtime
    assert "install -d -o 10001 -g 10001 -m 0750 /backups /backup-keys" in runtime
    compose = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"image: postgres:16[-.]", compose)
