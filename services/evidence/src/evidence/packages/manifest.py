"""The manifest of a sealed package: what was asked, what arrived, each file's hash.

Pure functions shared by sealing (which signs it) and the verifier (which checks it offline),
so both read the same layout: `manifest.dsse.json` (the signed envelope), `manifest.json`
(its payload, for people) and `files/<name>` beside them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from evidence.packages.models import PackageFile
from evidence.requests.models import EvidenceRequest
from servicekit.chain import canonical_json

MANIFEST_VERSION = "https://camwatch.customs.gov.vn/evidence/manifest/v1"
MANIFEST_NAME = "manifest.json"
ENVELOPE_NAME = "manifest.dsse.json"
FILES_DIR = "files"


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).isoformat()


def package_prefix(request_id: str, package_id: str) -> str:
    """Where a package's manifest objects go, beside its files (`<request>/files/...`)."""
    return f"{request_id}/packages/{package_id}"


def build_manifest(
    request: EvidenceRequest,
    files: Sequence[PackageFile],
    *,
    package_id: str,
    unit: str | None,
    sealed_at: datetime,
    sealed_by: str,
    retain_until: datetime,
) -> dict[str, Any]:
    """The manifest as a JSON object (files by name, in name order)."""
    return {
        "_type": MANIFEST_VERSION,
        "package_id": package_id,
        "request": {
            "id": request.id,
            "epe_id": request.epe_id,
            "unit": unit,
            "cameras": request.cameras,
            "time_ranges": request.time_ranges,
            "reason": request.reason,
            "incident_ids": request.incident_ids,
            "warning_ids": request.warning_ids,
            "requested_by": request.requested_by,
            "requested_at": _iso(request.requested_at),
        },
        "sealed_at": _iso(sealed_at),
        "sealed_by": sealed_by,
        "retain_until": _iso(retain_until),
        "files": [
            {
                "id": f.id,
                "name": f.name,
                "media_type": f.media_type,
                "camera": f.camera,
                "size": f.size,
                "sha256": f.sha256,
                "uploaded_by": f.created_by,
                "upload_started_at": _iso(f.created_at),
                "uploaded_at": _iso(f.uploaded_at),
                "object_key": f.object_key,
                "version_id": f.version_id,
            }
            for f in sorted(files, key=lambda f: f.name)
        ],
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes signed and stored: canonical JSON."""
    return canonical_json(manifest).encode()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()
