"""A backup round trip on real databases and a real NATS: written, verified, destroyed,
restored record for record; tampering, a lost file and a wrong passphrase are named."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from sqlalchemy import text

from servicekit.backup import archive
from servicekit.backup.databases import BackupError, database_of, table_digests
from servicekit.db import make_engine

STREAM = "CAMWATCH_BACKUPTEST"
PASSPHRASE = "a long enough passphrase"


@pytest.fixture
def source(database, monkeypatch, tmp_path):
    """The access service's database with a few rows, as the backup finds it (environment)."""
    monkeypatch.setenv("ACCESS_DATABASE_URL", database.url)
    if database.schema:
        monkeypatch.setenv("ACCESS_DATABASE_SCHEMA", database.schema)
    engine = make_engine(database.url, schema=database.schema)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE vault_rows (id INTEGER PRIMARY KEY, sealed TEXT, at TEXT)"))
        conn.execute(text("CREATE TABLE audit_rows (seq INTEGER PRIMARY KEY, action TEXT)"))
        for i in range(1, 51):
            conn.execute(
                text("INSERT INTO vault_rows VALUES (:i, :s, :a)"),
                {"i": i, "s": f"sealed-{i}", "a": f"2026-11-30 0{i % 10}:00:00"},
            )
            conn.execute(text("INSERT INTO audit_rows VALUES (:i, 'reveal')"), {"i": i})
    engine.dispose()
    return database_of("access")


async def _stream(nats_url: str, *, publish: int = 0, drop: bool = False) -> list[bytes]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        if drop:
            await js.delete_stream(STREAM)
            return []
        if publish:
            await js.add_stream(name=STREAM, subjects=["backuptest.>"])
            for i in range(publish):
                await js.publish(
                    "backuptest.e.v1", f"event {i}".encode(), headers={"Nats-Msg-Id": f"m{i}"}
                )
        sub = await js.subscribe("backuptest.>", stream=STREAM, ordered_consumer=True)
        info = await js.stream_info(STREAM)
        got = [(await sub.next_msg(timeout=5)).data for _ in range(info.state.messages)]
        await sub.unsubscribe()
        return got
    finally:
        await nc.close()


def test_round_trip_record_for_record(source, nats_url, monkeypatch, tmp_path):
    monkeypatch.setenv("NATS_URL", nats_url)
    published = asyncio.run(_stream(nats_url, publish=30))
    keyring = tmp_path / "master-keys.json"
    keyring.write_text(json.dumps({"keys": {"1": "k" * 44}}))
    plan = archive.Plan(databases=[source], nats_url=nats_url, key_files=[keyring])
    folder = archive.create(
        plan, into=tmp_path / "backups", keys_into=tmp_path / "keys", passphrase=PASSPHRASE
    )
    keys_dir = tmp_path / "keys" / folder.name
    assert not any(p.name.startswith("master-keys") for p in folder.rglob("*"))  # kept apart
    assert "k" * 44 not in next(keys_dir.iterdir()).read_text()  # and sealed
    before = table_digests(source)
    assert before["vault_rows"]["rows"] == 50

    # destroy: the database and the stream are gone
    engine = source.engine()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE vault_rows"))
        conn.execute(text("DROP TABLE audit_rows"))
    engine.dispose()
    if source.is_sqlite:
        source.sqlite_path.unlink()
    asyncio.run(_stream(nats_url, drop=True))

    done = archive.restore(
        folder,
        targets=[source],
        nats_url=nats_url,
        keys_dir=keys_dir,
        keys_out=tmp_path / "restored-keys",
        passphrase=PASSPHRASE,
        replace=not source.is_sqlite,
    )
    assert "database access" in done and f"stream {STREAM} (30 messages)" in done
    assert table_digests(source) == before
    assert asyncio.run(_stream(nats_url)) == published
    assert (tmp_path / "restored-keys" / "master-keys.json").read_text() == keyring.read_text()
    asyncio.run(_stream(nats_url, drop=True))


def test_tampering_loss_and_a_wrong_passphrase_are_named(source, tmp_path):
    keyring = tmp_path / "master-keys.json"
    keyring.write_text("{}")
    plan = archive.Plan(databases=[source], nats_url=None, key_files=[keyring])
    folder = archive.create(
        plan, into=tmp_path / "b", keys_into=tmp_path / "k", passphrase=PASSPHRASE
    )
    keys_dir = tmp_path / "k" / folder.name
    with pytest.raises(BackupError, match="wrong passphrase"):
        archive.restore(
            folder,
            targets=[],
            nats_url=None,
            keys_dir=keys_dir,
            keys_out=tmp_path / "out",
            passphrase="not the passphrase",
        )
    dump = next((folder / "databases").iterdir())
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=f"{dump.name} was altered"):
        archive.verify(folder)
    dump.unlink()
    with pytest.raises(BackupError, match=f"{dump.name} is missing"):
        archive.verify(folder)


def test_a_restore_refuses_to_overwrite(source, tmp_path):
    folder = archive.create(
        archive.Plan(databases=[source], nats_url=None, key_files=[]),
        into=tmp_path / "b",
        keys_into=None,
        passphrase=None,
    )
    if source.is_sqlite:
        with pytest.raises(BackupError, match="restore into an empty place"):
            archive.restore(folder, targets=[source], nats_url=None)
    else:
        with pytest.raises(BackupError, match="pg_restore of access failed"):
            archive.restore(folder, targets=[source], nats_url=None)
