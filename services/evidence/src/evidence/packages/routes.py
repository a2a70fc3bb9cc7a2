"""tus 1.0 uploads by the EPE's vendor client, and the files of a request.

`POST /requests/{id}/uploads` creates a file (tus creation), `HEAD .../uploads/{file}` tells
how many bytes are stored, `PATCH .../uploads/{file}` appends a chunk (tus core, checksum),
`DELETE .../uploads/{file}` abandons an upload not yet complete (tus termination):
existing tus clients (tus-js-client, tuspy, tus-java-client, the evidence CLI) work as is.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from evidence.custody.models import CustodyAction
from evidence.custody.service import record_custody
from evidence.deps import SettingsDep, SourceDep
from evidence.packages.models import PackageFile
from evidence.packages.protocol import (
    CHECKSUM_ALGORITHMS,
    CHECKSUM_MISMATCH,
    EXTENSIONS,
    OFFSET_CONTENT_TYPE,
    TUS_VERSION,
    declared_sha256,
    header_error,
    non_negative,
    parse_checksum,
    parse_metadata,
    require_tus,
    tus_headers,
)
from evidence.packages.receiver import ChunkIncomplete, Received, receive_chunk
from evidence.packages.schemas import FilePublic, FilesOut
from evidence.packages.uploads import (
    Chunk,
    claim_chunk,
    complete,
    ensure_uploadable,
    finish_chunk,
    get_file,
    new_file,
    release,
    terminate,
)
from evidence.requests.service import get_visible
from evidence.settings import Settings
from evidence.storage import EvidenceStore
from servicekit.auth import CurrentPrincipal, Principal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Problem
from servicekit.objectstore import STORAGE_ERRORS

log = logging.getLogger(__name__)

READERS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR, Role.EPE_CLIENT)
router = APIRouter(tags=["uploads"], dependencies=[Depends(require_roles(*READERS))])
Vendor = Depends(require_roles(Role.EPE_CLIENT))

UPLOAD_ANSWERS: dict[int | str, dict[str, Any]] = {
    409: {"description": "wrong offset, file busy or complete, or the request takes no files"},
    412: {"description": "not tus 1.0.0 (Tus-Resumable)"},
    503: {"description": "object storage is unavailable"},
}
PATCH_ANSWERS: dict[int | str, dict[str, Any]] = {
    **UPLOAD_ANSWERS,
    415: {"description": "the body is not application/offset+octet-stream"},
    CHECKSUM_MISMATCH: {"description": "Checksum Mismatch: the chunk was discarded"},
}


def _unavailable(exc: BaseException) -> Problem:
    log.warning("object storage failed: %s: %s", type(exc).__name__, exc)
    return Problem(503, "Service Unavailable", "object storage is unavailable")


def _public(row: PackageFile) -> FilePublic:
    return FilePublic(**row.model_dump())


def _store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence_store
    return store


@router.options("/requests/{request_id}/uploads", status_code=204, dependencies=[Vendor])
def upload_options(request_id: str, settings: SettingsDep) -> Response:
    """tus discovery: version, extensions, checksum algorithms and the largest file."""
    return Response(
        status_code=204,
        headers=tus_headers(
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
                "Tus-Max-Size": str(settings.upload_max_file_bytes),
            }
        ),
    )


@router.post(
    "/requests/{request_id}/uploads",
    status_code=201,
    dependencies=[Vendor],
    responses={
        **UPLOAD_ANSWERS,
        201: {"description": "created; `Location` is where the chunks go"},
    },
)
def create_upload(
    request_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """tus creation. Headers: `Upload-Length`, `Upload-Metadata` with `filename`, `filetype`
    (a media type the service accepts), `camera` (one of the request's cameras) and,
    optionally, `sha256`: the file's SHA-256 in hex, compared with the SHA-256 the service
    computes when the last chunk arrives (460 and nothing completed if they differ)."""
    require_tus(request.headers)
    size = non_negative(request.headers, "Upload-Length")
    if size == 0:
        raise header_error("Upload-Length", "an empty file is not evidence")
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    for required in ("filename", "filetype", "camera"):
        if not metadata.get(required):
            raise header_error("Upload-Metadata", f"{required} is required")
    declared = declared_sha256(metadata)
    evidence_request = get_visible(session, principal, request_id, lock=True)
    row = new_file(
        session,
        evidence_request,
        name=metadata["filename"],
        media_type=metadata["filetype"],
        camera=metadata["camera"],
        size=size,
        created_by=principal.subject,
        now=clock.now(),
        settings=settings,
        declared_sha256=declared,
    )
    try:
        row.s3_upload_id = _store(request).start_upload(row.object_key, media_type=row.media_type)
    except STORAGE_ERRORS as exc:
        raise _unavailable(exc) from exc
    session.commit()
    location = f"/requests/{request_id}/uploads/{row.id}"  # the gateway adds its prefix
    return Response(
        status_code=201, headers=tus_headers(Location=location, **{"Upload-Offset": "0"})
    )


@router.head(
    "/requests/{request_id}/uploads/{file_id}",
    dependencies=[Vendor],
    responses={412: UPLOAD_ANSWERS[412]},
)
def upload_offset(
    request_id: str,
    file_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Response:
    """tus offset: how many bytes of the file are stored (resume from there)."""
    require_tus(request.headers)
    get_visible(session, principal, request_id)
    row = get_file(session, request_id, file_id)
    return Response(
        status_code=200,
        headers=tus_headers(
            **{
                "Upload-Offset": str(row.received),
                "Upload-Length": str(row.size),
                "Cache-Control": "no-store",
            }
        ),
    )


def _claim(
    engine: Any,
    principal: Principal,
    request_id: str,
    file_id: str,
    *,
    offset: int,
    length: int,
    clock: Any,
    settings: Settings,
) -> Chunk:
    with Session(engine) as session:
        evidence_request = get_visible(session, principal, request_id)
        ensure_uploadable(evidence_request)
        row = get_file(session, request_id, file_id)
        chunk = claim_chunk(
            session, row, offset=offset, length=length, now=clock.now(), settings=settings
        )
        session.commit()
        return chunk


def _release(engine: Any, chunk: Chunk) -> None:
    with Session(engine) as session:
        release(session, chunk)
        session.commit()


def _file_mismatch(chunk: Chunk) -> Problem:
    return Problem(
        CHECKSUM_MISMATCH,
        "Checksum Mismatch",
        "the file's SHA-256 does not match the sha256 declared at creation: the last chunk "
        f"was discarded, the file stays at offset {chunk.start} and is not completed",
        errors=[{"field": "header.Upload-Metadata", "message": "sha256 does not match the file"}],
        headers=tus_headers(),
    )


def _finish(
    engine: Any,
    store: EvidenceStore,
    chunk: Chunk,
    received: Received,
    *,
    principal: Principal,
    source: str | None,
    clock: Any,
    settings: Settings,
) -> int:
    """Record the stored chunk; on the last one assemble and lock the object, and record
    custody `uploaded` with the file's SHA-256."""
    with Session(engine) as session:
        row = finish_chunk(
            session, chunk, parts=received.parts, hash_state=received.hasher.serialize()
        )
        if chunk.final:
            sha256 = received.hasher.finalize()
            if row.declared_sha256 is not None and sha256 != row.declared_sha256:
                raise _file_mismatch(chunk)  # rolled back: the file stays where it was
            now = clock.now()
            parts = [(int(p["number"]), str(p["etag"])) for p in row.parts]
            version = store.complete_upload(row.object_key, chunk.upload_id, parts)
            complete(row, sha256=sha256, version_id=version, now=now)
            record_custody(
                session,
                action=CustodyAction.UPLOADED,
                actor=principal,
                request_id=row.request_id,
                file_id=row.id,
                sha256=row.sha256,
                at=now,
                source=source,
                details={"name": row.name, "size": row.size, "camera": row.camera},
            )
        session.commit()
        return row.received


@router.patch(
    "/requests/{request_id}/uploads/{file_id}",
    status_code=204,
    dependencies=[Vendor],
    responses=PATCH_ANSWERS,
)
async def patch_upload(
    request_id: str,
    file_id: str,
    request: Request,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
    source: SourceDep,
) -> Response:
    """tus core + checksum: append the body at `Upload-Offset`. Optional `Upload-Checksum:
    sha256|sha1|md5|crc32c <base64>` over the chunk; a mismatch answers 460 and stores nothing
    (so does a last chunk that leaves the file unlike its declared `sha256`). A
    chunk but the last holds at least `EVIDENCE_UPLOAD_MIN_PART_BYTES` (5 MiB)."""
    require_tus(request.headers)
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != OFFSET_CONTENT_TYPE:
        raise header_error("Content-Type", f"must be {OFFSET_CONTENT_TYPE}", status=415)
    offset = non_negative(request.headers, "Upload-Offset")
    length = non_negative(request.headers, "Content-Length")
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    engine, store = request.app.state.engine, _store(request)
    chunk = await run_in_threadpool(
        _claim,
        engine,
        principal,
        request_id,
        file_id,
        offset=offset,
        length=length,
        clock=clock,
        settings=settings,
    )
    try:
        received = await receive_chunk(
            request.stream(),
            chunk,
            store,
            part_bytes=settings.upload_part_bytes,
            min_part_bytes=settings.upload_min_part_bytes,
            checksum=checksum[0] if checksum else None,
        )
        if checksum is not None and received.digest != checksum[1]:
            raise Problem(
                CHECKSUM_MISMATCH,
                "Checksum Mismatch",
                f"the chunk's {checksum[0]} does not match Upload-Checksum: discarded, the "
                f"file stays at offset {chunk.start}",
                errors=[{"field": "header.Upload-Checksum", "message": "does not match"}],
                headers=tus_headers(),
            )
        offset_now = await run_in_threadpool(
            _finish,
            engine,
            store,
            chunk,
            received,
            principal=principal,
            source=source,
            clock=clock,
            settings=settings,
        )
    except (ChunkIncomplete, ClientDisconnect) as exc:
        await run_in_threadpool(_release, engine, chunk)
        raise header_error("Content-Length", f"the chunk did not arrive whole ({exc})") from exc
    except STORAGE_ERRORS as exc:
        await run_in_threadpool(_release, engine, chunk)
        raise _unavailable(exc) from exc
    except BaseException:
        await run_in_threadpool(_release, engine, chunk)
        raise
    return Response(status_code=204, headers=tus_headers(**{"Upload-Offset": str(offset_now)}))


@router.delete(
    "/requests/{request_id}/uploads/{file_id}",
    status_code=204,
    dependencies=[Vendor],
    responses={
        404: {"description": "no such upload (or already terminated)"},
        409: {"description": "the file is complete or busy, or the request takes no files"},
        412: UPLOAD_ANSWERS[412],
        503: UPLOAD_ANSWERS[503],
    },
)
def terminate_upload(
    request_id: str,
    file_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> Response:
    """tus termination: abandon an upload not yet complete (a wrong file picked, a file unlike
    its declared `sha256`). Its S3 multipart upload is aborted, the file is gone from the
    request (its name free again, submitting no longer waits for it) and custody records
    `upload_terminated`. Only while the request takes files; a complete file is never
    removed (409); refused while a chunk of it is being received (409, retry after it)."""
    require_tus(request.headers)
    evidence_request = get_visible(session, principal, request_id, lock=True)
    ensure_uploadable(evidence_request)
    row = get_file(session, request_id, file_id)
    now = clock.now()
    terminate(session, row, now=now)
    record_custody(
        session,
        action=CustodyAction.UPLOAD_TERMINATED,
        actor=principal,
        request_id=request_id,
        file_id=row.id,
        at=now,
        source=source,
        details={"name": row.name, "size": row.size, "received": row.received},
    )
    if row.s3_upload_id is not None:
        try:
            _store(request).abort_upload(row.object_key, row.s3_upload_id)
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc  # rolled back: the upload is still there
    session.commit()
    return Response(status_code=204, headers=tus_headers())


@router.get("/requests/{request_id}/files")
def list_files(request_id: str, session: SessionDep, principal: CurrentPrincipal) -> FilesOut:
    """The request's files and how far each upload got (the EPE: its own requests)."""
    get_visible(session, principal, request_id)
    rows = session.exec(
        select(PackageFile)
        .where(PackageFile.request_id == request_id)
        .order_by(col(PackageFile.created_at), col(PackageFile.id))
    ).all()
    return FilesOut(data=[_public(r) for r in rows])
