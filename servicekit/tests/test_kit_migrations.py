"""The migrations command line (typer, like every other camwatch command)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from servicekit.migrations import app

REPO = Path(__file__).resolve().parents[2]
ENV = """
from sqlalchemy import Column, Integer, MetaData, Table

from servicekit.migrations import run_env

metadata = MetaData()
Table("widget", metadata, Column("id", Integer, primary_key=True))
run_env(metadata)
"""


def _service(tmp_path: Path) -> Path:
    service = tmp_path / "widgets"
    (service / "migrations").mkdir(parents=True)
    shutil.copy(REPO / "services/risk/migrations/script.py.mako", service / "migrations")
    (service / "migrations" / "env.py").write_text(ENV)
    return service


def test_revision_autogenerates_a_migration_of_the_models(tmp_path):
    service = _service(tmp_path)
    result = CliRunner().invoke(app, ["revision", str(service), "add widgets"])
    assert result.exit_code == 0, result.output
    [script] = (service / "migrations" / "versions").glob("*.py")
    text = script.read_text()
    assert "add widgets" in text
    assert "op.create_table('widget'" in text or 'op.create_table("widget"' in text


def test_revision_needs_a_message(tmp_path):
    result = CliRunner().invoke(app, ["revision", str(_service(tmp_path))])
    assert result.exit_code == 2
    assert "missing argument" in result.output.lower()
    assert "message" in result.output.lower()


def test_help_lists_the_revision_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "revision" in result.output
