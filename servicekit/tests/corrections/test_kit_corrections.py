"""`python -m servicekit.corrections apply` against a real service database (SQLite, and
PostgreSQL when reachable): the backup is taken and verified first, the UPDATE holds only if
every `from` value still does, a stale plan or an append-only table changes nothing, and
every outcome is reported to access (here an in-process stand-in for its routes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from typer.testing import CliRunner

from servicekit.appendonly import protect_table
from servicekit.backup import archive
from servicekit.backup.databases import database_of
from servicekit.columns import UTCDateTime
from servicekit.corrections import cli as corrections_cli
from servicekit.corrections.change import CorrectionRefused
from servicekit.corrections.run import run
from servicekit.db import make_engine

metadata = MetaData()
EPES = Table(
    "epes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("cameras", Integer, nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
)
LOGBOOK = Table(
    "logbook_entries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("text", String(200), nullable=False),
)
protect_table(LOGBOOK, "logbook entries are append-only")
REGISTERED = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)


class FakeAccess:
    """Access's correction routes, in memory: a plan per id and the reports received."""

    def __init__(self, plans: dict[str, dict[str, Any]]) -> None:
        self.plans = plans
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def plan(self, correction_id: str) -> dict[str, Any]:
        return self.plans[correction_id]

    def start(self, correction_id: str) -> dict[str, Any]:
        self.calls.append(("start", correction_id, None))
        assert self.plans[correction_id]["status"] == "approved"
        self.plans[correction_id]["status"] = "applying"
        return self.plans[correction_id]

    def applied(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("applied", correction_id, report))
        self.plans[correction_id]["status"] = "applied"
        return self.plans[correction_id]

    def failed(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("failed", correction_id, report))
        self.plans[correction_id]["status"] = "failed"
        return self.plans[correction_id]


def plan(cid: str = "c1", *, table: str = "epes", **changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cid,
        "status": "approved",
        "service": "registry",
        "table": table,
        "primary_key": {"id": "EPE-1"},
        "changes": changes or {"name": {"from": "Công ty A", "to": "Công ty Cổ phần A"}},
    }


