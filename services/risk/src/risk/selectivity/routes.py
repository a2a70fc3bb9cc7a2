"""Selectivity criteria (heads propose and approve), selection runs and their audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlmodel import Session, col, select

from risk.selectivity.inputs import epe_inputs
from risk.selectivity.models import (
    CriteriaVersion,
    DecisionIn,
    Lane,
    ProposalIn,
    Rederivation,
    RunPublic,
    SelectionPublic,
    VersionPublic,
)
from risk.selectivity.service import (
    current_version,
    decide,
    get_run,
    get_version,
    propose,
    public,
    rederive,
    run_selection,
)
from servicekit.auth import CurrentPrincipal, Principal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, NotFound

router = APIRouter(
    prefix="/selectivity",
    tags=["selectivity"],
    dependencies=[Depends(require_roles(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT))],
)
HeadOnly = [Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT))]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "not allowed in this state"}}


def unit_of_caller(principal: Principal) -> str:
    """Criteria and runs belong to the caller's unit; a principal without one has none."""
    if principal.unit is None:
        raise Forbidden("the caller belongs to no unit")
    return principal.unit


@router.get("/versions")
def list_versions(session: SessionDep, principal: CurrentPrincipal) -> list[VersionPublic]:
    """Every version of the unit's criteria, newest first, with hit counts and rates."""
    unit = unit_of_caller(principal)
    rows = session.exec(
        select(CriteriaVersion)
        .where(CriteriaVersion.unit == unit)
        .order_by(col(CriteriaVersion.version).desc())
        .limit(200)
    )
    return [public(session, row) for row in rows]


@router.get("/versions/current", responses={404: {"description": "no approved version yet"}})
def get_current_version(session: SessionDep, principal: CurrentPrincipal) -> VersionPublic:
    """The approved version in force."""
    row = current_version(session, unit=unit_of_caller(principal))
    if row is None:
        raise NotFound("approved criteria version")
    return public(session, row)


@router.post("/versions", status_code=201, dependencies=HeadOnly)
def propose_version(
    body: ProposalIn, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> VersionPublic:
    """A head proposes a new version; another head must approve it."""
    row = propose(
        session,
        unit=unit_of_caller(principal),
        proposal=body,
        by=principal.subject,
        now=clock.now(),
    )
    session.commit()
    return public(session, row)


@router.post("/versions/{version_id}/decision", dependencies=HeadOnly, responses=CONFLICT)
def decide_version(
    version_id: str,
    body: DecisionIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> VersionPublic:
    """Another head approves the proposal (it comes in force) or returns it with a reason."""
    row = get_version(session, unit=unit_of_caller(principal), version_id=version_id)
    decide(
        session,
        row,
        approve=body.approve,
        reason=body.reason,
        by=principal.subject,
        now=clock.now(),
    )
    session.commit()
    return public(session, row)


def _run_public(session: Session, run_id: str, unit: str) -> RunPublic:
    run, rows = get_run(session, unit=unit, run_id=run_id)
    selections = [
        SelectionPublic(
            epe_id=r.epe_id,
            lane=Lane(r.lane),
            random_lane=Lane(r.random_lane) if r.random_lane else None,
            draw=r.draw,
            hits=r.hits,
            errors=r.errors,
            inputs=r.inputs,
        )
        for r in rows
    ]
    return RunPublic(**run.model_dump(), selections=selections)


@router.post("/runs", status_code=201, dependencies=HeadOnly, responses=CONFLICT)
def run_criteria(session: SessionDep, principal: CurrentPrincipal, clock: ClockDep) -> RunPublic:
    """Run the approved criteria over the unit's EPEs now, with a fresh recorded seed."""
    unit = unit_of_caller(principal)
    now = clock.now()
    run, _ = run_selection(
        session,
        unit=unit,
        by=principal.subject,
        now=now,
        inputs_of=lambda epe_ids: epe_inputs(session, epe_ids, now),
    )
    session.commit()
    return _run_public(session, run.id, unit)


@router.get("/runs/{run_id}")
def get_selection_run(run_id: str, session: SessionDep, principal: CurrentPrincipal) -> RunPublic:
    """A run: seed, version and each EPE's lane with its inputs, hits and draw."""
    return _run_public(session, run_id, unit_of_caller(principal))


@router.get("/runs/{run_id}/rederivation")
def rederive_run(run_id: str, session: SessionDep, principal: CurrentPrincipal) -> Rederivation:
    """Derive every lane of the run again from its record: an audit that it holds."""
    run, rows = get_run(session, unit=unit_of_caller(principal), run_id=run_id)
    mismatched = rederive(session, run, rows)
    return Rederivation(run_id=run.id, matches=not mismatched, mismatched_epes=mismatched)
