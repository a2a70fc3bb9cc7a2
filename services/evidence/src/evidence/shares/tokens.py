"""Share-link tokens: 256 random bits shown once; the database keeps only their SHA-256.

A database reader (or a backup) cannot open a share: finding a token from its hash means
inverting SHA-256 over 256 bits. A plain hash (no key) is enough for a value this random.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded


def new_token() -> str:
    """A fresh unguessable token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored and looked up: the token's SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
