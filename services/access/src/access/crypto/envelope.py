"""Envelope encryption: a fresh AES-256-GCM data key per value, wrapped by the master key.

Every sealed value is bound to a context string (e.g. `vault:<entry>:<version>`) used as
associated data, so a ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from access.crypto.keyring import NONCE_BYTES, KeyringError, MasterKeyProvider


@dataclass(frozen=True)
class Sealed:
    """A value encrypted under its own data key; the data key wrapped by a master key."""

    key_version: int
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


class SealedRow(Protocol):
    """A table row carrying the four sealed columns."""

    key_version: int | None
    wrapped_key: bytes | None
    nonce: bytes | None
    ciphertext: bytes | None


class Envelope:
    """Seals and opens values with per-value data keys under a master key provider."""

    def __init__(self, provider: MasterKeyProvider) -> None:
        self.provider = provider

    def seal(self, plaintext: bytes, *, context: str) -> Sealed:
        """Encrypt with a fresh data key and wrap that key under the current master key."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, context.encode())
        version, wrapped = self.provider.wrap(data_key, context=context.encode())
        return Sealed(version, wrapped, nonce, ciphertext)

    def open(self, sealed: Sealed, *, context: str) -> bytes:
        """Unwrap the data key and decrypt the value."""
        data_key = self.provider.unwrap(
            sealed.key_version, sealed.wrapped_key, context=context.encode()
        )
        try:
            return AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, context.encode())
        except InvalidTag as exc:
            raise KeyringError("a sealed value does not decrypt (tampered or misplaced)") from exc

    def rewrap(self, sealed: Sealed, *, context: str) -> Sealed | None:
        """The same ciphertext with its data key re-wrapped under the current master key.

        Returns None when it already is. The value itself is never decrypted here.
        """
        current = self.provider.current_version()
        if sealed.key_version == current:
            return None
        data_key = self.provider.unwrap(
            sealed.key_version, sealed.wrapped_key, context=context.encode()
        )
        version, wrapped = self.provider.wrap(data_key, context=context.encode())
        return Sealed(version, wrapped, sealed.nonce, sealed.ciphertext)


def read_sealed(row: SealedRow) -> Sealed | None:
    """The sealed value stored on a row, or None when it was destroyed."""
    if (
        row.key_version is None
        or row.wrapped_key is None
        or row.nonce is None
        or row.ciphertext is None
    ):
        return None
    return Sealed(row.key_version, row.wrapped_key, row.nonce, row.ciphertext)


def write_sealed(row: SealedRow, sealed: Sealed | None) -> None:
    """Store a sealed value on a row (None destroys it)."""
    row.key_version = sealed.key_version if sealed else None
    row.wrapped_key = sealed.wrapped_key if sealed else None
    row.nonce = sealed.nonce if sealed else None
    row.ciphertext = sealed.ciphertext if sealed else None
