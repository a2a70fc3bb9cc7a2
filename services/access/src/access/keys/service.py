"""Signing keys: generated and rotated here, private parts sealed, public parts published
until every token they signed has expired."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from access.crypto.contexts import signing_context
from access.crypto.envelope import read_sealed, write_sealed
from access.db import as_utc
from access.keys.models import SigningKey, SigningKeyInfo
from access.runtime import Runtime

ALGORITHM = "ES256"
PUBLISH_LEEWAY = timedelta(seconds=60)
BOOTSTRAP_LOCK = 0x6361_6D77_6B65_7901  # pg_advisory_xact_lock id: "camwkey" + 1

_private_cache: dict[str, ECKey] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class ActiveKey:
    """The key that signs now, unsealed in memory."""

    kid: str
    key: ECKey


def create_key(
    session: Session, *, runtime: Runtime, now: datetime, activate_in: int = 0
) -> SigningKey:
    """A new ES256 key, published at once and signing from `now + activate_in` seconds."""
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    row = SigningKey(
        kid=kid,
        alg=ALGORITHM,
        public_jwk=json.dumps(public, sort_keys=True),
        created_at=now,
        activates_at=now + timedelta(seconds=activate_in),
    )
    private = json.dumps(key.as_dict(private=True)).encode()
    write_sealed(row, runtime.envelope.seal(private, context=signing_context(kid)))
    session.add(row)
    session.flush()
    return row


def _ordered(session: Session) -> list[SigningKey]:
    return list(session.exec(select(SigningKey).order_by(col(SigningKey.activates_at))).all())


def _lifecycle(keys: list[SigningKey], *, runtime: Runtime, now: datetime) -> list[SigningKeyInfo]:
    max_lifetime = timedelta(seconds=runtime.settings.access_token_ttl) + PUBLISH_LEEWAY
    active = [k for k in keys if as_utc(k.activates_at) <= now]
    current = active[-1].kid if active else None
    infos = []
    for index, key in enumerate(keys):
        successor = next((k for k in keys[index + 1 :] if as_utc(k.activates_at) <= now), None)
        if successor is None:
            published = True  # the current key, or a pre-published future one
        else:
            published = as_utc(successor.activates_at) + max_lifetime > now
        infos.append(
            SigningKeyInfo(
                kid=key.kid,
                alg=key.alg,
                created_at=key.created_at,
                activates_at=key.activates_at,
                active=key.kid == current,
                published=published,
            )
        )
    return infos


def key_lifecycle(session: Session, *, runtime: Runtime, now: datetime) -> list[SigningKeyInfo]:
    """Every key with whether it signs now and whether it is still published."""
    return _lifecycle(_ordered(session), runtime=runtime, now=now)


def jwks(session: Session, *, runtime: Runtime, now: datetime) -> dict[str, Any]:
    """The public key set: current, pre-published and recently retired keys."""
    keys = _ordered(session)
    published = {i.kid for i in _lifecycle(keys, runtime=runtime, now=now) if i.published}
    return {"keys": [json.loads(k.public_jwk) for k in keys if k.kid in published]}


def _signing_now(session: Session, now: datetime) -> SigningKey | None:
    return session.exec(
        select(SigningKey)
        .where(SigningKey.activates_at <= now)
        .order_by(col(SigningKey.activates_at).desc())
        .limit(1)
    ).first()


def _lock_key_table(session: Session) -> None:
    """Serialise replicas for one transaction: SQLite takes the write lock at once (a deferred
    BEGIN would let two readers both see no key), PostgreSQL an advisory transaction lock."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": BOOTSTRAP_LOCK})


def ensure_signing_key(engine: Engine, *, runtime: Runtime) -> str:
    """At start-up: create the first signing key unless one signs already, so the JWKS is
    published before any token; replicas starting together create one key between them."""
    with Session(engine, expire_on_commit=False) as session:
        _lock_key_table(session)
        now = runtime.clock.now()
        row = _signing_now(session, now) or create_key(session, runtime=runtime, now=now)
        session.commit()
        return row.kid


def active_key(session: Session, *, runtime: Runtime, now: datetime) -> ActiveKey:
    """The key that signs now (the first is created at start-up by `ensure_signing_key`)."""
    row = _signing_now(session, now)
    if row is None:
        raise RuntimeError("no signing key: the service creates one at start-up")
    with _cache_lock:
        cached = _private_cache.get(row.kid)
    if cached is not None:
        return ActiveKey(row.kid, cached)
    sealed = read_sealed(row)
    if sealed is None:
        raise RuntimeError(f"signing key {row.kid} has no private part")
    private = runtime.envelope.open(sealed, context=signing_context(row.kid))
    key = ECKey.import_key(json.loads(private))
    with _cache_lock:
        _private_cache[row.kid] = key
    return ActiveKey(row.kid, key)


def rotate(
    session: Session, *, runtime: Runtime, now: datetime, activate_in: int | None = None
) -> SigningKey:
    """Add a new signing key; retired keys stop being published once their tokens expired,
    and their private parts are destroyed."""
    delay = runtime.settings.signing_key_prepublish if activate_in is None else activate_in
    if not any(info.active for info in key_lifecycle(session, runtime=runtime, now=now)):
        delay = 0  # nothing signs yet: no cached key set to warn in advance
    new = create_key(session, runtime=runtime, now=now, activate_in=delay)
    keys = _ordered(session)
    for info, row in zip(_lifecycle(keys, runtime=runtime, now=now), keys, strict=True):
        if not info.published and read_sealed(row) is not None:
            write_sealed(row, None)
            session.add(row)
    return new
