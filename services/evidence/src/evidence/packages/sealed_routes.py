"""Submitting (which seals), reading sealed packages, legal hold, the verifier and the
public key manifests are signed with."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from evidence.custody.anchoring import anchor
from evidence.custody.models import CustodyAction
from evidence.custody.service import record_custody
from evidence.deps import SettingsDep, SourceDep
from evidence.packages.dsse import Signer, public_pem
from evidence.packages.models import Package
from evidence.packages.schemas import (
    LegalHoldIn,
    PackagePublic,
    PublicKeyOut,
    SealReceipt,
    VerificationOut,
)
from evidence.packages.service import get_visible_package, seal, set_legal_hold, submit
from evidence.requests.models import RequestState
from evidence.requests.service import get_visible
from evidence.settings import Settings
from evidence.storage import EvidenceStore
from evidence.verifier import verify_stored
from servicekit.auth import CurrentPrincipal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Conflict, NotFound, Problem
from servicekit.objectstore import STORAGE_ERRORS

log = logging.getLogger(__name__)

OFFICIALS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)
router = APIRouter(tags=["packages"])
Officials = Depends(require_roles(*OFFICIALS))
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "object storage is unavailable"}
}


def _store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence_store
    return store


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def _unavailable(exc: BaseException) -> Problem:
    log.warning("object storage failed: %s: %s", type(exc).__name__, exc)
    return Problem(503, "Service Unavailable", "object storage is unavailable")


def _anchor_now(request: Request, settings: Settings) -> None:
    """Anchor the custody head right after a seal (best effort: the timer retries). On the
    wall clock: the anchor's retention is counted by the S3 server."""
    try:
        anchor(
            request.app.state.engine,
            request.app.state.anchor_store,
            now=datetime.now(UTC),
            interval=timedelta(seconds=settings.custody_anchor_seconds),
            force=True,
        )
    except Exception:
        log.exception("anchoring the custody chain after a seal failed; the timer retries")


@router.post(
    "/requests/{request_id}/submit",
    dependencies=[Depends(require_roles(Role.EPE_CLIENT))],
    responses={
        409: {"description": "no files, unfinished uploads, or the request is closed"},
        **UNAVAILABLE,
    },
)
def submit_request(
    request_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
    source: SourceDep,
) -> SealReceipt:
    """The EPE hands in its files: the request is submitted and sealed (signed manifest,
    COMPLIANCE retention). Submitting a request already sealed answers its receipt again."""
    evidence_request = get_visible(session, principal, request_id, lock=True)
    if evidence_request.state == RequestState.SEALED.value:
        sealed = session.exec(select(Package).where(Package.request_id == request_id)).one()
        return _receipt(sealed, evidence_request.state)
    files = submit(session, evidence_request, now=clock.now())
    session.commit()
    evidence_request = get_visible(session, principal, request_id, lock=True)
    try:
        package = seal(
            session,
            evidence_request,
            files,
            store=_store(request),
            signer=_signer(request),
            actor=principal,
            source=source,
            now=clock.now(),
        )
    except STORAGE_ERRORS as exc:
        session.rollback()
        raise _unavailable(exc) from exc
    session.commit()
    _anchor_now(request, settings)
    return _receipt(package, RequestState.SEALED.value)


def _receipt(package: Package, state: str) -> SealReceipt:
    return SealReceipt(
        request_id=package.request_id,
        state=state,
        package_id=package.id,
        manifest_sha256=package.manifest_sha256,
        sealed_at=package.sealed_at,
    )


def _public(package: Package) -> PackagePublic:
    return PackagePublic(**package.model_dump())


def _package_of_request(session: Session, principal: Any, request_id: str) -> Package:
    get_visible(session, principal, request_id)
    found = session.exec(select(Package).where(Package.request_id == request_id)).first()
    if found is None:
        raise NotFound("package", "the request is not sealed")
    return get_visible_package(session, principal, found.id)


@router.get("/requests/{request_id}/package", dependencies=[Officials])
def get_request_package(
    request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> PackagePublic:
    """The sealed package answering the request (officials; never the EPE)."""
    return _public(_package_of_request(session, principal, request_id))


@router.get("/packages/{package_id}", dependencies=[Officials])
def get_package(package_id: str, session: SessionDep, principal: CurrentPrincipal) -> PackagePublic:
    """A sealed package: its manifest's hash, signer key, retention and legal hold."""
    return _public(get_visible_package(session, principal, package_id))


@router.put(
    "/packages/{package_id}/legal-hold",
    dependencies=[Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT))],
    responses={409: {"description": "the hold is already so"}, **UNAVAILABLE},
)
def put_legal_hold(
    package_id: str,
    body: LegalHoldIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> PackagePublic:
    """Place or lift a legal hold on every object of the package (the unit's head): held
    objects cannot be deleted even after their retention ends."""
    package = get_visible_package(session, principal, package_id, lock=True)
    if package.legal_hold == body.on:
        raise Conflict(f"the legal hold is already {'on' if body.on else 'off'}")
    try:
        set_legal_hold(
            session,
            package,
            on=body.on,
            store=_store(request),
            actor=principal,
            source=source,
            now=clock.now(),
        )
    except STORAGE_ERRORS as exc:
        session.rollback()
        raise _unavailable(exc) from exc
    session.commit()
    return _public(package)


@router.post("/packages/{package_id}/verify", dependencies=[Officials], responses=UNAVAILABLE)
def verify_package(
    package_id: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> VerificationOut:
    """Check the stored package: the manifest's signature, the copy beside it, every file's
    size and SHA-256 (the result is recorded in the custody trail)."""
    package = get_visible_package(session, principal, package_id)
    try:
        report = verify_stored(_store(request), package, _signer(request).public)
    except STORAGE_ERRORS as exc:
        raise _unavailable(exc) from exc
    record_custody(
        session,
        action=CustodyAction.VERIFIED,
        actor=principal,
        request_id=package.request_id,
        package_id=package.id,
        sha256=package.manifest_sha256,
        at=clock.now(),
        source=source,
        details={"ok": report.ok, "findings": [f.kind for f in report.findings]},
    )
    session.commit()
    return VerificationOut.model_validate(report.as_dict())


@router.get(
    "/signing-key",
    dependencies=[Depends(require_roles(*OFFICIALS, Role.EPE_CLIENT))],
)
def signing_key(request: Request) -> PublicKeyOut:
    """The Ed25519 public key manifests are signed with (give it to whoever verifies)."""
    signer = _signer(request)
    return PublicKeyOut(key_id=signer.key_id, public_key_pem=public_pem(signer.public))
