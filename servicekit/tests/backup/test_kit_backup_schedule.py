"""The daily schedule: the next run time, retention, and the `daily` loop of compose."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from servicekit.backup import cli as backup_cli
from servicekit.backup import schedule
from servicekit.backup.cli import cli
from servicekit.backup.databases import BackupError
from servicekit.db import make_engine

runner = CliRunner()
AT = time(19, 0, tzinfo=UTC)


def test_next_run_is_today_if_still_ahead_else_tomorrow():
    assert schedule.next_run(datetime(2026, 11, 30, 18, 59, tzinfo=UTC), AT) == datetime(
        2026, 11, 30, 19, 0, tzinfo=UTC
    )
    assert schedule.next_run(datetime(2026, 11, 30, 19, 0, tzinfo=UTC), AT) == datetime(
        2026, 12, 1, 19, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("value", ["24:00", "7:00", "02:60", "noon", ""])
def test_a_malformed_time_of_day_is_refused(value):
    with pytest.raises(BackupError, match="HH:MM"):
        schedule.parse_at(value)
    assert schedule.parse_at("02:05") == time(2, 5, tzinfo=UTC)


def test_prune_keeps_recent_backups_the_new_one_and_foreign_folders(tmp_path):
    into, keys = tmp_path / "b", tmp_path / "k"
    for name in ("20261001T190000Z", "20261115T190000Z", "20261130T190000Z", "notes"):
        (into / name).mkdir(parents=True)
        (keys / name).mkdir(parents=True)
    removed = schedule.prune(
        into,
        keys_into=keys,
        keep_days=30,
        now=datetime(2026, 11, 30, 19, 1, tzinfo=UTC),
        keep=into / "20261130T190000Z",
    )
    assert removed == ["20261001T190000Z"]
    assert sorted(p.name for p in into.iterdir()) == [
        "20261115T190000Z",
        "20261130T190000Z",
        "notes",
    ]
    assert not (keys / "20261001T190000Z").exists()
    with pytest.raises(BackupError, match="at least 1"):
        schedule.prune(into, keys_into=None, keep_days=0, now=datetime.now(UTC), keep=into)


def _registry_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE epes (id TEXT PRIMARY KEY)"))
    engine.dispose()
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)


def test_create_with_keep_days_deletes_old_backups(tmp_path, monkeypatch):
    _registry_db(tmp_path, monkeypatch)
    (tmp_path / "b" / "20200101T000000Z").mkdir(parents=True)
    made = runner.invoke(
        cli,
        [
            "create",
            "--to",
            str(tmp_path / "b"),
            "--service",
            "registry",
            "--no-streams",
            "--keep-days",
            "7",
        ],
    )
    assert made.exit_code == 0, made.output
    assert "deleted: 20200101T000000Z" in made.output
    assert len(list((tmp_path / "b").iterdir())) == 1


def test_daily_sleeps_until_the_time_then_backs_up(tmp_path, monkeypatch):
    _registry_db(tmp_path, monkeypatch)
    slept: list[float] = []
    monkeypatch.setattr(backup_cli.time, "sleep", slept.append)
    done = runner.invoke(
        cli,
        [
            "daily",
            "--to",
            str(tmp_path / "b"),
            "--at",
            "02:00",
            "--service",
            "registry",
            "--no-streams",
            "--runs",
            "1",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "next backup at" in done.output and "T02:00:00+00:00" in done.output
    assert len(slept) == 1 and 0 <= slept[0] <= 86_400
    assert "backup written and verified" in done.output


def test_daily_reports_a_failed_run_and_exits_non_zero_when_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'r.db'}")
    monkeypatch.setattr(backup_cli.time, "sleep", lambda _s: None)
    failed = runner.invoke(
        cli,
        [
            "daily",
            "--to",
            str(tmp_path / "b"),
            "--service",
            "registry",
            "--no-streams",
            "--runs",
            "1",
        ],
    )
    assert failed.exit_code == 1
    assert "backup failed, next attempt tomorrow" in failed.output
    refused = runner.invoke(cli, ["daily", "--to", str(tmp_path), "--at", "25:00"])
    assert refused.exit_code == 2 and "HH:MM" in refused.output
