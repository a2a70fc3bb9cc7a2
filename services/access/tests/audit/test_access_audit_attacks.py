"""The two rewrites a database administrator can make, and that the keyed, anchored chain
exposes: a record edited with every later hash recomputed, and the tail truncated with the
head fixed up. Real SQLite/PostgreSQL and a real S3 server with Object Lock."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from access.audit import service as audit
from access.audit.anchoring import anchor, read_anchors
from access.audit.models import GENESIS_HASH, AuditRecord
from access.db import as_utc
from access.settings import Settings

from ..conftest import make_settings
from .test_access_audit import drop_append_only


@pytest.fixture
def access_settings(database, tmp_path, s3) -> Settings:
    return make_settings(
        database,
        tmp_path,
        audit_anchor_enabled=True,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=s3.secure,
        audit_anchor_bucket=f"anchors-{uuid.uuid4().hex[:8]}",
    )


def verify(world):
    with world.session() as session:
        return audit.verify_chain(session, anchors=read_anchors(world.runtime))


def plain_hash(row: AuditRecord, prev_hash: str) -> str:
    """What an attacker computes: the old, unkeyed SHA-256 over every field of the record."""
    body = {
        "seq": row.seq,
        "id": row.id,
        "occurred_at": as_utc(row.occurred_at).isoformat(timespec="microseconds"),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "reason": row.reason,
        "outcome": row.outcome,
        "request_id": row.request_id,
        "trace_id": row.trace_id,
        "details": row.details,
        "corrects": row.corrects,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def rewrite_from(world, seq: int) -> None:
    """Recompute every hash from `seq` on with plain SHA-256 and fix the head to match."""
    with world.session() as session:
        rows = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
    prev = GENESIS_HASH
    with world.engine.begin() as conn:
        for row in rows:
            if row.seq >= seq:
                new = plain_hash(row, prev)
                conn.execute(
                    text("UPDATE audit_records SET prev_hash = :p, hash = :h WHERE seq = :s"),
                    {"p": prev, "h": new, "s": row.seq},
                )
                prev = new
            else:
                prev = row.hash
        conn.execute(
            text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1"),
            {"s": rows[-1].seq, "h": prev},
        )


def test_an_edited_record_with_recomputed_later_hashes_is_named(world):
    assert anchor(world.engine, world.runtime, force=True) is not None
    with world.engine.begin() as conn:
        drop_append_only(conn)
        edited_id = conn.execute(text("SELECT id FROM audit_records WHERE seq = 4")).scalar_one()
        conn.execute(text("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 4"))
    rewrite_from(world, 4)
    result = verify(world)
    assert result.ok is False and result.first_broken is not None
    assert result.first_broken.seq == 4 and result.first_broken.id == edited_id
    assert "altered" in result.first_broken.problem


def truncate_tail(world, keep: int) -> None:
    """Delete every record after `keep` and point the head at the new last record."""
    with world.engine.begin() as conn:
        drop_append_only(conn)
        conn.execute(text("DELETE FROM audit_records WHERE seq > :k"), {"k": keep})
        last_hash = conn.execute(
            text("SELECT hash FROM audit_records WHERE seq = :k"), {"k": keep}
        ).scalar_one()
        conn.execute(
            text("UPDATE audit_head SET last_seq = :k, last_hash = :h WHERE id = 1"),
            {"k": keep, "h": last_hash},
        )


def test_a_truncated_tail_with_a_fixed_head_is_named(world):
    last = anchor(world.engine, world.runtime, force=True).seq
    assert verify(world).ok is True
    truncate_tail(world, last - 3)
    result = verify(world)
    assert result.ok is False and result.first_broken is not None
    assert result.first_broken.seq == last - 2
    assert "missing" in result.first_broken.problem


def test_moving_the_keyed_segment_to_recompute_plain_hashes_is_caught(world):
    anchor(world.engine, world.runtime, force=True)
    with world.engine.begin() as conn:
        drop_append_only(conn)
        conn.execute(text("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 4"))
        conn.execute(text("UPDATE audit_head SET keyed_from = 1000000"))
    rewrite_from(world, 1)
    result = verify(world)
    assert result.ok is False and result.first_broken is not None
    assert result.first_broken.seq == 1 and "keyed segment" in result.first_broken.problem
