"""Ingestion endpoints for VNACCS-side systems: one record, or a batch with per-record errors.

A single record answers 201 when stored and 200 when this version was already stored
(a resend); a batch answers 200 with one item per record, in one transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from risk.customs.schemas import (
    BATCH_MAX,
    BatchIn,
    BatchResult,
    CustomsRecordIn,
    DeclarationIn,
    GoodsNoteIn,
    GpsFixIn,
    IngestResult,
    ManifestIn,
    Outcome,
    ReleaseIn,
)
from risk.customs.service import ingest_batch, ingest_one
from risk.deps import CustomsSystemOnly, SettingsDep, source_of
from risk.matching.service import rematch_for_record, rematch_for_records
from risk.settings import Settings
from risk.transactions import commit_once
from servicekit.auth import CurrentPrincipal
from servicekit.clock import ClockDep
from servicekit.db import SessionDep

router = APIRouter(prefix="/customs", tags=["customs data"], dependencies=[CustomsSystemOnly])

SINGLE: dict[int | str, dict[str, Any]] = {
    200: {"model": IngestResult, "description": "this version was stored before: unchanged"},
    409: {"description": "this version was stored before with other content"},
}
BATCH_DOC = (
    f"Up to {BATCH_MAX} records, each as in the single-record route. Bad records are "
    "rejected by index with their fields; the others are kept. Resends are unchanged."
)


def _one(
    record: CustomsRecordIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: Settings,
) -> IngestResult:
    now = clock.now()

    def work() -> IngestResult:
        row, result = ingest_one(session, record, source=source_of(principal), now=now)
        if result.outcome == Outcome.CREATED:
            rematch_for_record(session, row, settings=settings, now=now)
        return result

    result = commit_once(session, work)
    if result.outcome == Outcome.UNCHANGED:
        response.status_code = 200
    return result


def _batch(
    model: type[CustomsRecordIn],
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: Settings,
) -> BatchResult:
    now = clock.now()

    def work() -> BatchResult:
        result, created = ingest_batch(
            session, model, body.records, source=source_of(principal), now=now
        )
        rematch_for_records(session, created, settings=settings, now=now)
        return result

    result = commit_once(session, work)
    return result


@router.post("/declarations", status_code=201, responses=SINGLE)
def ingest_declaration(
    body: DeclarationIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> IngestResult:
    """A declaration, or an amendment (same number, next version) that supersedes it."""
    return _one(body, session, principal, clock, response, settings)


@router.post("/declarations/batch", description=BATCH_DOC)
def ingest_declarations(
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """Declarations in bulk."""
    return _batch(DeclarationIn, body, session, principal, clock, settings)


@router.post("/releases", status_code=201, responses=SINGLE)
def ingest_release(
    body: ReleaseIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> IngestResult:
    """A goods release confirmation from a customs-controlled area."""
    return _one(body, session, principal, clock, response, settings)


@router.post("/releases/batch", description=BATCH_DOC)
def ingest_releases(
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """Release confirmations in bulk."""
    return _batch(ReleaseIn, body, session, principal, clock, settings)


@router.post("/goods-notes", status_code=201, responses=SINGLE)
def ingest_goods_note(
    body: GoodsNoteIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> IngestResult:
    """A goods receipt or delivery note (Circular 38/2015 Art. 60 cl. 1)."""
    return _one(body, session, principal, clock, response, settings)


@router.post("/goods-notes/batch", description=BATCH_DOC)
def ingest_goods_notes(
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """Goods receipt and delivery notes in bulk."""
    return _batch(GoodsNoteIn, body, session, principal, clock, settings)


@router.post("/manifests", status_code=201, responses=SINGLE)
def ingest_manifest(
    body: ManifestIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> IngestResult:
    """A manifest (container list of a vessel, flight or truck)."""
    return _one(body, session, principal, clock, response, settings)


@router.post("/manifests/batch", description=BATCH_DOC)
def ingest_manifests(
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """Manifests in bulk."""
    return _batch(ManifestIn, body, session, principal, clock, settings)


@router.post("/gps-fixes", status_code=201, responses=SINGLE)
def ingest_gps_fix(
    body: GpsFixIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> IngestResult:
    """One GPS position of a vehicle, keyed by plate and time."""
    return _one(body, session, principal, clock, response, settings)


@router.post("/gps-fixes/batch", description=BATCH_DOC)
def ingest_gps_fixes(
    body: BatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """A GPS track (positions of one or more vehicles) in bulk."""
    return _batch(GpsFixIn, body, session, principal, clock, settings)
