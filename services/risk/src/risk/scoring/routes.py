"""EPE risk levels (current, why, history, changes feed) and the scoring configurations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlmodel import Session, col, select

from risk.scoring import configs
from risk.scoring.models import Band, ConfigState, LevelChange, RiskLevel, RiskScore, ScoringConfig
from risk.scoring.schemas import (
    LevelChangePublic,
    LevelChangesPage,
    LevelDetail,
    LevelPublic,
    LevelsPage,
    RejectIn,
    ScorePublic,
    ScoresPage,
    ScoringConfigIn,
    ScoringConfigPublic,
    ScoringConfigsPage,
)
from risk.scoring.service import visible_epes
from servicekit.auth import CurrentPrincipal, Principal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import NotFound
from servicekit.pagination import (
    cursor_int,
    cursor_param,
    cursor_time,
    decode_cursor,
    limit_param,
    page_of,
)

EpeId = Annotated[str, Path(min_length=1, max_length=64)]

levels = APIRouter(
    prefix="/risk-levels",
    tags=["risk levels"],
    dependencies=[
        Depends(
            require_roles(
                Role.CUSTOMS_SYSTEM,
                Role.EPE_CLIENT,
                Role.HEAD_OF_SUBDEPARTMENT,
                Role.SUPERVISORY_OFFICER,
            )
        )
    ],
)


@levels.get("")
def list_levels(
    session: SessionDep,
    principal: CurrentPrincipal,
    band: Band | None = None,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param(1000)] = 200,
) -> LevelsPage:
    """Current levels of the EPEs the caller may see, by EPE id: customs systems all, an EPE
    client its own, the head the unit's, an officer the assigned EPEs."""
    query = select(RiskLevel).where(visible_epes(session, principal, RiskLevel.epe_id))
    if band is not None:
        query = query.where(RiskLevel.band == band.value)
    key = decode_cursor(cursor, arity=1)
    if key is not None:
        query = query.where(col(RiskLevel.epe_id) > str(key[0]))
    rows = list(session.exec(query.order_by(col(RiskLevel.epe_id)).limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda r: (r.epe_id,))
    data = [LevelPublic.model_validate(r, from_attributes=True) for r in page]
    return LevelsPage(data=data, next_cursor=next_cursor)


@levels.get("/changes")
def list_level_changes(
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param(1000)] = 200,
) -> LevelChangesPage:
    """Band changes in the order they happened, after the cursor (keep the last next_cursor,
    or the last seq as `cursor` of a page that had none, to poll for more)."""
    query = select(LevelChange).where(visible_epes(session, principal, LevelChange.epe_id))
    key = decode_cursor(cursor, arity=1)
    if key is not None:
        query = query.where(col(LevelChange.seq) > cursor_int(key[0]))
    rows = list(session.exec(query.order_by(col(LevelChange.seq)).limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda r: (r.seq,))
    data = [LevelChangePublic.model_validate(r, from_attributes=True) for r in page]
    return LevelChangesPage(data=data, next_cursor=next_cursor)


def _visible_level(session: Session, principal: Principal, epe_id: str) -> RiskLevel:
    level = session.exec(
        select(RiskLevel).where(
            RiskLevel.epe_id == epe_id, visible_epes(session, principal, RiskLevel.epe_id)
        )
    ).first()
    if level is None:
        raise NotFound("risk level")
    return level


@levels.get("/{epe_id}")
def get_level(epe_id: EpeId, session: SessionDep, principal: CurrentPrincipal) -> LevelDetail:
    """The EPE's current level and why: each indicator's value, weight, points and records."""
    level = _visible_level(session, principal, epe_id)
    score = session.get(RiskScore, level.score_id)
    assert score is not None  # a level always points at a stored score
    public = LevelPublic.model_validate(level, from_attributes=True)
    return LevelDetail(**public.model_dump(), explanation=_score(score))


def _score(score: RiskScore) -> ScorePublic:
    return ScorePublic.model_validate(score, from_attributes=True)


@levels.get("/{epe_id}/history")
def level_history(
    epe_id: EpeId,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> ScoresPage:
    """Every score of the EPE, newest first, each with its configuration version and why."""
    _visible_level(session, principal, epe_id)
    query = select(RiskScore).where(RiskScore.epe_id == epe_id)
    key = decode_cursor(cursor, arity=2)
    if key is not None:
        at, last = cursor_time(key[0]), str(key[1])
        computed, ident = col(RiskScore.computed_at), col(RiskScore.id)
        query = query.where((computed < at) | ((computed == at) & (ident < last)))
    query = query.order_by(col(RiskScore.computed_at).desc(), col(RiskScore.id).desc())
    rows = list(session.exec(query.limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda s: (s.computed_at, s.id))
    return ScoresPage(data=[_score(s) for s in page], next_cursor=next_cursor)


scoring = APIRouter(
    prefix="/scoring-configs",
    tags=["risk levels"],
    dependencies=[Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT, Role.SUPERVISORY_OFFICER))],
)
HeadOnly = Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT))
DECIDED: dict[int | str, dict[str, Any]] = {409: {"description": "already decided"}}


def _config(config: ScoringConfig) -> ScoringConfigPublic:
    return ScoringConfigPublic.model_validate(config, from_attributes=True)


@scoring.get("")
def list_configs(
    session: SessionDep,
    principal: CurrentPrincipal,
    state: ConfigState | None = None,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> ScoringConfigsPage:
    """The versions of the caller's unit's configuration, newest first."""
    query = select(ScoringConfig).where(ScoringConfig.unit == (principal.unit or ""))
    if state is not None:
        query = query.where(ScoringConfig.state == state.value)
    key = decode_cursor(cursor, arity=1)
    if key is not None:
        query = query.where(col(ScoringConfig.version) < cursor_int(key[0]))
    rows = list(session.exec(query.order_by(col(ScoringConfig.version).desc()).limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda c: (c.version,))
    return ScoringConfigsPage(data=[_config(c) for c in page], next_cursor=next_cursor)


@scoring.post("", status_code=201, dependencies=[HeadOnly])
def propose_config(
    body: ScoringConfigIn, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> ScoringConfigPublic:
    """Propose a new version (pending until another head of the unit approves it)."""
    config = configs.propose(session, body, principal=principal, now=clock.now())
    session.commit()
    return _config(config)


@scoring.get("/{config_id}")
def get_config(
    config_id: str, session: SessionDep, principal: CurrentPrincipal
) -> ScoringConfigPublic:
    """One version of the unit's configuration."""
    return _config(configs.get_config(session, config_id, principal=principal))


@scoring.post("/{config_id}/approve", dependencies=[HeadOnly], responses=DECIDED)
def approve_config(
    config_id: str, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> ScoringConfigPublic:
    """Approve a pending version (not one's own): the unit's EPEs are rescored with it."""
    config = configs.get_config(session, config_id, principal=principal)
    configs.decide(session, config, approve=True, principal=principal, now=clock.now())
    session.commit()
    return _config(config)


@scoring.post("/{config_id}/reject", dependencies=[HeadOnly], responses=DECIDED)
def reject_config(
    config_id: str,
    body: RejectIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> ScoringConfigPublic:
    """Send a pending version back with a reason (it stays on record)."""
    config = configs.get_config(session, config_id, principal=principal)
    configs.decide(
        session, config, approve=False, principal=principal, now=clock.now(), reason=body.reason
    )
    session.commit()
    return _config(config)
