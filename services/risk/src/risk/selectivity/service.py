"""Selectivity: propose and approve criteria versions, run them with a recorded seed, audit.

A run draws one number per EPE from a generator seeded with the run's seed and the EPE id, so
the lane of any EPE can be derived again later from what the run recorded (seed, inputs,
criteria version) without replaying the others.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from risk.projection.models import Enterprise
from risk.selectivity.expressions import InvalidExpression, check_expression, compile_expression
from risk.selectivity.expressions import evaluate as evaluate_expression
from risk.selectivity.models import (
    SEVERITY,
    CriteriaVersion,
    CriterionStats,
    Lane,
    ProposalIn,
    Selection,
    SelectionRun,
    VersionPublic,
    VersionState,
)
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.ids import new_id

InputsOf = Callable[[Sequence[str]], dict[str, dict[str, Any]]]
"""The criteria's inputs of each EPE asked for."""


def propose(
    session: Session, *, unit: str, proposal: ProposalIn, by: str, now: datetime
) -> CriteriaVersion:
    """A new proposed version; every expression is checked, names are unique."""
    names: set[str] = set()
    for index, criterion in enumerate(proposal.criteria):
        if criterion.name in names:
            raise field_error(f"body.criteria.{index}.name", "duplicate criterion name")
        names.add(criterion.name)
        try:
            check_expression(criterion.expression)
        except InvalidExpression as exc:
            raise field_error(f"body.criteria.{index}.expression", str(exc)) from exc
    rates = proposal.random_rates
    if rates.red + rates.yellow > 1:
        raise field_error("body.random_rates", "red and yellow rates add up to more than 1")
    last = session.exec(
        select(func.max(CriteriaVersion.version)).where(CriteriaVersion.unit == unit)
    ).one()
    row = CriteriaVersion(
        id=new_id(),
        unit=unit,
        version=int(last or 0) + 1,
        state=VersionState.PROPOSED,
        criteria=[c.model_dump(mode="json") for c in proposal.criteria],
        random_rates=rates.model_dump(),
        note=proposal.note,
        proposed_by=by,
        proposed_at=now,
    )
    session.add(row)
    return row


def get_version(session: Session, *, unit: str, version_id: str) -> CriteriaVersion:
    """A version of the caller's unit, or 404."""
    row = session.get(CriteriaVersion, version_id)
    if row is None or row.unit != unit:
        raise NotFound("criteria version")
    return row


def decide(
    session: Session,
    row: CriteriaVersion,
    *,
    approve: bool,
    reason: str | None,
    by: str,
    now: datetime,
) -> CriteriaVersion:
    """Approve (the previous approved version is superseded) or return with a reason."""
    if row.state != VersionState.PROPOSED:
        raise Conflict("only a proposed version can be decided")
    if row.proposed_by == by:
        raise Forbidden("the proposer of a version cannot decide it")
    if not approve and not reason:
        raise field_error("body.reason", "a returned version needs a reason")
    if approve:
        previous = current_version(session, unit=row.unit)
        if previous is not None:
            previous.state = VersionState.SUPERSEDED
            session.add(previous)
    row.state = VersionState.APPROVED if approve else VersionState.RETURNED
    row.decided_by, row.decided_at, row.decision_reason = by, now, reason
    session.add(row)
    return row


def current_version(session: Session, *, unit: str) -> CriteriaVersion | None:
    """The unit's approved version in force."""
    return session.exec(
        select(CriteriaVersion).where(
            CriteriaVersion.unit == unit, CriteriaVersion.state == VersionState.APPROVED
        )
    ).first()


