"""Plant unique secrets through the vault API, then search everywhere they must not be:
captured logs, emitted events (outbox rows), error bodies, the OpenAPI document, the database."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import pytest
from sqlalchemy import inspect, text


class Capture(logging.Handler):
    """Keeps every log record with all its attributes, before any redaction."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def captured_logs():
    handler = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def database_text(world, database) -> bytes:
    """Everything stored: the raw SQLite files, or every row of every table on PostgreSQL."""
    if database.kind == "sqlite":
        path = Path(world.engine.url.database)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    chunks = []
    with world.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)).encode())
    return b"\n".join(chunks)


def test_planted_secrets_appear_nowhere_but_the_reveal(
    client, flows, world, database, captured_logs
):
    password = f"planted-{secrets.token_hex(12)}"
    account = f"acct-{secrets.token_hex(8)}"
    notes = f"vpn-psk-{secrets.token_hex(8)}"
    planted = [password, account, notes]
    epe = flows.client_headers("epe_vendor_1")
    bodies: list[str] = []

    created = client.post(
        "/vault/entries",
        json={
            "label": "Gate NVR",
            "access_method": "internet",
            "access_url": "https://gate.example.vn/",
            "account": account,
            "password": password,
            "notes": notes,
        },
        headers=epe,
    )
    assert created.status_code == 201
    bodies.append(created.text)
    entry_id = created.json()["id"]
    # errors carrying the secret in their requests: stale cas, bad field, foreign EPE, bad JSON
    stale = client.put(
        f"/vault/entries/{entry_id}/secret",
        json={"cas": 7, "access_url": "https://x/", "account": account, "password": password},
        headers=epe,
    )
    invalid = client.post(
        "/vault/entries",
        json={
            "label": "",
            "access_method": "carrier-pigeon",
            "access_url": password,
            "account": account,
            "password": password,
        },
        headers=epe,
    )
    foreign = client.put(
        f"/vault/entries/{entry_id}/secret",
        json={"cas": 1, "access_url": "https://x/", "account": account, "password": password},
        headers=flows.client_headers("epe_vendor_2"),
    )
    broken = client.post(
        "/vault/entries",
        content=f'{{"password": "{password}", ',
        headers={**epe, "Content-Type": "application/json"},
    )
    for response, status in ((stale, 409), (invalid, 422), (foreign, 403), (broken, 422)):
        assert response.status_code == status, response.text
        bodies.append(response.text)
    rotated = client.put(
        f"/vault/entries/{entry_id}/secret",
        json={
            "cas": 1,
            "access_url": "https://gate.example.vn/",
            "account": account,
            "password": password,
            "notes": notes,
        },
        headers=epe,
    )
    assert rotated.status_code == 200
    bodies.append(rotated.text)
    for path in ("/vault/entries", f"/vault/entries/{entry_id}"):
        bodies.append(client.get(path, headers=epe).text)
        bodies.append(client.get(path, headers=flows.officer_headers("officer")).text)
    auditor = flows.officer_headers("auditor")
    bodies.append(client.get("/audit/export", headers=auditor).text)
    # the one legitimate disclosure: the assigned officer's single-use reveal
    officer = flows.officer_headers("officer")
    flows.step_up("officer", officer)
    handle = client.post(
        f"/vault/entries/{entry_id}/reveals",
        json={"reason": "checking the gate after an alert"},
        headers=officer,
    )
    bodies.append(handle.text)
    opened = client.post(
        "/vault/reveals/open", json={"handle": handle.json()["handle"]}, headers=officer
    )
    assert opened.json()["password"] == password
    again = client.post(
        "/vault/reveals/open", json={"handle": handle.json()["handle"]}, headers=officer
    )
    bodies.append(again.text)

    with world.engine.connect() as conn:
        outbox = [row[0] for row in conn.execute(text("SELECT envelope FROM event_outbox"))]
    assert any("access.vault_entry.revealed.v1" in e for e in outbox)
    openapi = json.dumps(client.get("/openapi.json").json())
    logs = "\n".join(captured_logs.lines)
    assert logs, "logs were captured"
    stored = database_text(world, database)

    for value in planted:
        assert value not in logs, "a secret reached the logs"
        assert all(value not in e for e in outbox), "a secret reached an event"
        assert all(value not in b for b in bodies), "a secret reached a response or error body"
        assert value not in openapi
        assert value.encode() not in stored, "a secret is stored in plain text"
