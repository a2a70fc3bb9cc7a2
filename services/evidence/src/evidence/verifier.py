"""The standalone verifier: a package's signature, completeness and every file's hash.

Offline it needs only the package directory and the public key (`python -m evidence verify
DIR --public-key key.pem`); for a stored package it reads the same objects from S3. It names
each problem: a bad signature (a forged or swapped envelope), a `manifest.json` that is not
the signed one (swapped), a missing file, a file whose size or SHA-256 differs (a tampered
byte), a file the manifest does not list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.packages.dsse import EnvelopeError, open_envelope
from evidence.packages.manifest import ENVELOPE_NAME, FILES_DIR, MANIFEST_NAME
from evidence.packages.models import Package
from evidence.storage import EvidenceStore

BLOCK = 1024 * 1024

Opener = Callable[[dict[str, Any]], Iterator[bytes] | None]
"""Gives a manifest entry's bytes in blocks, or None when the file is missing."""


@dataclass
class Finding:
    """One problem: its kind, the file it concerns (if any) and what was found."""

    kind: str
    file: str | None
    detail: str


@dataclass
class Report:
    """What the verifier found; `ok` when nothing."""

    package_id: str | None = None
    request_id: str | None = None
    key_id: str | None = None
    files_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "package_id": self.package_id,
            "request_id": self.request_id,
            "files_checked": self.files_checked,
            "findings": [f.__dict__ for f in self.findings],
        }


def _digest(blocks: Iterator[bytes]) -> tuple[int, str]:
    hasher, size = hashlib.sha256(), 0
    for block in blocks:
        hasher.update(block)
        size += len(block)
    return size, hasher.hexdigest()


def verify(
    envelope: bytes | None,
    public: Ed25519PublicKey,
    open_file: Opener,
    *,
    manifest_copy: bytes | None = None,
) -> Report:
    """Check the envelope's signature, the copy of the manifest beside it, then every file."""
    report = Report()
    if envelope is None:
        report.findings.append(Finding("missing", ENVELOPE_NAME, "the signed manifest is missing"))
        return report
    try:
        payload = open_envelope(envelope, public)
    except EnvelopeError as exc:
        report.findings.append(Finding("signature", ENVELOPE_NAME, str(exc)))
        return report
    manifest = json.loads(payload)
    report.package_id = manifest.get("package_id")
    report.request_id = manifest.get("request", {}).get("id")
    if manifest_copy is not None and manifest_copy != payload:
        report.findings.append(
            Finding(
                "manifest",
                MANIFEST_NAME,
                "manifest.json is not the manifest the envelope signs (swapped or edited)",
            )
        )
    for entry in manifest["files"]:
        _check_file(report, entry, open_file(entry))
    return report


def _check_file(report: Report, entry: dict[str, Any], blocks: Iterator[bytes] | None) -> None:
    name = entry["name"]
    if blocks is None:
        report.findings.append(Finding("missing", name, "listed in the manifest, not found"))
        return
    size, digest = _digest(blocks)
    report.files_checked += 1
    if size != entry["size"]:
        report.findings.append(
            Finding("size", name, f"{size} bytes, the manifest says {entry['size']}")
        )
    elif digest != entry["sha256"]:
        report.findings.append(
            Finding(
                "hash",
                name,
                f"SHA-256 {digest} differs from the manifest's {entry['sha256']}: "
                "its content was altered",
            )
        )


def _read_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block


def verify_directory(directory: Path, public: Ed25519PublicKey) -> Report:
    """Check an exported package directory offline: `manifest.dsse.json`, `manifest.json`
    (optional) and `files/<name>`; a file there the manifest does not list is named too."""
    envelope_path = directory / ENVELOPE_NAME
    copy_path = directory / MANIFEST_NAME
    files_dir = directory / FILES_DIR

    def open_file(entry: dict[str, Any]) -> Iterator[bytes] | None:
        path = files_dir / Path(entry["name"]).name
        return _read_blocks(path) if path.is_file() else None

    report = verify(
        envelope_path.read_bytes() if envelope_path.is_file() else None,
        public,
        open_file,
        manifest_copy=copy_path.read_bytes() if copy_path.is_file() else None,
    )
    if report.package_id is not None and files_dir.is_dir():
        listed = set(_listed_names(envelope_path, public))
        for extra in sorted(p.name for p in files_dir.iterdir() if p.name not in listed):
            report.findings.append(Finding("extra", extra, "not listed in the signed manifest"))
    return report


def _listed_names(envelope_path: Path, public: Ed25519PublicKey) -> list[str]:
    manifest = json.loads(open_envelope(envelope_path.read_bytes(), public))
    return [str(entry["name"]) for entry in manifest["files"]]


def verify_stored(store: EvidenceStore, package: Package, public: Ed25519PublicKey) -> Report:
    """Check a sealed package as stored: the versions its manifest names, read from S3."""

    def read(key: str, version_id: str | None) -> bytes | None:
        if not store.exists(key, version_id):
            return None
        return b"".join(store.blocks(key, version_id))

    def open_file(entry: dict[str, Any]) -> Iterator[bytes] | None:
        key, version = str(entry["object_key"]), entry.get("version_id")
        return store.blocks(key, version) if store.exists(key, version) else None

    return verify(
        read(package.envelope_key, package.envelope_version_id),
        public,
        open_file,
        manifest_copy=read(package.manifest_key, package.manifest_version_id),
    )


def download(store: EvidenceStore, package: Package, directory: Path) -> list[str]:
    """Write the package as the offline verifier reads it; the names of its files."""
    (directory / FILES_DIR).mkdir(parents=True, exist_ok=True)
    envelope = b"".join(store.blocks(package.envelope_key, package.envelope_version_id))
    (directory / ENVELOPE_NAME).write_bytes(envelope)
    manifest = b"".join(store.blocks(package.manifest_key, package.manifest_version_id))
    (directory / MANIFEST_NAME).write_bytes(manifest)
    names = []
    for entry in json.loads(manifest)["files"]:
        name = Path(str(entry["name"])).name
        with (directory / FILES_DIR / name).open("wb") as out:
            for block in store.blocks(str(entry["object_key"]), entry.get("version_id")):
                out.write(block)
        names.append(name)
    return names