def derive_lane(
    version: CriteriaVersion, seed: str, epe_id: str, inputs: dict[str, Any]
) -> tuple[Lane, Lane | None, float, list[str], dict[str, str]]:
    """Lane, random lane, draw, hits and errors of one EPE: a pure function of its arguments."""
    hits: list[str] = []
    errors: dict[str, str] = {}
    lane = Lane.GREEN
    for criterion in version.criteria:
        outcome = evaluate_expression(compile_expression(criterion["expression"]), inputs)
        if isinstance(outcome, str):
            errors[criterion["name"]] = outcome
        elif outcome:
            hits.append(criterion["name"])
            lane = max(lane, Lane(criterion["lane"]), key=SEVERITY.__getitem__)
    draw = random.Random(f"{seed}:{epe_id}").random()  # noqa: S311 -- selection, not secrecy
    red, yellow = version.random_rates.get("red", 0.0), version.random_rates.get("yellow", 0.0)
    random_lane = Lane.RED if draw < red else Lane.YELLOW if draw < red + yellow else None
    if random_lane is not None:
        lane = max(lane, random_lane, key=SEVERITY.__getitem__)
    return lane, random_lane, draw, hits, errors


def run_selection(
    session: Session, *, unit: str, by: str, now: datetime, inputs_of: InputsOf
) -> tuple[SelectionRun, list[Selection]]:
    """Select every EPE of the unit with its current version and a fresh recorded seed."""
    version = current_version(session, unit=unit)
    if version is None:
        raise Conflict("the unit has no approved selectivity criteria")
    run = SelectionRun(
        id=new_id(),
        unit=unit,
        version_id=version.id,
        seed=secrets.token_hex(16),
        run_by=by,
        run_at=now,
    )
    session.add(run)
    epes = list(
        session.exec(
            select(Enterprise.epe_id).where(Enterprise.unit == unit).order_by(Enterprise.epe_id)
        )
    )
    all_inputs = inputs_of(epes)
    selections = []
    for epe_id in epes:
        inputs = all_inputs[epe_id]
        lane, random_lane, draw, hits, errors = derive_lane(version, run.seed, epe_id, inputs)
        selections.append(
            Selection(
                id=new_id(),
                run_id=run.id,
                version_id=version.id,
                epe_id=epe_id,
                lane=lane,
                random_lane=random_lane,
                draw=draw,
                hits=hits,
                errors=errors,
                inputs=inputs,
                selected_at=now,
            )
        )
    session.add_all(selections)
    return run, selections


def get_run(session: Session, *, unit: str, run_id: str) -> tuple[SelectionRun, list[Selection]]:
    """A run of the unit with its selections, or 404."""
    run = session.get(SelectionRun, run_id)
    if run is None or run.unit != unit:
        raise NotFound("selection run")
    rows = session.exec(
        select(Selection).where(Selection.run_id == run_id).order_by(col(Selection.epe_id))
    )
    return run, list(rows)


def rederive(session: Session, run: SelectionRun, rows: list[Selection]) -> list[str]:
    """The EPEs whose recorded lane differs from the one derived again (empty: it holds)."""
    version = session.get(CriteriaVersion, run.version_id)
    if version is None:
        return [row.epe_id for row in rows]
    return [
        row.epe_id
        for row in rows
        if derive_lane(version, run.seed, row.epe_id, row.inputs)[0] != row.lane
    ]


def latest_lanes(session: Session, *, unit: str) -> tuple[str | None, dict[str, Lane]]:
    """The unit's latest run and each EPE's lane in it (None and empty when none ran)."""
    run = session.exec(
        select(SelectionRun)
        .where(SelectionRun.unit == unit)
        .order_by(col(SelectionRun.run_at).desc(), col(SelectionRun.id).desc())
    ).first()
    if run is None:
        return None, {}
    rows = session.exec(select(Selection.epe_id, Selection.lane).where(Selection.run_id == run.id))
    return run.id, {epe_id: Lane(lane) for epe_id, lane in rows}


def public(session: Session, row: CriteriaVersion) -> VersionPublic:
    """A version with each criterion's hit count and rate over the runs that used it."""
    selections = list(session.exec(select(Selection.hits).where(Selection.version_id == row.id)))
    evaluated = len(selections)
    stats = []
    for criterion in row.criteria:
        count = sum(1 for hits in selections if criterion["name"] in hits)
        stats.append(
            CriterionStats(
                **criterion,
                hit_count=count,
                evaluated=evaluated,
                hit_rate=count / evaluated if evaluated else None,
            )
        )
    return VersionPublic(**row.model_dump(exclude={"criteria"}), criteria=stats)
