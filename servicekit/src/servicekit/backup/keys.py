"""Key files in a backup: encrypted under a passphrase and kept apart from the data.

A backup of the vault's rows is useless without the keyring that wraps their data keys, and a
backup holding both would hand an attacker everything at once. The keys therefore go to a
separate directory (another volume, another custodian), each file sealed with AES-256-GCM
under a key derived from the operator's passphrase with scrypt; its name and the backup's id
are bound in as associated data, so a file cannot be swapped between backups unnoticed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from servicekit.backup.databases import BackupError

SCRYPT_N = 2**15


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode())


def seal_file(source: Path, target_dir: Path, *, passphrase: str, backup_id: str) -> Path:
    """Encrypt `source` into `target_dir/<name>.sealed.json`."""
    if len(passphrase) < 12:
        raise BackupError("the backup passphrase must be at least 12 characters")
    target_dir.mkdir(parents=True, exist_ok=True)
    salt, nonce = os.urandom(16), os.urandom(12)
    associated = f"{backup_id}/{source.name}".encode()
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, source.read_bytes(), associated)
    out = target_dir / f"{source.name}.sealed.json"
    out.write_text(
        json.dumps(
            {
                "name": source.name,
                "backup_id": backup_id,
                "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": 8, "p": 1, "salt": salt.hex()},
                "cipher": "AES-256-GCM",
                "nonce": nonce.hex(),
                "ciphertext": sealed.hex(),
            }
        )
    )
    out.chmod(0o600)
    return out


def open_file(sealed: Path, *, passphrase: str, backup_id: str) -> tuple[str, bytes]:
    """The original name and bytes of a sealed key file (wrong passphrase or backup: refused)."""
    document = json.loads(sealed.read_text())
    if document.get("backup_id") != backup_id:
        raise BackupError(f"{sealed.name} belongs to backup {document.get('backup_id')}")
    salt = bytes.fromhex(document["kdf"]["salt"])
    associated = f"{backup_id}/{document['name']}".encode()
    try:
        plain = AESGCM(_key(passphrase, salt)).decrypt(
            bytes.fromhex(document["nonce"]), bytes.fromhex(document["ciphertext"]), associated
        )
    except InvalidTag as exc:
        raise BackupError(f"{sealed.name}: wrong passphrase or altered file") from exc
    return str(document["name"]), plain
