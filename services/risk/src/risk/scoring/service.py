"""EPE risk scores: indicator values times weights, summed, banded; and who may read them.

A score is computed from the indicators (`risk.indicators.service`) with the unit's latest
approved configuration, or the built-in default (version 0) until one is approved. Each
indicator gives `points = weight * min(value, cap)` rounded to 2 decimals, and the score is
the sum of the points, so an explanation always adds up. Scores are inserted, never updated;
`RiskLevel` points at the latest and `LevelChange` records each band change, published as
`risk.level.changed.v1` through the outbox in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, false, func, insert, text, true, update
from sqlmodel import Session, col, select

from risk.assignments.service import assigned_epes
from risk.indicators.service import INDICATORS, Indicators, compute_indicators
from risk.projection.models import Enterprise
from risk.scoring.events import LevelChanged
from risk.scoring.marks import mark_due
from risk.scoring.models import (
    Band,
    ConfigState,
    LevelChange,
    RiskLevel,
    RiskScore,
    ScoreClaim,
    ScoreDue,
    ScoringConfig,
)
from servicekit.auth import Principal, Role
from servicekit.db import insert_new
from servicekit.events import EventPayload, add_events
from servicekit.ids import new_id

DEFAULT_WINDOW_DAYS = 90
DEFAULT_WEIGHTS: dict[str, dict[str, float | None]] = {
    "warnings_per_100_movements": {"weight": 2.0, "cap": 25},
    "confirmed_per_100_movements": {"weight": 5.0, "cap": 10},
    "confirmed_violations": {"weight": 15.0, "cap": 4},
    "blind_hours": {"weight": 0.5, "cap": 80},
    "incidents_opened": {"weight": 2.0, "cap": 10},
    "incidents_overdue": {"weight": 8.0, "cap": 5},
    "extensions_missed": {"weight": 10.0, "cap": 5},
    "restored_early": {"weight": -3.0, "cap": 5},
    "restored_late": {"weight": 4.0, "cap": 5},
    "red_share_pct": {"weight": 0.3, "cap": 100},
    "days_since_last_inspection": {"weight": 0.1, "cap": 90},
}
"""Built-in weights (version 0): every other indicator is shown with weight 0."""
DEFAULT_YELLOW_FROM = 20.0
DEFAULT_RED_FROM = 50.0
CHANGE_LOCK = 0x5249534B
"""PostgreSQL advisory lock held while level changes are numbered, so the feed's sequence
commits in order (a reader past seq n never misses a later-committed n-1)."""


@dataclass
class Rules:
    """A configuration as scoring uses it."""

    version: int
    window_days: int
    weights: dict[str, dict[str, Any]]
    yellow_from: float
    red_from: float
    config_id: str | None = None

    @classmethod
    def of(cls, config: ScoringConfig) -> Rules:
        return cls(
            version=config.version,
            window_days=config.window_days,
            weights=config.weights,
            yellow_from=config.yellow_from,
            red_from=config.red_from,
            config_id=config.id,
        )


DEFAULT_RULES = Rules(
    0, DEFAULT_WINDOW_DAYS, DEFAULT_WEIGHTS, DEFAULT_YELLOW_FROM, DEFAULT_RED_FROM
)


def band_of(score: float, rules: Rules) -> Band:
    """Green below yellow_from, Red from red_from, Yellow between."""
    if score >= rules.red_from:
        return Band.RED
    return Band.YELLOW if score >= rules.yellow_from else Band.GREEN


def explain(indicators: Indicators, rules: Rules) -> tuple[float, list[dict[str, Any]]]:
    """The score and, per indicator, its value, weight, cap, points and records."""
    items: list[dict[str, Any]] = []
    for name, description in INDICATORS.items():
        value = indicators.values[name]
        rule = rules.weights.get(name, {})
        weight, cap = float(rule.get("weight", 0.0)), rule.get("cap")
        counted = min(float(value), float(cap)) if cap is not None else float(value)
        items.append(
            {
                "indicator": name,
                "description": description,
                "value": value,
                "weight": weight,
                "cap": cap,
                "counted": counted,
                "points": round(weight * counted, 2),
                "records": indicators.records.get(name, []),
                "records_total": indicators.totals.get(name, 0),
            }
        )
    return round(sum(item["points"] for item in items), 2), items


def active_rules(session: Session, units: set[str]) -> dict[str, Rules]:
    """The latest approved configuration of each unit that has one."""
    configs = session.exec(
        select(ScoringConfig)
        .where(col(ScoringConfig.unit).in_(list(units) or [""]))
        .where(ScoringConfig.state == ConfigState.APPROVED.value)
        .order_by(col(ScoringConfig.version))
    ).all()
    return {config.unit: Rules.of(config) for config in configs}


def recompute(session: Session, epe_ids: Sequence[str], *, now: datetime) -> list[dict[str, Any]]:
    """Score the EPEs now: a new score each, levels moved, band changes recorded and published.

    Written with multi-row Core statements: thousands of EPEs are rescored at once.
    """
    units = dict(
        session.exec(
            select(Enterprise.epe_id, Enterprise.unit).where(col(Enterprise.epe_id).in_(epe_ids))
        ).all()
    )
    rules_of_unit = active_rules(session, {u for u in units.values() if u})
    by_unit: dict[str, list[str]] = defaultdict(list)
    for epe_id in epe_ids:
        unit = units.get(epe_id) or ""
        by_unit[unit if unit in rules_of_unit else ""].append(epe_id)
    scores: list[dict[str, Any]] = []
    for unit, group in by_unit.items():
        rules = rules_of_unit.get(unit, DEFAULT_RULES)
        computed = compute_indicators(session, group, now, window_days=rules.window_days)
        for epe_id in group:
            score, items = explain(computed[epe_id], rules)
            scores.append(
                {
                    "id": new_id(),
                    "epe_id": epe_id,
                    "unit": units.get(epe_id),
                    "config_id": rules.config_id,
                    "config_version": rules.version,
                    "window_days": rules.window_days,
                    "score": score,
                    "band": band_of(score, rules).value,
                    "items": items,
                    "computed_at": now,
                }
            )
    if scores:
        session.execute(insert(_table(RiskScore)), scores)
        _move_levels(session, scores, now=now)
    return scores


def _table(model: Any) -> Any:
    return model.__table__


def _move_levels(session: Session, scores: list[dict[str, Any]], *, now: datetime) -> None:
    bands: dict[str, tuple[str | None, datetime]] = {}
    for chunk in range(0, len(scores), 500):
        ids = [s["epe_id"] for s in scores[chunk : chunk + 500]]
        current = session.exec(
            select(RiskLevel.epe_id, RiskLevel.band, RiskLevel.band_since).where(
                col(RiskLevel.epe_id).in_(ids)
            )
        ).all()
        bands.update({epe_id: (band, since) for epe_id, band, since in current})
    fresh: list[dict[str, Any]] = []
    known: list[dict[str, Any]] = []
    changes: list[tuple[dict[str, Any], str | None]] = []
    for score in scores:
        band, since = bands.get(score["epe_id"], (None, now))
        if band != score["band"]:
            changes.append((score, band))
            since = now
        level = {
            "epe_id": score["epe_id"],
            "score_id": score["id"],
            "score": score["score"],
            "band": score["band"],
            "config_version": score["config_version"],
            "band_since": since,
            "computed_at": now,
        }
        (known if score["epe_id"] in bands else fresh).append(level)
    table = _table(RiskLevel)
    if fresh:
        session.execute(insert(table), fresh)
    if known:
        columns = ("score_id", "score", "band", "config_version", "band_since", "computed_at")
        statement = (
            update(table)
            .where(table.c.epe_id == bindparam("key"))
            .values({name: bindparam(name) for name in columns})
        )
        rows = [
            {**{name: level[name] for name in columns}, "key": level["epe_id"]} for level in known
        ]
        session.connection().execute(statement, rows)
    if changes:
        _record_changes(session, changes, now=now)


def _record_changes(
    session: Session, changes: list[tuple[dict[str, Any], str | None]], *, now: datetime
) -> None:
    """Number the changes after the last one (under a lock on PostgreSQL; SQLite holds the
    write lock already) and publish each."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOCK})
    last = session.exec(select(func.max(LevelChange.seq))).one() or 0
    rows = [
        {
            "seq": last + index,
            "epe_id": score["epe_id"],
            "from_band": from_band,
            "to_band": score["band"],
            "score": score["score"],
            "score_id": score["id"],
            "config_version": score["config_version"],
            "changed_at": now,
        }
        for index, (score, from_band) in enumerate(changes, start=1)
    ]
    session.execute(insert(_table(LevelChange)), rows)
    events: list[tuple[EventPayload, str | None]] = [
        (
            LevelChanged(
                epe_id=row["epe_id"],
                unit=score["unit"],
                from_band=row["from_band"],
                to_band=row["to_band"],
                score=row["score"],
                score_id=row["score_id"],
                config_version=row["config_version"],
                change_seq=row["seq"],
                changed_at=now,
            ),
            row["epe_id"],
        )
        for row, (score, _from) in zip(rows, changes, strict=True)
    ]
    add_events(session, events)


