"""Turns observations into transitions: offline after silence or a lasting fault, back when ok.

Every transition is one conditional `UPDATE ... WHERE <old state and condition> RETURNING`, so
with two replicas each camera's transition is made (and its event recorded) exactly once:
PostgreSQL re-checks the WHERE clause after a concurrent update and the candidates are picked
with `FOR UPDATE SKIP LOCKED`; SQLite serialises writers. All state lives in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, insert, literal, or_, select, update
from sqlalchemy.engine import Engine, Row
from sqlmodel import Session, col

from registry.cameras.models import Camera
from registry.epes.models import Epe
from registry.health.changes import CameraStatesChanged
from registry.health.events import CameraCameBack, CameraProbeRefused, CameraWentOffline
from registry.health.models import (
    CameraHealth,
    CameraState,
    MaintenanceWindow,
    Outage,
    OutageCause,
)
from registry.health.prober import REFUSED
from registry.reactions import notify
from registry.types import table_of
from servicekit.events import EventPayload, add_events
from servicekit.ids import new_id

log = logging.getLogger(__name__)

H = table_of(CameraHealth)
OUT = table_of(Outage)
OFFLINE, ONLINE, UNKNOWN, PROBE_REFUSED = (
    CameraState.OFFLINE.value,
    CameraState.ONLINE.value,
    CameraState.UNKNOWN.value,
    CameraState.PROBE_REFUSED.value,
)


@dataclass(frozen=True)
class Thresholds:
    """The detector's knobs (seconds)."""

    silence: float
    grace: float
    batch: int = 2000


@dataclass
class TickResult:
    """What one detector pass changed."""

    went_offline: list[str] = field(default_factory=list)
    came_back: list[str] = field(default_factory=list)
    first_seen: list[str] = field(default_factory=list)
    probe_refused: list[str] = field(default_factory=list)
    overran: list[str] = field(default_factory=list)


