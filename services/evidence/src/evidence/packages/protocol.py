"""tus 1.0 (core, creation, checksum): the headers vendors' existing tus clients send.

https://tus.io/protocols/resumable-upload: a `POST` with `Upload-Length` and `Upload-Metadata`
creates the upload, `HEAD` tells its `Upload-Offset`, each `PATCH` appends bytes at that
offset, optionally with `Upload-Checksum` over the chunk (a mismatch answers 460 and the
chunk is discarded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from servicekit.errors import Problem

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum"
CHECKSUM_ALGORITHMS = ("sha256", "sha1", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460
"""tus' status for a chunk whose checksum does not match what arrived."""


def tus_headers(**extra: str) -> dict[str, str]:
    """The headers every tus answer carries."""
    return {"Tus-Resumable": TUS_VERSION, **extra}


def header_error(header: str, message: str, status: int = 400) -> Problem:
    """A problem naming the header that is wrong."""
    return Problem(
        status,
        "Bad Request" if status == 400 else "Invalid header",
        f"{header}: {message}",
        errors=[{"field": f"header.{header}", "message": message}],
        headers=tus_headers(),
    )


def require_tus(headers: Mapping[str, str]) -> None:
    """Refuse a request that does not speak tus 1.0.0 (412 with the version we speak)."""
    if headers.get("tus-resumable") != TUS_VERSION:
        raise Problem(
            412,
            "Precondition Failed",
            f"Tus-Resumable: this server speaks tus {TUS_VERSION}",
            errors=[{"field": "header.Tus-Resumable", "message": f"must be {TUS_VERSION}"}],
            headers=tus_headers(**{"Tus-Version": TUS_VERSION}),
        )


def non_negative(headers: Mapping[str, str], name: str) -> int:
    """A required non-negative integer header."""
    value = headers.get(name.lower())
    if value is None:
        raise header_error(name, "required")
    if not value.isdigit() or len(value) > 18:
        raise header_error(name, "must be a non-negative integer")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """`Upload-Metadata`: comma-separated `key base64value` pairs."""
    found: dict[str, str] = {}
    for pair in (value or "").split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        try:
            found[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise header_error("Upload-Metadata", f"{key}: not base64 of UTF-8 text") from exc
    return found


def parse_checksum(value: str | None) -> tuple[str, bytes] | None:
    """`Upload-Checksum: <algorithm> <base64 digest>`, or None when absent."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise header_error(
            "Upload-Checksum",
            f"algorithm must be one of {', '.join(CHECKSUM_ALGORITHMS)}",
        )
    try:
        digest = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise header_error("Upload-Checksum", "the digest must be base64") from exc
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise header_error("Upload-Checksum", f"not a {algorithm} digest")
    return algorithm, digest
