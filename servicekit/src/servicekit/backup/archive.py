"""Making, checking and restoring one backup: the manifest ties its files together."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from servicekit.backup import databases, keys, streams
from servicekit.backup.databases import BackupError, Database

MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Plan:
    """What to back up: the databases, a NATS server (or none) and key files."""

    databases: Sequence[Database]
    nats_url: str | None
    key_files: Sequence[Path]


def create(plan: Plan, *, into: Path, keys_into: Path | None, passphrase: str | None) -> Path:
    """Write a backup under `into/<backup id>/`, check it, and return its directory."""
    if plan.key_files and (keys_into is None or passphrase is None):
        raise BackupError("key files need a separate --keys-to directory and a passphrase")
    now = datetime.now(UTC)
    backup_id = now.strftime("%Y%m%dT%H%M%SZ")
    folder = into / backup_id
    folder.mkdir(parents=True, exist_ok=False)
    manifest: dict[str, Any] = {
        "backup_id": backup_id,
        "created_at": now.isoformat(),
        "databases": {},
        "streams": {},
        "keys": {},
    }
    for database in plan.databases:
        path = databases.dump(database, folder / "databases")
        entry: dict[str, Any] = {"file": str(path.relative_to(folder)), "sha256": sha256_of(path)}
        if path.suffix == ".sqlite":
            entry["tables"] = databases.table_digests(
                Database(database.service, f"sqlite:///{path}", None)
            )
        manifest["databases"][database.service] = entry
    if plan.nats_url:
        (folder / "streams").mkdir()
        counts = asyncio.run(streams.export_streams(plan.nats_url, folder / "streams"))
        for name, count in counts.items():
            path = folder / "streams" / f"{name}.ndjson"
            manifest["streams"][name] = {**count, "sha256": sha256_of(path)}
    for key_file in plan.key_files:
        assert keys_into is not None and passphrase is not None
        sealed = keys.seal_file(
            key_file, keys_into / backup_id, passphrase=passphrase, backup_id=backup_id
        )
        manifest["keys"][key_file.name] = {"sealed": sealed.name, "sha256": sha256_of(sealed)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    verify(folder, keys_dir=keys_into / backup_id if keys_into and plan.key_files else None)
    return folder


def verify(folder: Path, *, keys_dir: Path | None = None) -> list[str]:
    """Check every file of a backup against its manifest; returns what was checked, raises on
    the first file missing, altered or unreadable."""
    manifest = read_manifest(folder)
    checked: list[str] = []
    for service, entry in manifest["databases"].items():
        path = folder / entry["file"]
        _same_hash(path, entry["sha256"])
        databases.check_dump(path)
        if "tables" in entry:
            found = databases.table_digests(Database(service, f"sqlite:///{path}", None))
            if found != entry["tables"]:
                raise BackupError(f"{path.name}: its tables differ from the manifest")
        checked.append(f"database {service}")
    for name, entry in manifest["streams"].items():
        path = folder / "streams" / f"{name}.ndjson"
        _same_hash(path, entry["sha256"])
        if len(streams.read_messages(path)) != entry["messages"]:
            raise BackupError(f"{path.name}: not {entry['messages']} messages")
        checked.append(f"stream {name}")
    if keys_dir is not None:
        for name, entry in manifest["keys"].items():
            _same_hash(keys_dir / entry["sealed"], entry["sha256"])
            checked.append(f"key {name}")
    return checked


def restore(
    folder: Path,
    *,
    targets: Iterable[Database],
    nats_url: str | None,
    keys_dir: Path | None = None,
    keys_out: Path | None = None,
    passphrase: str | None = None,
    replace: bool = False,
) -> list[str]:
    """Verify, then put the databases, streams and (decrypted) key files back."""
    verify(folder, keys_dir=keys_dir)
    manifest = read_manifest(folder)
    done: list[str] = []
    for database in targets:
        entry = manifest["databases"].get(database.service)
        if entry is None:
            raise BackupError(f"the backup holds no database of {database.service}")
        databases.restore(folder / entry["file"], database, replace=replace)
        done.append(f"database {database.service}")
    if nats_url and manifest["streams"]:
        names = sorted(manifest["streams"])
        republished = asyncio.run(streams.import_streams(nats_url, folder / "streams", names))
        for name, count in republished.items():
            done.append(f"stream {name} ({count} messages)")
    if keys_dir is not None and keys_out is not None and passphrase is not None:
        keys_out.mkdir(parents=True, exist_ok=True)
        for entry in manifest["keys"].values():
            name, data = keys.open_file(
                keys_dir / entry["sealed"], passphrase=passphrase, backup_id=manifest["backup_id"]
            )
            out = keys_out / name
            out.write_bytes(data)
            out.chmod(0o600)
            done.append(f"key {name}")
    return done


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def _same_hash(path: Path, expected: str) -> None:
    if not path.is_file():
        raise BackupError(f"{path.name} is missing")
    if sha256_of(path) != expected:
        raise BackupError(f"{path.name} was altered (SHA-256 differs from the manifest)")
