"""Diagram routes: upload a new version (raw body, streamed to a spool file), list, download.

The body is read chunk by chunk and refused as soon as it passes the size limit; its first
bytes must match the declared content type (PNG, JPEG or PDF signatures), so a mislabelled
file is refused before anything is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from registry.deps import (
    ClockDep,
    CurrentPrincipal,
    Cursor,
    Limit500,
    SessionDep,
    SettingsDep,
    get_settings,
)
from registry.diagrams.models import DiagramPublic, DiagramVersion
from registry.diagrams.storage import DiagramStore
from registry.permissions import managed_epe, readable_epe
from servicekit.errors import Conflict, NotFound, Problem, field_error
from servicekit.ids import new_id
from servicekit.objectstore import STORAGE_ERRORS
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes/{epe_id}/diagrams", tags=["diagrams"])

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/pdf": (b"%PDF-",),
}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}
SPOOL_IN_MEMORY = 1024 * 1024
Version = Annotated[
    str,
    Path(
        pattern=r"^(?:latest|[0-9]{1,9})$",
        description="A version number (ASCII digits) or `latest` for the newest",
    ),
]
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9.-]+")


def store_of(request: Request) -> DiagramStore:
    """The app's diagram store (built on first use: the app starts without S3)."""
    store: DiagramStore | None = getattr(request.app.state, "diagram_store", None)
    if store is None:
        store = DiagramStore(get_settings(request))
        request.app.state.diagram_store = store
    return store


def _ascii_token(text: str) -> str:
    """`text` with Vietnamese marks dropped and anything else unsafe in a header turned to _."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = folded.encode("ascii", "ignore").decode()
    return _NOT_TOKEN.sub("_", plain).strip("_.-")


def content_disposition(name: str, default: str) -> str:
    """An attachment header for any stored name (RFC 6266): an ASCII `filename` for old clients
    and, when the name is not plain ASCII, its UTF-8 form in `filename*` (RFC 5987)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    fallback_stem = _ascii_token(stem)
    fallback_ext = _ascii_token(extension)
    fallback = (
        f"{fallback_stem}.{fallback_ext}" if fallback_stem and fallback_ext else fallback_stem
    )
    if not fallback_stem:
        fallback = default
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _public(row: DiagramVersion) -> DiagramPublic:
    return DiagramPublic(
        id=row.id,
        epe_id=row.epe_id,
        version=row.version,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        filename=row.filename,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        download_path=f"/epes/{row.epe_id}/diagrams/{row.version}/content",
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DiagramPublic,
    responses={
        409: {"description": "another version was uploaded at the same time; retry"},
        415: {"description": "not a PNG, JPEG or PDF"},
        503: {"description": "object storage is unavailable"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in SIGNATURES},
        }
    },
)
async def upload_diagram(  # noqa: C901 -- one pass over the stream: size, signature, digest
    epe_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    clock: ClockDep,
    content_type: Annotated[str, Header()] = "",
    filename: Annotated[str | None, Query(max_length=255, pattern=r"^[^/\\\x00]+$")] = None,
) -> DiagramPublic:
    """Upload a new version of the diagram of storage and camera positions (PNG, JPEG, PDF)."""
    epe = await asyncio.to_thread(managed_epe, session, principal, epe_id)
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in SIGNATURES:
        raise Problem(
            415,
            "Unsupported Media Type",
            "the diagram is an image (image/png, image/jpeg) or a PDF (application/pdf)",
            errors=[{"field": "header.content-type", "message": "not an accepted type"}],
        )
    limit = settings.diagram_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content Too Large", f"a diagram is at most {limit} bytes")
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, "Content Too Large", f"a diagram is at most {limit} bytes")
            if len(head) < 16:
                head += chunk[: 16 - len(head)]
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise field_error("body", "the diagram file is empty")
        if not head.startswith(SIGNATURES[media_type]):
            raise field_error("body", f"the file content is not {media_type}")
        spool.seek(0)
        sha256 = digest.hexdigest()

        def save() -> DiagramVersion:
            current = session.execute(
                select(func.max(col(DiagramVersion.version))).where(
                    col(DiagramVersion.epe_id) == epe.id
                )
            ).scalar_one_or_none()
            version = (current or 0) + 1
            key = f"epes/{epe.id}/diagrams/v{version:06d}-{new_id()}.{EXTENSIONS[media_type]}"
            store_of(request).put(key, spool, size=size, content_type=media_type, sha256=sha256)
            row = DiagramVersion(
                id=new_id(),
                epe_id=epe.id,
                version=version,
                object_key=key,
                content_type=media_type,
                size=size,
                sha256=sha256,
                filename=filename,
                uploaded_by=principal.subject,
                uploaded_at=clock.now(),
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise Conflict("another version was uploaded at the same time; retry") from None
            return row

        try:
            row = await asyncio.to_thread(save)
        except STORAGE_ERRORS as exc:
            raise Problem(503, "Service Unavailable", "object storage is unavailable") from exc
    return _public(row)


@router.get("", response_model=Page[DiagramPublic])
def list_diagrams(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit500 = 100,
) -> Page[DiagramPublic]:
    """The versions of the EPE's diagram, newest first."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    if key is not None and (isinstance(key[0], bool) or not isinstance(key[0], int)):
        raise field_error("query.cursor", "not a cursor returned by this API")
    query = select(DiagramVersion).where(col(DiagramVersion.epe_id) == epe.id)
    if key is not None:
        query = query.where(col(DiagramVersion.version) < key[0])
    found = list(
        session.execute(
            query.order_by(col(DiagramVersion.version).desc()).limit(limit + 1)
        ).scalars()
    )
    rows, next_cursor = page_of(found, limit, lambda r: [r.version])
    return Page(data=[_public(r) for r in rows], next_cursor=next_cursor)


def _version(session: SessionDep, epe_id: str, version: str) -> DiagramVersion:
    query = select(DiagramVersion).where(col(DiagramVersion.epe_id) == epe_id)
    if version == "latest":
        query = query.order_by(col(DiagramVersion.version).desc()).limit(1)
    else:  # ASCII digits, checked by the Version path parameter
        query = query.where(col(DiagramVersion.version) == int(version))
    row: DiagramVersion | None = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound("diagram version")
    return row


@router.get("/{version}", response_model=DiagramPublic)
def get_diagram(
    epe_id: str, version: Version, session: SessionDep, principal: CurrentPrincipal
) -> DiagramPublic:
    """Metadata of one version (`latest` for the newest)."""
    epe = readable_epe(session, principal, epe_id)
    return _public(_version(session, epe.id, version))


@router.get(
    "/{version}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {t: {} for t in SIGNATURES}},
        503: {"description": "object storage is unavailable"},
    },
)
def download_diagram(
    epe_id: str,
    version: Version,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> StreamingResponse:
    """Download one version's file, streamed from object storage."""
    epe = readable_epe(session, principal, epe_id)
    row = _version(session, epe.id, version)
    default = f"diagram-v{row.version}.{EXTENSIONS.get(row.content_type, 'bin')}"
    try:
        body = store_of(request).open(row.object_key)
    except STORAGE_ERRORS as exc:
        raise Problem(503, "Service Unavailable", "object storage is unavailable") from exc
    return StreamingResponse(
        body,
        media_type=row.content_type,
        headers={
            "Content-Length": str(row.size),
            "Content-Disposition": content_disposition(row.filename or default, default),
            "ETag": f'"{row.sha256}"',
        },
    )
