"""The operators' command line, against a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from access.cli import cli
from access.main import create_app
from access.settings import Settings
from devkit.testing.stack import parse_demo_accounts

runner = CliRunner()


@pytest.fixture
def env(database, tmp_path, monkeypatch, s3) -> Settings:
    values = {
        "ACCESS_DATABASE_URL": database.url,
        "ACCESS_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.json"),
        "ACCESS_ARGON2_TIME_COST": "1",
        "ACCESS_ARGON2_MEMORY_COST": "1024",
        "ACCESS_ARGON2_PARALLELISM": "1",
        "ACCESS_EVENTS_ENABLED": "false",
        "ACCESS_LOG_JSON": "false",
        "ACCESS_ENVIRONMENT": "test",
        "ACCESS_S3_ENDPOINT": s3.endpoint,
        "ACCESS_S3_ACCESS_KEY": s3.access_key,
        "ACCESS_S3_SECRET_KEY": s3.secret_key,
        "ACCESS_AUDIT_ANCHOR_BUCKET": f"anchors-{uuid.uuid4().hex[:8]}",
    }
    if database.schema:
        values["ACCESS_DATABASE_SCHEMA"] = database.schema
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return Settings()


def run(*args: str, input: str | None = None):
    result = runner.invoke(cli, list(args), input=input)
    return result


def test_seed_demo_is_idempotent_and_parseable(env):
    first = run("seed-demo")
    assert first.exit_code == 0, first.output
    second = run("seed-demo")
    assert second.exit_code == 0, second.output
    accounts = parse_demo_accounts(second.stdout)
    officer = accounts["officer"]
    assert (
        officer.username == "nguyen.van.a"
        and officer["totp_secret"]
        and officer["unit"] == "HQ-KCX-BN"
    )
    assert accounts["epe_vendor_1"]["epe_id"] == "EPE-DEMO-01"
    assert parse_demo_accounts(first.stdout)["head"]["user_id"] == accounts["head"]["user_id"]
    app = create_app(Settings())
    with TestClient(app) as client:
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(
                accounts["customs_system"]["client_id"],
                accounts["customs_system"]["client_secret"],
            ),
        )
        assert token.status_code == 200
        signin = client.post(
            "/signin", json={"username": officer.username, "password": officer.password}
        )
        assert signin.status_code == 200
    app.state.engine.dispose()


def test_bootstrap_admin_once_then_create_client(env):
    first = run(
        "bootstrap-admin",
        "--username",
        "first.admin",
        "--full-name",
        "First Admin",
        "--unit",
        "HQ-KCX-BN",
        "--unit-name",
        "Chi cục demo",
        "--password",
        "A long bootstrap password",
    )
    assert first.exit_code == 0, first.output
    assert "TOTP secret" in first.stdout and "otpauth://" in first.stdout
    again = run(
        "bootstrap-admin",
        "--username",
        "second.admin",
        "--full-name",
        "Second Admin",
        "--unit",
        "HQ-KCX-BN",
        "--unit-name",
        "Chi cục demo",
        "--password",
        "A long bootstrap password",
    )
    assert again.exit_code == 1 and "already a user administrator" in again.output
    created = run(
        "create-client",
        "--client-id",
        "vendor-x",
        "--name",
        "Vendor X",
        "--kind",
        "epe_vendor",
        "--epe-id",
        "EPE-X",
        "--unit",
        "HQ-KCX-BN",
    )
    assert created.exit_code == 0, created.output
    secret = next(
        line.split("=", 1)[1]
        for line in created.stdout.splitlines()
        if line.startswith("client_secret=")
    )
    app = create_app(Settings())
    with TestClient(app) as client:
        token = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("vendor-x", secret)
        )
        assert token.status_code == 200, token.text
    app.state.engine.dispose()
    missing = run("create-client", "--client-id", "vendor-y", "--name", "Y", "--kind", "epe_vendor")
    assert missing.exit_code == 1


def test_create_client_shell_output_is_evaluated_by_a_shell(env):
    """The README walkthrough does `eval "$(python -m access create-client ... --shell)"`."""
    assert run("seed-demo").exit_code == 0  # the demo unit
    command = (
        f'eval "$({sys.executable} -m access create-client --client-id vendor-s --name "Vendor S"'
        ' --kind epe_vendor --epe-id EPE-S --unit HQ-KCX-BN --shell)"'
        ' && printf "%s\\n%s" "$CLIENT_ID" "$CLIENT_SECRET"'
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    client_id, secret = done.stdout.split("\n")
    assert client_id == "vendor-s" and len(secret) >= 32
    assert "store the secret now" in done.stderr
    app = create_app(Settings())
    with TestClient(app) as client:
        token = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert token.status_code == 200, token.text
    app.state.engine.dispose()


def test_key_rotations_keep_everything_readable(env):
    assert run("seed-demo").exit_code == 0
    signing = run("rotate-signing-key")
    assert signing.exit_code == 0 and "active" in signing.stdout
    rotated = run("rotate-master-key")
    assert rotated.exit_code == 0, rotated.output
    assert "master key version 2" in rotated.stdout
    app = create_app(Settings())
    with app.state.engine.connect() as conn:  # announced like the API's rotation
        announced = conn.execute(
            text("SELECT subject FROM event_outbox WHERE type = 'access.master_key.rotated.v1'")
        ).scalars()
        assert list(announced) == ["master-key:2"]
    app.state.engine.dispose()
    retired = run("retire-master-keys", "--below", "2")
    assert retired.exit_code == 0, retired.output
    keyring = json.loads(env.master_key_file.read_text())
    assert list(keyring["keys"]) == ["2"] and keyring["min_decryption_version"] == 2
    accounts = parse_demo_accounts(run("seed-demo").stdout)
    app = create_app(Settings())
    with TestClient(app) as client:  # TOTP secrets, signing keys and vault data still open
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(accounts["epe_vendor_1"]["client_id"], accounts["epe_vendor_1"]["client_secret"]),
        )
        assert token.status_code == 200
    app.state.engine.dispose()
    refused = run("retire-master-keys", "--below", "3")
    assert refused.exit_code != 0


def test_verify_and_export_audit(env, tmp_path):
    assert run("seed-demo").exit_code == 0
    anchored = run("anchor-audit")
    assert anchored.exit_code == 0 and "anchored the audit chain at record" in anchored.stdout
    ok = run("verify-audit")
    assert ok.exit_code == 0 and "intact" in ok.stdout and "1 anchors" in ok.stdout
    out = tmp_path / "audit.ndjson"
    exported = run("export-audit", "--output", str(out))
    assert exported.exit_code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0]["seq"] == 1 and records[-1]["action"] == "audit.exported"
    app = create_app(Settings())
    with app.state.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_records_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_records_no_change ON audit_records"))
        conn.execute(text("UPDATE audit_records SET reason = 'rewritten' WHERE seq = 7"))
    app.state.engine.dispose()
    broken = run("verify-audit")
    assert broken.exit_code == 1
    assert "record 7" in broken.output


def test_appoint_head_only_for_a_unit_without_one(env):
    assert run("seed-demo").exit_code == 0
    refused = run("appoint-head", "--username", "nguyen.van.a", "--reason", "Decision 1/QD")
    assert refused.exit_code == 1 and "already has a head" in refused.output
