"""Creating an upload and taking chunks into it: the database side (no HTTP, no commit).

A chunk is received in three steps so no database transaction stays open while bytes
stream: `claim_chunk` checks the offset and takes a short hold on the file (a lease in its
row, so a second writer, on any replica, is refused), the bytes go to S3 part by part, and
`finish_chunk` moves the offset, the parts and the hasher's state forward only if the file is
still where the claim left it. A chunk that fails (checksum, lost connection) moves nothing:
the next one starts at the last stored offset again.

An upload not yet complete may be terminated (tus termination): `terminate` removes its row
in one conditional statement, the same hold the chunks take, so it never happens while a
chunk is being received, and the file name is free again. A complete file is never removed:
nothing already stored is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from evidence.packages.models import FileState, PackageFile
from evidence.requests.models import EvidenceRequest, RequestState
from evidence.settings import Settings
from servicekit.errors import Conflict, NotFound, Problem, field_error
from servicekit.ids import new_id

UPLOADABLE = frozenset({RequestState.REQUESTED, RequestState.UPLOADING, RequestState.OVERDUE})
"""States in which the EPE may still send files."""


def ensure_uploadable(request: EvidenceRequest) -> None:
    """409 when the request no longer takes files (submitted, sealed, cancelled)."""
    state = RequestState(request.state)
    if state not in UPLOADABLE:
        raise Conflict(f"the request is {state.value}: it takes no more files")


def _check_new_file(
    session: Session,
    request: EvidenceRequest,
    *,
    name: str,
    camera: str,
    size: int,
    settings: Settings,
) -> None:
    if camera not in request.cameras:
        raise field_error(
            "header.Upload-Metadata",
            f"file not asked for: camera {camera!r} is not one of this request's cameras",
        )
    if not name or len(name) > 255 or "/" in name or "\\" in name or name in {".", ".."}:
        raise field_error("header.Upload-Metadata", "filename must be a plain file name")
    if size > settings.upload_max_file_bytes:
        raise Problem(
            413, "Content Too Large", f"a file may hold {settings.upload_max_file_bytes} bytes"
        )
    count, total = session.exec(
        select(func.count(), func.coalesce(func.sum(PackageFile.size), 0)).where(
            PackageFile.request_id == request.id
        )
    ).one()
    if count >= settings.upload_max_files:
        raise Conflict(f"a request takes at most {settings.upload_max_files} files")
    if total + size > settings.upload_max_request_bytes:
        raise Problem(
            413,
            "Content Too Large",
            f"the files of a request may hold {settings.upload_max_request_bytes} bytes in all",
        )
    taken = session.exec(
        select(PackageFile.id).where(PackageFile.request_id == request.id, PackageFile.name == name)
    ).first()
    if taken is not None:
        raise Conflict(f"this request already has a file named {name!r}")


def new_file(
    session: Session,
    request: EvidenceRequest,
    *,
    name: str,
    media_type: str,
    camera: str,
    size: int,
    created_by: str,
    now: datetime,
    settings: Settings,
    declared_sha256: str | None = None,
) -> PackageFile:
    """Check and add the file (its S3 upload is started by the caller); the request is now
    `uploading` (an overdue one stays overdue: it is still late)."""
    ensure_uploadable(request)
    if media_type not in settings.upload_media_types:
        raise field_error(
            "header.Upload-Metadata",
            f"filetype {media_type!r} is not accepted; one of "
            + ", ".join(settings.upload_media_types),
        )
    _check_new_file(session, request, name=name, camera=camera, size=size, settings=settings)
    file_id = new_id()
    row = PackageFile(
        id=file_id,
        request_id=request.id,
        epe_id=request.epe_id,
        name=name,
        media_type=media_type,
        camera=camera,
        size=size,
        declared_sha256=declared_sha256,
        object_key=f"{request.id}/files/{file_id}",
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    if request.state == RequestState.REQUESTED.value:
        request.state = RequestState.UPLOADING.value
        request.updated_at = now
    return row


def get_file(session: Session, request_id: str, file_id: str) -> PackageFile:
    """A file of the request (the caller checked the request is visible)."""
    row = session.exec(
        select(PackageFile)
        .where(PackageFile.id == file_id, PackageFile.request_id == request_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("upload")
    return row


@dataclass(frozen=True)
class Chunk:
    """What a claimed chunk needs while its bytes stream (no database row held)."""

    file_id: str
    object_key: str
    upload_id: str
    start: int
    length: int
    size: int
    first_part: int
    hash_state: bytes | None

    @property
    def final(self) -> bool:
        """Whether this chunk ends the file."""
        return self.start + self.length == self.size


def claim_chunk(
    session: Session,
    row: PackageFile,
    *,
    offset: int,
    length: int,
    now: datetime,
    settings: Settings,
) -> Chunk:
    """Check a chunk against the file and hold the file for it (the caller commits)."""
    if row.state != FileState.UPLOADING.value or row.s3_upload_id is None:
        raise Conflict("this file is complete: it takes no more bytes")
    if offset != row.received:
        raise Conflict(
            f"Upload-Offset {offset} is not where the file is ({row.received}): ask with HEAD",
            offset=row.received,
        )
    if offset + length > row.size:
        raise Problem(
            413,
            "Content Too Large",
            f"the chunk goes past the file's Upload-Length ({row.size} bytes)",
            errors=[{"field": "header.Content-Length", "message": "past Upload-Length"}],
        )
    final = offset + length == row.size
    if not final and length < settings.upload_min_part_bytes:
        raise field_error(
            "header.Content-Length",
            f"a chunk but the last must hold at least {settings.upload_min_part_bytes} bytes",
        )
    until = now + timedelta(seconds=settings.upload_lease_seconds)
    held = col(PackageFile.busy_until)
    result: CursorResult[object] = session.execute(  # type: ignore[assignment]
        update(PackageFile)
        .where(
            col(PackageFile.id) == row.id,
            col(PackageFile.received) == offset,
            held.is_(None) | (held < now),
        )
        .values(busy_until=until)
    )
    if result.rowcount != 1:
        raise Conflict("another chunk of this file is being received; retry after it")
    return Chunk(
        file_id=row.id,
        object_key=row.object_key,
        upload_id=row.s3_upload_id,
        start=offset,
        length=length,
        size=row.size,
        first_part=len(row.parts) + 1,
        hash_state=row.hash_state,
    )


def release(session: Session, chunk: Chunk) -> None:
    """Give the file back without moving it (a failed chunk; the caller commits)."""
    session.execute(
        update(PackageFile)
        .where(col(PackageFile.id) == chunk.file_id, col(PackageFile.received) == chunk.start)
        .values(busy_until=None)
    )


def finish_chunk(
    session: Session,
    chunk: Chunk,
    *,
    parts: list[dict[str, int | str]],
    hash_state: bytes,
) -> PackageFile:
    """Move the file past the stored chunk (the caller commits); 409 if it moved meanwhile."""
    row = session.exec(
        select(PackageFile)
        .where(PackageFile.id == chunk.file_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:  # terminated while the chunk streamed (its lease had run out)
        raise NotFound("upload")
    if row.received != chunk.start:
        raise Conflict("the file moved while this chunk was received; ask with HEAD")
    row.received = chunk.start + chunk.length
    row.parts = [*row.parts[: chunk.first_part - 1], *parts]
    row.hash_state = hash_state
    row.busy_until = None
    session.add(row)
    return row


def complete(row: PackageFile, *, sha256: str, version_id: str | None, now: datetime) -> None:
    """The last byte is stored and the object assembled: the file is uploaded."""
    row.state = FileState.UPLOADED.value
    row.sha256 = sha256
    row.version_id = version_id
    row.uploaded_at = now
    row.hash_state = None


def terminate(session: Session, row: PackageFile, *, now: datetime) -> None:
    """Remove an upload not yet complete (the caller aborts its S3 upload and commits); 409
    if it is complete or a chunk of it is being received."""
    if row.state != FileState.UPLOADING.value:
        raise Conflict("this file is complete: only an unfinished upload can be terminated")
    held = col(PackageFile.busy_until)
    result: CursorResult[object] = session.execute(  # type: ignore[assignment]
        delete(PackageFile).where(
            col(PackageFile.id) == row.id,
            col(PackageFile.state) == FileState.UPLOADING.value,
            held.is_(None) | (held < now),
        )
    )
    if result.rowcount != 1:
        raise Conflict("a chunk of this file is being received; retry after it")
