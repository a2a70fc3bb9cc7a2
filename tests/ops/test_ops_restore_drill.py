"""The restore drill (seed 2 §3: daily backups kept safe): run the stack, write data of every
kind, back up, destroy it all, restore into a fresh stack and compare record for record; the
audit chain verifies and the restored stack serves with the restored keys.

Object storage is not part of this backup: evidence and diagrams live in an Object-Locked
bucket whose copies are the S3 service's own replication (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys

import httpx
import nats
import pytest

from devkit.testing.nats import NatsServer
from devkit.testing.stack import Stack
from servicekit.backup.databases import Database, table_digests
from servicekit.services import SERVICES

PASSPHRASE = "restore-drill passphrase"


def _cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _digests(stack: Stack) -> dict[str, dict[str, dict[str, object]]]:
    return {
        s: table_digests(Database(s, stack.env[f"{s.upper()}_DATABASE_URL"], None))
        for s in SERVICES
    }


async def _stream_counts(url: str) -> dict[str, int]:
    connection = await nats.connect(url)
    try:
        infos = await connection.jetstream().streams_info()
        return {i.config.name: i.state.messages for i in infos if i.config.name}
    finally:
        await connection.close()


@pytest.mark.timeout(1500)
def test_back_up_destroy_restore_compare(tmp_path, s3, request):
    nats_a = NatsServer(tmp_path / "nats-a")
    request.addfinalizer(nats_a.stop)  # whatever fails, no server is left behind
    stack = Stack(tmp_path / "a", nats_url=nats_a.start(), s3=s3, startup_timeout=600)
    try:
        stack.start()
        accounts = tmp_path / "demo-accounts.txt"
        demo = {name: dict(a.fields) for name, a in stack.demo.items()}
        accounts.write_text("seed output\n" + json.dumps({"accounts": demo}) + "\n")
        _cli(
            "devkit.simulator",
            *("--gateway", stack.url, "--accounts", str(accounts), "--seed", "3"),
            *("--rate", "4", "--anomaly-share", "0.3", "--duration", "15"),
            env=os.environ.copy(),
        )
    finally:
        stack.stop()

    keyring = stack.workdir / "keys" / "access-master-keys.json"
    env = {**stack.env, "BACKUP_PASSPHRASE": PASSPHRASE}
    made = _cli(
        "servicekit.backup",
        *("create", "--to", str(tmp_path / "backups"), "--keys-to", str(tmp_path / "vault")),
        *("--key-file", str(keyring)),
        env=env,
    )
    folder = next((tmp_path / "backups").iterdir())
    assert "written and verified" in made
    before = _digests(stack)
    assert before["risk"]["gate_event"]["rows"] > 0  # the simulator's traffic is in it
    streams_before = asyncio.run(_stream_counts(nats_a.url))
    assert sum(streams_before.values()) > 0

    # destroy: databases, keys and the NATS server with its store
    shutil.rmtree(stack.workdir)
    nats_a.stop()
    shutil.rmtree(nats_a.store_dir)

    nats_b = NatsServer(tmp_path / "nats-b")
    request.addfinalizer(nats_b.stop)
    fresh = Stack(tmp_path / "b", nats_url=nats_b.start(), s3=s3, startup_timeout=600)
    try:
        (fresh.workdir / "data").mkdir(parents=True)
        restored = _cli(
            "servicekit.backup",
            *("restore", str(folder), "--keys-dir", str(tmp_path / "vault" / folder.name)),
            *("--keys-out", str(fresh.workdir / "keys")),
            env={**fresh.env, "BACKUP_PASSPHRASE": PASSPHRASE},
        )
        assert "key access-master-keys.json" in restored
        assert _digests(fresh) == before  # record for record
        assert asyncio.run(_stream_counts(nats_b.url)) == streams_before
        audit = _cli("access", "verify-audit", env=fresh.env)
        assert "intact" in audit

        fresh.start()  # the restored stack serves with the restored keys
        system = fresh.demo["customs_system"]
        token = httpx.post(
            f"{fresh.url}/api/access/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(system["client_id"], system["client_secret"]),
            timeout=30,
        )
        assert token.status_code == 200, token.text
    finally:
        fresh.stop()
        nats_b.stop()
