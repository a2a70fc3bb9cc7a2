"""Submitting, sealing and holding packages; who may see a package.

Sealing runs after the request is committed as `submitted`, so a failure while writing to
object storage leaves it there and submitting again seals it (objects a failed try wrote stay
locked, unreferenced: nothing is ever deleted). The package row, the request's `sealed`
state, its custody record and its event commit together.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction
from evidence.custody.service import Actor, record_custody
from evidence.packages.dsse import Signer
from evidence.packages.events import LegalHoldChanged, PackageSealed
from evidence.packages.manifest import (
    ENVELOPE_NAME,
    MANIFEST_NAME,
    build_manifest,
    manifest_bytes,
    package_prefix,
    sha256_hex,
)
from evidence.packages.models import FileState, Package, PackageFile
from evidence.projection.models import Enterprise
from evidence.projection.service import assigned_epes, unit_of
from evidence.requests.models import EvidenceRequest, RequestState
from evidence.storage import EvidenceStore
from servicekit.auth import Principal, Role
from servicekit.errors import Conflict, NotFound
from servicekit.events import add_event
from servicekit.ids import new_id

SUBMITTABLE = frozenset(
    {RequestState.REQUESTED, RequestState.UPLOADING, RequestState.OVERDUE, RequestState.SUBMITTED}
)


def files_of(session: Session, request_id: str) -> list[PackageFile]:
    """The request's files, in upload order."""
    return list(
        session.exec(
            select(PackageFile)
            .where(PackageFile.request_id == request_id)
            .order_by(col(PackageFile.created_at), col(PackageFile.id))
        ).all()
    )


def submit(session: Session, request: EvidenceRequest, *, now: datetime) -> list[PackageFile]:
    """Mark the request submitted (the caller commits); 409 unless every file is complete."""
    state = RequestState(request.state)
    if state not in SUBMITTABLE:
        raise Conflict(f"the request is {state.value}: nothing to submit")
    files = files_of(session, request.id)
    if not files:
        raise Conflict("upload at least one file before submitting")
    unfinished = [f.name for f in files if f.state != FileState.UPLOADED.value]
    if unfinished:
        raise Conflict(f"uploads not finished: {', '.join(unfinished)}", unfinished=unfinished)
    request.state = RequestState.SUBMITTED.value
    request.updated_at = now
    return files


def seal(
    session: Session,
    request: EvidenceRequest,
    files: list[PackageFile],
    *,
    store: EvidenceStore,
    signer: Signer,
    actor: Principal,
    source: str | None,
    now: datetime,
) -> Package:
    """Write the signed manifest beside the files under COMPLIANCE retention, extend every
    file's retention to the package's, and record the package (the caller commits)."""
    package_id = new_id()
    unit = unit_of(session, request.epe_id)
    retain_until = store.retain_until()
    manifest = build_manifest(
        request,
        files,
        package_id=package_id,
        unit=unit,
        sealed_at=now,
        sealed_by=actor.subject,
        retain_until=retain_until,
    )
    payload = manifest_bytes(manifest)
    envelope = json.dumps(signer.envelope(payload), indent=2).encode()
    prefix = package_prefix(request.id, package_id)
    manifest_key, envelope_key = f"{prefix}/{MANIFEST_NAME}", f"{prefix}/{ENVELOPE_NAME}"
    manifest_version, _ = store.put_version(
        manifest_key,
        io.BytesIO(payload),
        len(payload),
        media_type="application/json",
        until=retain_until,
    )
    envelope_version, _ = store.put_version(
        envelope_key,
        io.BytesIO(envelope),
        len(envelope),
        media_type="application/json",
        until=retain_until,
    )
    for f in files:
        store.retain(f.object_key, f.version_id, until=retain_until)
        f.package_id = package_id
        session.add(f)
    package = Package(
        id=package_id,
        request_id=request.id,
        epe_id=request.epe_id,
        manifest_key=manifest_key,
        manifest_version_id=manifest_version,
        manifest_sha256=sha256_hex(payload),
        envelope_key=envelope_key,
        envelope_version_id=envelope_version,
        key_id=signer.key_id,
        sealed_by=actor.subject,
        sealed_at=now,
        retain_until=retain_until,
    )
    session.add(package)
    request.state = RequestState.SEALED.value
    request.updated_at = now
    session.add(request)
    record_custody(
        session,
        action=CustodyAction.SEALED,
        actor=actor,
        request_id=request.id,
        package_id=package_id,
        sha256=package.manifest_sha256,
        at=now,
        source=source,
        details={"files": len(files), "key_id": signer.key_id},
    )
    add_event(
        session,
        PackageSealed(
            package_id=package_id,
            request_id=request.id,
            epe_id=request.epe_id,
            unit=unit,
            files=len(files),
            manifest_sha256=package.manifest_sha256,
            key_id=signer.key_id,
            sealed_at=now,
            retain_until=retain_until,
        ),
        subject=package_id,
    )
    return package


def visible_packages(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The packages the caller may read: officers assigned to the EPE, the unit's head and
    auditors. Never the EPE: it cannot read a package back once sealed."""
    if principal.has(Role.EPE_CLIENT) or principal.unit is None:
        return false()
    in_unit = col(Package.epe_id).in_(
        select(Enterprise.epe_id).where(Enterprise.unit == principal.unit)
    )
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR):
        return in_unit
    if principal.has(Role.SUPERVISORY_OFFICER):
        epes = assigned_epes(session, officer=principal.subject, unit=principal.unit)
        return in_unit & col(Package.epe_id).in_(epes)
    return false()


def get_visible_package(
    session: Session, principal: Principal, package_id: str, *, lock: bool = False
) -> Package:
    """The package, or 404 when it does not exist or the caller may not read it."""
    query = select(Package).where(Package.id == package_id, visible_packages(session, principal))
    if lock:
        query = query.with_for_update()
    found = session.exec(query).first()
    if found is None:
        raise NotFound("package")
    return found


def package_files(session: Session, package_id: str) -> list[PackageFile]:
    """The files of a sealed package, by name."""
    return list(
        session.exec(
            select(PackageFile)
            .where(PackageFile.package_id == package_id)
            .order_by(col(PackageFile.name))
        ).all()
    )


def set_legal_hold(
    session: Session,
    package: Package,
    *,
    on: bool,
    store: EvidenceStore,
    actor: Principal | Actor,
    source: str | None,
    now: datetime,
) -> None:
    """Place or lift a legal hold on every object of the package (the caller commits)."""
    files = package_files(session, package.id)
    for f in files:
        store.legal_hold(f.object_key, f.version_id, on=on)
    store.legal_hold(package.manifest_key, package.manifest_version_id, on=on)
    store.legal_hold(package.envelope_key, package.envelope_version_id, on=on)
    who = actor if isinstance(actor, Actor) else Actor.of(actor)
    package.legal_hold = on
    package.legal_hold_changed_by = who.subject
    package.legal_hold_changed_at = now
    session.add(package)
    record_custody(
        session,
        action=CustodyAction.LEGAL_HOLD_CHANGED,
        actor=who,
        request_id=package.request_id,
        package_id=package.id,
        sha256=package.manifest_sha256,
        at=now,
        source=source,
        details={"legal_hold": on},
    )
    add_event(
        session,
        LegalHoldChanged(
            package_id=package.id,
            request_id=package.request_id,
            epe_id=package.epe_id,
            unit=unit_of(session, package.epe_id),
            legal_hold=on,
            changed_by=who.subject,
            changed_at=now,
        ),
        subject=package.id,
    )