def _candidates(condition: Any, batch: int) -> Any:
    """Up to `batch` matching camera ids, locked (PostgreSQL) or skipped when already locked."""
    return (
        select(H.c.camera_id)
        .where(condition)
        .order_by(H.c.camera_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


def _offline_parts(now: datetime, t: Thresholds) -> tuple[Any, Any, Any, Any]:
    cut_silence = now - timedelta(seconds=t.silence)
    cut_grace = now - timedelta(seconds=t.grace)
    silent = and_(H.c.hb_at.is_not(None), H.c.hb_at < cut_silence)
    hb_fault = and_(H.c.hb_fault_since.is_not(None), H.c.hb_fault_since <= cut_grace)
    probe_fault = and_(H.c.probe_fault_since.is_not(None), H.c.probe_fault_since <= cut_grace)
    condition = and_(H.c.state != OFFLINE, or_(silent, hb_fault, probe_fault))
    return condition, silent, hb_fault, probe_fault


def _camera_facts(session: Session, camera_ids: Sequence[str]) -> dict[str, Row[Any]]:
    rows = session.execute(
        select(
            col(Camera.id),
            col(Camera.number),
            col(Camera.position_kind),
            col(Camera.must_be_online),
            col(Epe.unit),
        )
        .join(Epe, col(Epe.id) == col(Camera.epe_id))
        .where(col(Camera.id).in_(camera_ids))
    ).all()
    return {row.id: row for row in rows}


def _windows(
    session: Session, epe_ids: Iterable[str], earliest: datetime
) -> list[MaintenanceWindow]:
    return list(
        session.execute(
            select(MaintenanceWindow).where(
                col(MaintenanceWindow.epe_id).in_(sorted(set(epe_ids))),
                col(MaintenanceWindow.cancelled_at).is_(None),
                col(MaintenanceWindow.ends_at) > earliest,
            )
        ).scalars()
    )


def planned_window(
    windows: Iterable[MaintenanceWindow], *, epe_id: str, camera_number: str, at: datetime
) -> MaintenanceWindow | None:
    """The maintenance window declared in advance that covers this camera at `at`, if any."""
    for window in windows:
        if (
            window.epe_id == epe_id
            and window.declared_at <= at
            and window.starts_at <= at < window.ends_at
            and (window.camera_numbers is None or camera_number in window.camera_numbers)
        ):
            return window
    return None


def _ref(row: Row[Any], epe_id: str, camera_id: str) -> dict[str, Any]:
    return {
        "camera_id": camera_id,
        "epe_id": epe_id,
        "unit": row.unit,
        "camera_number": row.number,
        "position_kind": row.position_kind,
        "must_be_online": row.must_be_online,
    }


def go_offline(session: Session, now: datetime, t: Thresholds) -> list[str]:
    """Cameras silent too long or faulty beyond the grace go offline; one outage each."""
    condition, _silent, hb_fault, probe_fault = _offline_parts(now, t)
    started = case(
        (hb_fault, H.c.hb_fault_since), (probe_fault, H.c.probe_fault_since), else_=H.c.hb_at
    )
    cause = case(
        (hb_fault, H.c.hb_status),
        (probe_fault, literal(OutageCause.UNREACHABLE.value)),
        else_=literal(OutageCause.NO_HEARTBEAT.value),
    )
    rows = session.execute(
        update(H)
        .where(H.c.camera_id.in_(_candidates(condition, t.batch)), condition)
        .values(state=OFFLINE, state_since=started, offline_cause=cause)
        .returning(H.c.camera_id, H.c.epe_id, H.c.camera_number, H.c.state_since, H.c.offline_cause)
    ).all()
    if not rows:
        return []
    facts = _camera_facts(session, [r.camera_id for r in rows])
    windows = _windows(session, [r.epe_id for r in rows], min(r.state_since for r in rows))
    # A camera whose probes were refused while it was offline still has its outage open: that
    # outage goes on (no second outage, no second event).
    still_open = set(_open_outages(session, [r.camera_id for r in rows]))
    outages: list[dict[str, Any]] = []
    events: list[tuple[EventPayload, str | None]] = []
    for r in rows:
        if r.camera_id in still_open:
            continue
        window = planned_window(
            windows, epe_id=r.epe_id, camera_number=r.camera_number, at=r.state_since
        )
        outage = {
            "id": new_id(),
            "camera_id": r.camera_id,
            "epe_id": r.epe_id,
            "started_at": r.state_since,
            "ended_at": None,
            "detected_at": now,
            "cause": r.offline_cause,
            "planned": window is not None,
            "maintenance_window_id": window.id if window else None,
        }
        outages.append(outage)
        fact = facts.get(r.camera_id)
        if fact is not None:
            events.append(
                (
                    CameraWentOffline(
                        **_ref(fact, r.epe_id, r.camera_id),
                        outage_id=outage["id"],
                        cause=r.offline_cause,
                        started_at=r.state_since,
                        detected_at=now,
                        planned=window is not None,
                        maintenance_window_id=window.id if window else None,
                        maintenance_ends_at=window.ends_at if window else None,
                    ),
                    r.camera_id,
                )
            )
    if outages:
        session.execute(insert(OUT), outages)
    _mark_monitored(session, {r.camera_id: r.state_since for r in rows})
    add_events(session, events)
    notify(session, [CameraStatesChanged(frozenset({r.epe_id for r in rows}))], now=now)
    return [r.camera_id for r in rows]


def come_back(session: Session, now: datetime, t: Thresholds) -> list[str]:
    """Offline cameras with every source ok again since the outage began come back."""
    cut_silence = now - timedelta(seconds=t.silence)
    hb_recovered = and_(H.c.hb_ok_since.is_not(None), H.c.hb_ok_since > H.c.state_since)
    probe_recovered = and_(H.c.probe_ok_since.is_not(None), H.c.probe_ok_since > H.c.state_since)
    condition = and_(
        H.c.state.in_([OFFLINE, PROBE_REFUSED]),
        H.c.hb_fault_since.is_(None),
        H.c.probe_fault_since.is_(None),
        or_(H.c.hb_at.is_(None), H.c.hb_at >= cut_silence),
        or_(hb_recovered, probe_recovered),
    )
    # Back since the later of the recoveries that happened during the outage.
    back_at = case(
        (
            and_(
                hb_recovered,
                or_(~probe_recovered, H.c.hb_ok_since >= H.c.probe_ok_since),
            ),
            H.c.hb_ok_since,
        ),
        else_=H.c.probe_ok_since,
    )
    rows = session.execute(
        update(H)
        .where(H.c.camera_id.in_(_candidates(condition, t.batch)), condition)
        .values(state=ONLINE, state_since=back_at, offline_cause=None)
        .returning(H.c.camera_id, H.c.epe_id, H.c.state_since)
    ).all()
    if not rows:
        return []
    ended = {r.camera_id: r.state_since for r in rows}
    open_outages = session.execute(
        select(OUT.c.id, OUT.c.camera_id, OUT.c.started_at, OUT.c.cause, OUT.c.planned).where(
            OUT.c.camera_id.in_(list(ended)), OUT.c.ended_at.is_(None)
        )
    ).all()
    if open_outages:
        session.execute(
            update(OUT)
            .where(OUT.c.id == bindparam("o_id"))
            .values(ended_at=bindparam("o_end", type_=OUT.c.ended_at.type)),
            [{"o_id": o.id, "o_end": max(ended[o.camera_id], o.started_at)} for o in open_outages],
        )
    facts = _camera_facts(session, list(ended))
    epe_of = {r.camera_id: r.epe_id for r in rows}
    events: list[tuple[EventPayload, str | None]] = []
    for o in open_outages:
        fact = facts.get(o.camera_id)
        if fact is None:
            continue
        end = max(ended[o.camera_id], o.started_at)
        events.append(
            (
                CameraCameBack(
                    **_ref(fact, epe_of[o.camera_id], o.camera_id),
                    outage_id=o.id,
                    cause=o.cause,
                    started_at=o.started_at,
                    ended_at=end,
                    duration_seconds=(end - o.started_at).total_seconds(),
                    planned=o.planned,
                ),
                o.camera_id,
            )
        )
    add_events(session, events)
    _mark_monitored(session, ended)  # a camera refused from the start is first seen here
    notify(session, [CameraStatesChanged(frozenset(epe_of.values()))], now=now)
    return list(ended)


def first_seen(session: Session, now: datetime, t: Thresholds) -> list[str]:
    """Cameras never seen before that report ok become online (no event: nothing came back)."""
    cut_silence = now - timedelta(seconds=t.silence)
    condition = and_(
        H.c.state == UNKNOWN,
        H.c.hb_fault_since.is_(None),
        H.c.probe_fault_since.is_(None),
        or_(H.c.hb_at.is_(None), H.c.hb_at >= cut_silence),
        or_(H.c.hb_ok_since.is_not(None), H.c.probe_ok_since.is_not(None)),
    )
    rows = session.execute(
        update(H)
        .where(H.c.camera_id.in_(_candidates(condition, t.batch)), condition)
        .values(state=ONLINE, state_since=now)
        .returning(H.c.camera_id, H.c.epe_id)
    ).all()
    if rows:
        _mark_monitored(session, {r.camera_id: now for r in rows})
        notify(session, [CameraStatesChanged(frozenset({r.epe_id for r in rows}))], now=now)
    return [r.camera_id for r in rows]


def refuse_probes(session: Session, now: datetime, t: Thresholds) -> list[str]:
    """Cameras watched by probes alone whose probes the policy refuses: `probe_refused`.

    Heartbeats, when a camera has them, keep judging it. An open outage stays open.
    """
    condition = and_(
        H.c.state != PROBE_REFUSED,
        H.c.probe_enabled.is_(True),
        H.c.probe_status == REFUSED,
        H.c.hb_at.is_(None),
    )
    rows = session.execute(
        update(H)
        .where(H.c.camera_id.in_(_candidates(condition, t.batch)), condition)
        .values(state=PROBE_REFUSED, state_since=H.c.probe_at, offline_cause=None)
        .returning(H.c.camera_id, H.c.epe_id, H.c.state_since, H.c.probe_detail)
    ).all()
    if not rows:
        return []
    facts = _camera_facts(session, [r.camera_id for r in rows])
    open_outage = _open_outages(session, [r.camera_id for r in rows])
    events: list[tuple[EventPayload, str | None]] = []
    for r in rows:
        fact = facts.get(r.camera_id)
        if fact is not None:
            events.append(
                (
                    CameraProbeRefused(
                        **_ref(fact, r.epe_id, r.camera_id),
                        reason=r.probe_detail or "",
                        since=r.state_since,
                        outage_id=open_outage.get(r.camera_id),
                    ),
                    r.camera_id,
                )
            )
    add_events(session, events)
    notify(session, [CameraStatesChanged(frozenset({r.epe_id for r in rows}))], now=now)
    return [r.camera_id for r in rows]


def _open_outages(session: Session, camera_ids: Sequence[str]) -> dict[str, str]:
    """camera id -> id of its open outage, for those that have one."""
    found = session.execute(
        select(OUT.c.camera_id, OUT.c.id).where(
            OUT.c.camera_id.in_(list(camera_ids)), OUT.c.ended_at.is_(None)
        )
    ).all()
    return {row.camera_id: row.id for row in found}


def _mark_monitored(session: Session, since: dict[str, datetime]) -> None:
    """Uptime is counted from a camera's first sign of life."""
    C = table_of(Camera)
    session.execute(
        update(C)
        .where(C.c.id == bindparam("m_id"), C.c.monitored_since.is_(None))
        .values(monitored_since=bindparam("m_since", type_=C.c.monitored_since.type)),
        [{"m_id": camera_id, "m_since": at} for camera_id, at in sorted(since.items())],
    )


def maintenance_overruns(session: Session, now: datetime) -> list[str]:
    """A planned outage still open when its window ends becomes an unplanned one from then."""
    rows = session.execute(
        select(OUT.c.id, OUT.c.camera_id, OUT.c.epe_id, col(MaintenanceWindow.ends_at))
        .join(MaintenanceWindow, col(MaintenanceWindow.id) == OUT.c.maintenance_window_id)
        .where(
            OUT.c.ended_at.is_(None),
            OUT.c.planned.is_(True),
            col(MaintenanceWindow.ends_at) <= now,
        )
        .limit(1000)
    ).all()
    done: list[str] = []
    events: list[tuple[EventPayload, str | None]] = []
    facts = _camera_facts(session, [r.camera_id for r in rows]) if rows else {}
    for r in rows:
        closed = session.execute(
            update(OUT).where(OUT.c.id == r.id, OUT.c.ended_at.is_(None)).values(ended_at=r.ends_at)
        )
        if getattr(closed, "rowcount", 0) != 1:
            continue  # another replica got there first
        outage_id = new_id()
        session.execute(
            insert(OUT).values(
                id=outage_id,
                camera_id=r.camera_id,
                epe_id=r.epe_id,
                started_at=r.ends_at,
                ended_at=None,
                detected_at=now,
                cause=OutageCause.MAINTENANCE_OVERRAN.value,
                planned=False,
                maintenance_window_id=None,
            )
        )
        session.execute(update(H).where(H.c.camera_id == r.camera_id).values(state_since=r.ends_at))
        fact = facts.get(r.camera_id)
        if fact is not None:
            events.append(
                (
                    CameraWentOffline(
                        **_ref(fact, r.epe_id, r.camera_id),
                        outage_id=outage_id,
                        cause=OutageCause.MAINTENANCE_OVERRAN.value,
                        started_at=r.ends_at,
                        detected_at=now,
                        planned=False,
                        maintenance_window_id=None,
                        maintenance_ends_at=None,
                    ),
                    r.camera_id,
                )
            )
        done.append(r.camera_id)
    add_events(session, events)
    return done


def run_tick(engine: Engine, *, now: datetime, thresholds: Thresholds) -> TickResult:
    """One detector pass; each step commits on its own and loops while a batch was full."""
    result = TickResult()
    steps = (
        (go_offline, result.went_offline),
        (come_back, result.came_back),
        (first_seen, result.first_seen),
        (refuse_probes, result.probe_refused),
    )
    for step, sink in steps:
        while True:
            with Session(engine, expire_on_commit=False) as session:
                changed = step(session, now, thresholds)
                session.commit()
            sink.extend(changed)
            if len(changed) < thresholds.batch:
                break
    with Session(engine, expire_on_commit=False) as session:
        result.overran.extend(maintenance_overruns(session, now))
        session.commit()
    return result