def recompute_due(
    session: Session,
    *,
    now: datetime,
    debounce_seconds: float,
    limit: int,
    refresh_after: timedelta | None = None,
) -> int:
    """One scheduler pass: mark levels older than `refresh_after` (the window slides even
    without events), start the debounce of newly marked EPEs, recompute those due.

    Two transactions. The first (committed here) turns the due marks into claims
    (`risk_score_claim`): it deletes them (RETURNING, so a second replica's delete of the same
    rows waits a moment and returns nothing) and holds their locks only that long, so a write
    marking the EPE again meanwhile (a gate batch) waits for no rescoring and leaves a new mark
    for the next pass. The second (the caller commits it) takes the claims no other pass holds
    (`FOR UPDATE SKIP LOCKED` on PostgreSQL), recomputes and deletes them; a pass that fails
    leaves its claims to the next one. A mark of an EPE another pass has claimed stays where it
    is until that claim is gone (claiming it again would wait on the other pass's claim row
    for its whole rescoring); the next pass takes it.
    """
    if refresh_after is not None:
        stale = session.exec(
            select(RiskLevel.epe_id)
            .where(col(RiskLevel.computed_at) < now - refresh_after)
            .order_by(col(RiskLevel.computed_at))
            .limit(limit)
        ).all()
        mark_due(session.connection(), stale)
    session.execute(
        update(ScoreDue)
        .where(col(ScoreDue.due_at).is_(None))
        .values(due_at=now + timedelta(seconds=debounce_seconds))
    )
    unclaimed = col(ScoreDue.epe_id).not_in(select(ScoreClaim.epe_id))
    due = session.exec(
        select(ScoreDue.epe_id)
        .where(col(ScoreDue.due_at) <= now, unclaimed)
        .order_by(col(ScoreDue.due_at))
        .limit(limit)
    ).all()
    if due:
        taken = session.execute(
            delete(ScoreDue)
            .where(col(ScoreDue.epe_id).in_(due), unclaimed)
            .returning(col(ScoreDue.epe_id))
        ).scalars()
        _claim(session, sorted(taken), now)
    session.commit()
    claims = select(ScoreClaim.epe_id).order_by(col(ScoreClaim.claimed_at)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        claims = claims.with_for_update(skip_locked=True)
    epe_ids = sorted(session.exec(claims).all())
    if not epe_ids:
        return 0
    recompute(session, epe_ids, now=now)
    session.execute(delete(ScoreClaim).where(col(ScoreClaim.epe_id).in_(epe_ids)))
    return len(epe_ids)


def _claim(session: Session, epe_ids: list[str], now: datetime) -> None:
    """Claims of these EPEs (one left by a failed pass stays as it was)."""
    if not epe_ids:
        return
    table: Any = ScoreClaim.__table__  # type: ignore[attr-defined]
    rows = [{"epe_id": epe_id, "claimed_at": now} for epe_id in epe_ids]
    insert_new(session.connection(), table, rows)


def is_head(principal: Principal) -> bool:
    """Whether the caller is a head of sub-department (sees the whole unit)."""
    return principal.has(Role.HEAD_OF_SUBDEPARTMENT)


def visible_epes(session: Session, principal: Principal, epe_column: Any) -> ColumnElement[bool]:
    """Which EPEs' levels the caller reads: customs systems all, an EPE client itself, the
    head the unit's, an officer the assigned EPEs of the unit."""
    if principal.has(Role.CUSTOMS_SYSTEM):
        return true()
    if principal.is_epe:
        return col(epe_column) == principal.epe_id if principal.epe_id else false()
    if principal.unit is None or not principal.has(
        Role.HEAD_OF_SUBDEPARTMENT, Role.SUPERVISORY_OFFICER
    ):
        return false()
    in_unit = col(epe_column).in_(
        select(Enterprise.epe_id).where(Enterprise.unit == principal.unit)
    )
    if is_head(principal):
        return in_unit
    epes = assigned_epes(session, officer=principal.subject, unit=principal.unit)
    return in_unit & col(epe_column).in_(epes)


def current_bands(session: Session, epe_ids: Sequence[str]) -> dict[str, str]:
    """{EPE id: its current band} of those scored (the monthly plan visits by level)."""
    rows = session.exec(
        select(RiskLevel.epe_id, RiskLevel.band).where(col(RiskLevel.epe_id).in_(epe_ids))
    ).all()
    return dict(rows)


def unit_epes(session: Session, unit: str) -> list[str]:
    """The EPEs a unit supervises (a new configuration rescores them all)."""
    return list(session.exec(select(Enterprise.epe_id).where(Enterprise.unit == unit)).all())
