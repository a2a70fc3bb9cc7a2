"""The backup command line: create and verify on the environment's databases, clear errors."""

from __future__ import annotations

from sqlalchemy import text
from typer.testing import CliRunner

from servicekit.backup.cli import cli
from servicekit.db import make_engine

runner = CliRunner()


def test_create_then_verify(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE epes (id TEXT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO epes VALUES ('EPE-1')"))
    engine.dispose()
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    made = runner.invoke(
        cli, ["create", "--to", str(tmp_path / "b"), "--service", "registry", "--no-streams"]
    )
    assert made.exit_code == 0, made.output
    folder = next((tmp_path / "b").iterdir())
    checked = runner.invoke(cli, ["verify", str(folder)])
    assert checked.exit_code == 0 and "intact: database registry" in checked.output


def test_unknown_service_and_keys_without_a_passphrase_are_refused(tmp_path, monkeypatch):
    unknown = runner.invoke(cli, ["create", "--to", str(tmp_path), "--service", "billing"])
    assert unknown.exit_code == 2 and "unknown service billing" in unknown.output
    key = tmp_path / "keys.json"
    key.write_text("{}")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.delenv("BACKUP_PASSPHRASE", raising=False)
    refused = runner.invoke(
        cli,
        [
            "create",
            "--to",
            str(tmp_path / "b"),
            "--service",
            "registry",
            "--no-streams",
            "--key-file",
            str(key),
        ],
    )
    assert refused.exit_code == 1 and "a passphrase" in refused.output
    missing = runner.invoke(cli, ["verify", str(tmp_path)])
    assert missing.exit_code == 1 and "holds no manifest.json" in missing.output