@pytest.fixture
def registry_db(database, monkeypatch):
    """The registry's database as the command finds it (its environment), with one EPE."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", database.url)
    if database.schema:
        monkeypatch.setenv("REGISTRY_DATABASE_SCHEMA", database.schema)
    engine = make_engine(database.url, schema=database.schema)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            EPES.insert().values(id="EPE-1", name="Công ty A", cameras=4, registered_at=REGISTERED)
        )
        conn.execute(LOGBOOK.insert().values(id="L-1", text="as written"))
    yield engine
    engine.dispose()


def row(engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(EPES)).one()._mapping)


def test_backup_first_then_the_guarded_update(registry_db, tmp_path):
    access = FakeAccess(
        {
            "c1": plan(
                name={"from": "Công ty A", "to": "Công ty Cổ phần A"},
                cameras={"from": 4, "to": 6},
                registered_at={"from": "2026-03-01T09:30:00+07:00", "to": "2026-03-02T02:30:00Z"},
            )
        }
    )
    done = run("c1", access=access, database_for=database_of, backup_dir=tmp_path / "b")
    assert [c[0] for c in access.calls] == ["start", "applied"]
    report = access.calls[1][2]
    assert report is not None
    assert report["backup_id"] == done.backup_id and report["rows_touched"] == 1
    assert report["before"]["cameras"] == 4 and report["after"]["name"] == "Công ty Cổ phần A"
    after = row(registry_db)
    assert after["name"] == "Công ty Cổ phần A" and after["cameras"] == 6
    assert after["registered_at"] == datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    # the backup holds the row as it was, and verifies
    assert done.backup_folder.parent == tmp_path / "b" / "corrections" / "c1"
    assert archive.verify(done.backup_folder) == ["database registry"]
    manifest = archive.read_manifest(done.backup_folder)
    assert manifest["databases"]["registry"]["sha256"] == report["backup_sha256"]
    if done.backup_folder.joinpath("databases", "registry.sqlite").exists():
        copy = make_engine(f"sqlite:///{done.backup_folder / 'databases' / 'registry.sqlite'}")
        assert row(copy)["name"] == "Công ty A"
        copy.dispose()
    # applied once: a second run is refused before anything happens
    with pytest.raises(CorrectionRefused, match="applied, not approved"):
        run("c1", access=access, database_for=database_of, backup_dir=tmp_path / "b")


def test_a_from_that_no_longer_holds_changes_nothing(registry_db, tmp_path):
    access = FakeAccess(
        {"c2": plan("c2", name={"from": "Công ty A", "to": "B"}, cameras={"from": 5, "to": 6})}
    )
    before = row(registry_db)
    with pytest.raises(CorrectionRefused, match="cameras"):
        run("c2", access=access, database_for=database_of, backup_dir=tmp_path / "b")
    assert row(registry_db) == before  # the name was not changed either
    kind, _, report = access.calls[-1]
    assert kind == "failed" and report is not None
    assert "no longer holds" in report["reason"] and report["backup_id"]


def test_append_only_and_unknown_targets_are_refused(registry_db, tmp_path):
    access = FakeAccess(
        {
            "c3": {
                **plan("c3", table="logbook_entries"),
                "primary_key": {"id": "L-1"},
                "changes": {"text": {"from": "as written", "to": "edited"}},
            },
            "c4": plan("c4", table="nowhere"),
            "c5": plan("c5", id={"from": "EPE-1", "to": "EPE-2"}),
            "c6": {**plan("c6"), "primary_key": {"name": "Công ty A"}},
        }
    )
    expected = {
        "c3": "append-only",
        "c4": "no table nowhere",
        "c5": "primary key",
        "c6": "primary key",
    }
    for cid, message in expected.items():
        with pytest.raises(CorrectionRefused, match=message):
            run(cid, access=access, database_for=database_of, backup_dir=tmp_path / "b")
        assert access.calls[-1][0] == "failed"
    with registry_db.connect() as conn:
        assert conn.execute(text("SELECT text FROM logbook_entries")).scalar_one() == "as written"
    assert row(registry_db)["name"] == "Công ty A"


def test_a_plan_not_approved_is_refused_before_any_backup(registry_db, tmp_path):
    access = FakeAccess({"c7": {**plan("c7"), "status": "pending"}})
    with pytest.raises(CorrectionRefused, match="pending, not approved"):
        run("c7", access=access, database_for=database_of, backup_dir=tmp_path / "b")
    assert access.calls == [] and not (tmp_path / "b").exists()


def test_the_command_line_calls_access_through_the_gateway(registry_db, tmp_path, monkeypatch):
    access = FakeAccess({"c8": plan("c8")})
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        assert request.headers["authorization"] == "Bearer operator-token"
        cid = request.url.path.split("/")[4]
        action = request.url.path.split("/")[5] if request.url.path.count("/") > 4 else "plan"
        body = json.loads(request.content) if request.content else None
        result = getattr(access, action)(cid, body) if body else getattr(access, action)(cid)
        return httpx.Response(200, json=result)

    monkeypatch.setattr(corrections_cli, "TRANSPORT", httpx.MockTransport(handler))
    monkeypatch.setenv("CAMWATCH_TOKEN", "operator-token")
    outcome = CliRunner().invoke(
        corrections_cli.cli,
        ["apply", "c8", "--backup-dir", str(tmp_path / "b"), "--gateway", "http://gw"],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "backup written and verified" in outcome.output
    assert seen == [
        "GET /api/access/corrections/c8",
        "POST /api/access/corrections/c8/start",
        "POST /api/access/corrections/c8/applied",
    ]
    assert row(registry_db)["name"] == "Công ty Cổ phần A"
    refused = CliRunner().invoke(
        corrections_cli.cli, ["apply", "c8", "--backup-dir", str(tmp_path / "b")]
    )
    assert refused.exit_code == 1 and "not approved" in refused.output


def test_without_a_token_the_command_signs_the_operator_in(registry_db, tmp_path, monkeypatch):
    """No `CAMWATCH_TOKEN`: the device flow through the gateway (pending once, then the
    operator's token), the code printed for the person, then the correction applied."""
    access = FakeAccess({"c10": plan("c10")})
    polls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/access/oauth/device_authorization":
            return httpx.Response(
                200,
                json={
                    "device_code": "secret-device-code",
                    "user_code": "BDFG-HJKL",
                    "verification_uri": "http://gw/device",
                    "verification_uri_complete": "http://gw/device?user_code=BDFG-HJKL",
                    "expires_in": 600,
                    "interval": 1,
                },
            )
        if path == "/api/access/oauth/token":
            polls.append(request.content.decode())
            if len(polls) == 1:
                return httpx.Response(400, json={"error": "authorization_pending"})
            return httpx.Response(200, json={"access_token": "approved-token", "expires_in": 300})
        assert request.headers["authorization"] == "Bearer approved-token"
        cid = path.split("/")[4]
        action = path.split("/")[5] if path.count("/") > 4 else "plan"
        body = json.loads(request.content) if request.content else None
        result = getattr(access, action)(cid, body) if body else getattr(access, action)(cid)
        return httpx.Response(200, json=result)

    monkeypatch.setattr(corrections_cli, "TRANSPORT", httpx.MockTransport(handler))
    monkeypatch.delenv("CAMWATCH_TOKEN", raising=False)
    outcome = CliRunner().invoke(
        corrections_cli.cli,
        ["apply", "c10", "--backup-dir", str(tmp_path / "b"), "--gateway", "http://gw"],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "http://gw/device?user_code=BDFG-HJKL" in outcome.output
    assert "enter the code BDFG-HJKL" in outcome.output
    assert "secret-device-code" not in outcome.output and "approved-token" not in outcome.output
    assert len(polls) == 2 and "device_code=secret-device-code" in polls[0]
    assert row(registry_db)["name"] == "Công ty Cổ phần A"


def test_a_denied_sign_in_changes_nothing(registry_db, tmp_path, monkeypatch):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/device_authorization"):
            return httpx.Response(
                200,
                json={
                    "device_code": "d",
                    "user_code": "BDFG-HJKL",
                    "verification_uri": "http://gw/device",
                    "expires_in": 600,
                    "interval": 1,
                },
            )
        assert request.url.path == "/api/access/oauth/token", "nothing else is called"
        return httpx.Response(400, json={"error": "access_denied"})

    monkeypatch.setattr(corrections_cli, "TRANSPORT", httpx.MockTransport(handler))
    monkeypatch.delenv("CAMWATCH_TOKEN", raising=False)
    outcome = CliRunner().invoke(
        corrections_cli.cli, ["apply", "c11", "--backup-dir", str(tmp_path / "b")]
    )
    assert outcome.exit_code == 1 and "not signed in: the sign-in was denied" in outcome.output
    assert row(registry_db)["name"] == "Công ty A"


def test_no_verified_backup_no_change(registry_db, tmp_path):
    access = FakeAccess({"c9": plan("c9")})
    blocked = tmp_path / "b"
    blocked.write_text("a file where the backups should go")
    with pytest.raises(CorrectionRefused, match="no verified backup"):
        run("c9", access=access, database_for=database_of, backup_dir=blocked)
    assert access.calls[-1][0] == "failed" and access.calls[-1][2]["backup_id"] is None
    assert row(registry_db)["name"] == "Công ty A"
