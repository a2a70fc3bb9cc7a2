"""tus 1.0 (core, creation, checksum, termination): the headers vendors' existing tus clients send.

https://tus.io/protocols/resumable-upload: a `POST` with `Upload-Length` and `Upload-Metadata`
creates the upload, `HEAD` tells its `Upload-Offset`, each `PATCH` appends bytes at that
offset, optionally with `Upload-Checksum` over the chunk (a mismatch answers 460 and the
chunk is discarded), and a `DELETE` terminates an upload not yet complete.

The chunk checksum guards the bytes of one request on the wire; `crc32c` (the processor's
CRC32C instruction, a few hundredths of a second per GiB) is as good at that as `sha256`
(half a second per GiB) against the corruption it is there for. The file's own SHA-256, the
one the manifest records, is computed by the service over every byte in any case, and the
vendor may declare it at creation (`Upload-Metadata` `sha256`, hex): the last chunk is then
refused (460) unless the file the service hashed is the file the vendor hashed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Protocol

import google_crc32c

from servicekit.errors import Problem

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,termination"
CHECKSUM_ALGORITHMS = ("sha256", "sha1", "md5", "crc32c")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460
"""tus' status for a chunk whose checksum does not match what arrived."""


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ChunkChecksum(Protocol):
    """What computes a chunk's `Upload-Checksum` digest as its bytes arrive."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def new_checksum(algorithm: str) -> ChunkChecksum:
    """A fresh checksum of one of `CHECKSUM_ALGORITHMS` (crc32c: google-crc32c's hashlib-alike,
    the processor's instruction, its digest 4 bytes big-endian as tus servers and S3 give it)."""
    if algorithm == "crc32c":
        checksum: ChunkChecksum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
        return checksum
    return hashlib.new(algorithm)


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


def declared_sha256(metadata: Mapping[str, str]) -> str | None:
    """The file's SHA-256 the vendor declared at creation (`sha256`, hex), or None."""
    value = metadata.get("sha256")
    if value is None:
        return None
    value = value.strip().lower()
    if not SHA256_HEX.fullmatch(value):
        raise header_error("Upload-Metadata", "sha256 must be the file's SHA-256 in hex")
    return value


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
    if len(digest) != len(new_checksum(algorithm).digest()):
        raise header_error("Upload-Checksum", f"not a {algorithm} digest")
    return algorithm, digest
