"""Serving a sealed file from object storage: one byte range at a time, in flat memory.

The object is opened (S3 GET with offset and length) before the answer starts, so a storage
failure is a 503 problem rather than a cut stream; the bytes then pass through in
`CHUNK`-sized pieces. A whole-file answer is hashed on the way and compared with the
manifest's SHA-256: a difference means the stored bytes are not what was sealed, and the
caller's `on_mismatch` records it in the custody chain.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from urllib3 import BaseHTTPResponse

from evidence.custody.models import CustodyAction
from evidence.custody.service import Actor, record_custody
from evidence.packages.models import Package, PackageFile
from evidence.reading.ranges import ByteRange, if_range_holds, parse_range
from evidence.storage import EvidenceStore
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.errors import NotFound, Problem
from servicekit.objectstore import STORAGE_ERRORS

log = logging.getLogger(__name__)

CHUNK = 256 * 1024


@dataclass(frozen=True)
class Served:
    """What one answer serves: the range asked for (None: the whole file) and its ETag."""

    file: PackageFile
    byte_range: ByteRange | None
    etag: str

    @property
    def whole(self) -> bool:
        return self.byte_range is None or self.byte_range.whole

    @property
    def details(self) -> dict[str, str]:
        """What the custody record says of the range (nothing for the whole file)."""
        return (
            {}
            if self.whole or self.byte_range is None
            else {"range": self.byte_range.content_range}
        )


def sealed_file(session: Session, package_id: str, file_id: str) -> tuple[Package, PackageFile]:
    """A file of a sealed package, or 404."""
    package = session.get(Package, package_id)
    found = session.exec(
        select(PackageFile).where(PackageFile.id == file_id, PackageFile.package_id == package_id)
    ).first()
    if package is None or found is None:
        raise NotFound("file")
    return package, found


def etag_of(file: PackageFile) -> str:
    """A strong ETag: the sealed bytes' SHA-256 (they never change)."""
    return f'"{file.sha256}"'


def what_to_serve(file: PackageFile, *, range_header: str | None, if_range: str | None) -> Served:
    """The range to serve (If-Range naming an older ETag means the whole file)."""
    etag = etag_of(file)
    header = range_header if if_range_holds(if_range, etag) else None
    return Served(file=file, byte_range=parse_range(header, file.size), etag=etag)


def open_object(store: EvidenceStore, served: Served) -> BaseHTTPResponse:
    """The stored version's bytes of the range, opened (a storage failure is a 503)."""
    file, part = served.file, served.byte_range
    try:
        return store.client.get_object(
            store.bucket,
            file.object_key,
            offset=part.start if part else 0,
            length=part.length if part else 0,
            version_id=file.version_id,
        )
    except STORAGE_ERRORS as exc:
        log.warning("evidence object %s cannot be read: %r", file.object_key, exc)
        raise Problem(503, "Service Unavailable", "object storage is unavailable") from exc


def _chunks(
    body: BaseHTTPResponse,
    served: Served,
    on_mismatch: Callable[[str], None],
    on_sent: Callable[[int], None] | None,
) -> Iterator[bytes]:
    digest = hashlib.sha256() if served.whole else None
    sent = 0
    try:
        for chunk in body.stream(CHUNK):
            if digest is not None:
                digest.update(chunk)
            sent += len(chunk)  # counted as handed over: a cut-off chunk still counts
            yield chunk
    finally:
        body.close()
        body.release_conn()
        if on_sent is not None:
            on_sent(sent)
    if digest is not None and digest.hexdigest() != served.file.sha256:
        log.error("evidence file %s does not match its sealed SHA-256", served.file.id)
        on_mismatch(digest.hexdigest())


def file_response(
    body: BaseHTTPResponse,
    served: Served,
    *,
    attachment: bool,
    on_mismatch: Callable[[str], None],
    on_sent: Callable[[int], None] | None = None,
) -> StreamingResponse:
    """200 with the whole file or 206 with the range, streamed from the opened object;
    `on_sent` learns how many bytes went out, even when the client left early."""
    file, part = served.file, served.byte_range
    disposition = "attachment" if attachment else "inline"
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": served.etag,
        "Content-Length": str(part.length if part else file.size),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(file.name, safe='')}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if part is not None:
        headers["Content-Range"] = part.content_range
    return StreamingResponse(
        _chunks(body, served, on_mismatch, on_sent),
        status_code=200 if part is None else 206,
        media_type=file.media_type,
        headers=headers,
    )


FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "the whole file"},
    206: {
        "content": {"application/octet-stream": {}},
        "description": "the byte range asked for (Content-Range)",
    },
    416: {"description": "a Range that is malformed, has several ranges or starts past the end"},
    503: {"description": "object storage cannot be read"},
}


def mismatch_recorder(
    engine: Engine,
    *,
    actor: Actor | Principal,
    package: Package,
    file: PackageFile,
    source: str | None,
    clock: Clock,
    during: CustodyAction,
) -> Callable[[str], None]:
    """What records, once the last byte is sent, that the stored bytes did not match the seal
    (a `verified` custody record with the computed hash; its own transaction)."""

    def record(computed: str) -> None:
        try:
            with Session(engine) as session:
                record_custody(
                    session,
                    action=CustodyAction.VERIFIED,
                    actor=actor,
                    request_id=package.request_id,
                    at=clock.now(),
                    source=source,
                    package_id=package.id,
                    file_id=file.id,
                    sha256=file.sha256,
                    details={"result": "mismatch", "computed_sha256": computed, "during": during},
                )
                session.commit()
        except Exception:
            log.exception("the hash mismatch of evidence file %s could not be recorded", file.id)

    return record
