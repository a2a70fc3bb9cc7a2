"""Records written before the chain was keyed still verify after the migration: they keep
their plain SHA-256, the head records where the keyed segment starts, and the first keyed
record covers the last plain hash."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from access.audit import service as audit
from access.audit.models import GENESIS_HASH, AuditRecord
from access.context import AuditContext
from access.main import MIGRATIONS_DIR
from servicekit import migrations
from servicekit.chain import ChainKey
from servicekit.db import make_engine

BEFORE_KEYING = "530b57ce9471"


def legacy_record(seq: int, prev: str) -> AuditRecord:
    row = AuditRecord(
        seq=seq,
        id=f"00000000-0000-0000-0000-{seq:012d}",
        occurred_at=datetime(2026, 11, 1, 3, seq, tzinfo=UTC),
        actor="cli:root:bootstrap-admin",
        action="officer.created",
        details="{}",
        outcome="success",
        prev_hash=prev,
        hash="",
    )
    row.hash = audit.legacy_hash(audit.to_link(row))
    return row


def test_records_written_before_keying_verify_after_the_migration(database):
    migrations.upgrade(
        url=database.url,
        schema=database.schema,
        migrations_dir=MIGRATIONS_DIR,
        revision=BEFORE_KEYING,
    )
    engine = make_engine(database.url, schema=database.schema)
    prev = GENESIS_HASH
    with Session(engine) as session:
        for seq in (1, 2, 3):
            row = legacy_record(seq, prev)
            session.add(row)
            prev = row.hash
        session.flush()
        session.execute(
            text("UPDATE audit_head SET last_seq = 3, last_hash = :h WHERE id = 1"), {"h": prev}
        )
        session.commit()
    migrations.upgrade(url=database.url, schema=database.schema, migrations_dir=MIGRATIONS_DIR)
    audit.bind_key(engine, ChainKey(b"the deployment's audit key", chain="access-audit"))
    with Session(engine) as session:
        assert audit.head(session).keyed_from == 4
        keyed = audit.record(
            session,
            context=AuditContext.system("test"),
            action="test.after",
            occurred_at=datetime.now(UTC),
        )
        session.commit()
        assert keyed.seq == 4 and keyed.prev_hash == prev
        result = audit.verify_chain(session)
    assert result.ok is True and result.records_checked == 4
    # the first keyed record's MAC covers the legacy segment: editing it is caught
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_records_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_records_no_change ON audit_records"))
        conn.execute(text("UPDATE audit_records SET actor = 'x' WHERE seq = 2"))
    with Session(engine) as session:
        result = audit.verify_chain(session)
    assert result.first_broken is not None and result.first_broken.seq == 2
    engine.dispose()
