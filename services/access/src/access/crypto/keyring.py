"""Versioned master keys that wrap data keys (anchor: HashiCorp Vault Transit's keyring).

The keyring lives in a key file (rotatable by the CLI or the API while the service runs: every
process re-reads the file when it changes) or in the environment (read-only). A KMS can be
plugged in later by implementing `MasterKeyProvider`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_AAD = b"camwatch/access/dek/v1|"


class KeyringError(Exception):
    """The keyring cannot do what was asked (missing, retired or read-only key)."""


class MasterKeyProvider(Protocol):
    """Wraps and unwraps data keys under versioned master keys."""

    def current_version(self) -> int:
        """The version new data keys are wrapped with."""

    def min_decryption_version(self) -> int:
        """Data keys wrapped with an older version are refused."""

    def versions(self) -> list[int]:
        """Every version the provider still holds."""

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[int, bytes]:
        """Encrypt a data key under the current master key; returns (version, wrapped)."""

    def unwrap(self, version: int, wrapped: bytes, *, context: bytes) -> bytes:
        """Decrypt a data key wrapped under `version`."""


class RotatableKeyProvider(MasterKeyProvider, Protocol):
    """A provider whose keys the service may rotate itself."""

    def rotate(self) -> int:
        """Add a new master key version and make it current; returns it."""

    def set_min_decryption_version(self, version: int) -> None:
        """Retire every version below `version` (their key material is deleted)."""


@dataclass
class KeyringState:
    """The keyring document: current version, minimum decryption version, keys by version."""

    current: int
    min_decryption: int
    keys: dict[int, bytes]

    @classmethod
    def fresh(cls) -> KeyringState:
        return cls(current=1, min_decryption=1, keys={1: AESGCM.generate_key(bit_length=256)})

    @classmethod
    def parse(cls, document: str) -> KeyringState:
        try:
            raw: dict[str, Any] = json.loads(document)
            keys = {int(v): base64.b64decode(k) for v, k in raw["keys"].items()}
            state = cls(
                current=int(raw["current_version"]),
                min_decryption=int(raw.get("min_decryption_version", 1)),
                keys=keys,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyringError("the master keyring document is malformed") from exc
        if state.current not in state.keys:
            raise KeyringError("the keyring has no key for its current version")
        if any(len(k) != KEY_BYTES for k in state.keys.values()):
            raise KeyringError("every master key must be 256 bits")
        return state

    def dump(self) -> str:
        return json.dumps(
            {
                "current_version": self.current,
                "min_decryption_version": self.min_decryption,
                "keys": {str(v): base64.b64encode(k).decode() for v, k in self.keys.items()},
            },
            indent=2,
        )


def _wrap(key: bytes, data_key: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data_key, _WRAP_AAD + context)


def _unwrap(key: bytes, wrapped: bytes, context: bytes) -> bytes:
    nonce, body = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, _WRAP_AAD + context)
    except InvalidTag as exc:
        raise KeyringError("a data key does not decrypt under its master key") from exc


class StaticKeyring:
    """A keyring held in memory (from the environment): wraps and unwraps, never rotates."""

    def __init__(self, state: KeyringState) -> None:
        self._state = state

    @classmethod
    def from_document(cls, document: str) -> StaticKeyring:
        return cls(KeyringState.parse(document))

    def _snapshot(self) -> KeyringState:
        return self._state

    def current_version(self) -> int:
        return self._snapshot().current

    def min_decryption_version(self) -> int:
        return self._snapshot().min_decryption

    def versions(self) -> list[int]:
        return sorted(self._snapshot().keys)

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[int, bytes]:
        state = self._snapshot()
        return state.current, _wrap(state.keys[state.current], data_key, context)

    def unwrap(self, version: int, wrapped: bytes, *, context: bytes) -> bytes:
        state = self._snapshot()
        if version < state.min_decryption:
            raise KeyringError(
                f"master key version {version} is below the minimum decryption version"
            )
        key = state.keys.get(version)
        if key is None:
            raise KeyringError(f"master key version {version} is not in the keyring")
        return _unwrap(key, wrapped, context)


class FileKeyring(StaticKeyring):
    """A keyring in a JSON file (mode 0600); re-read whenever the file changes on disk."""

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: int | None = None
        if not path.exists():
            if not create:
                raise KeyringError(
                    f"no master keyring at {path}; run `python -m access init-keyring`"
                )
            self._write(KeyringState.fresh())
        super().__init__(self._read())

    def _read(self) -> KeyringState:
        stat = self.path.stat()
        state = KeyringState.parse(self.path.read_text())
        self._mtime = stat.st_mtime_ns
        return state

    def _write(self, state: KeyringState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keyring-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(state.dump())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _snapshot(self) -> KeyringState:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError as exc:
            raise KeyringError(f"the master keyring {self.path} has disappeared") from exc
        if mtime != self._mtime:
            with self._lock:
                self._state = self._read()
        return self._state

    def rotate(self) -> int:
        with self._lock:
            state = self._read()
            version = max(state.keys) + 1
            state.keys[version] = AESGCM.generate_key(bit_length=256)
            state.current = version
            self._write(state)
            self._state = self._read()
            return version

    def set_min_decryption_version(self, version: int) -> None:
        with self._lock:
            state = self._read()
            if version > state.current:
                raise KeyringError("the minimum decryption version cannot exceed the current one")
            state.min_decryption = version
            state.keys = {v: k for v, k in state.keys.items() if v >= version}
            self._write(state)
            self._state = self._read()


def is_rotatable(provider: MasterKeyProvider) -> bool:
    """Whether the provider can rotate its own keys."""
    return isinstance(provider, FileKeyring)
