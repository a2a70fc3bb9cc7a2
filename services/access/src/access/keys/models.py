"""Token signing keys: public JWK in clear, private part sealed under the master key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Text
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime


class SigningKey(AccessModel, table=True):
    """An ES256 key; the newest active one signs, older ones stay published for a while."""

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    alg: str = Field(default="ES256", max_length=10)
    public_jwk: str = Field(sa_type=Text)
    key_version: int | None = None
    wrapped_key: bytes | None = None
    nonce: bytes | None = None
    ciphertext: bytes | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    activates_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Jwks(BaseModel):
    """A JSON Web Key Set (public keys only)."""

    keys: list[dict[str, Any]]


class SigningKeyInfo(BaseModel):
    """A signing key's lifecycle, for operators."""

    kid: str
    alg: str
    created_at: datetime
    activates_at: datetime
    active: bool
    published: bool
