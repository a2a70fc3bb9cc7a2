"""Building a day's log digest from the audit log, the dead letters and the chain check.

The counts are read from the audit records of the day (every sign-in, lockout, reveal and
authority change is audited, so the audit log is the log being checked); the dead letters
from the bus's dead-letter stream (read by the caller, which is async); the audit chain is
verified against its anchors; the 5xx per route from the gateway's counts and the custody
chain's check from the evidence service's event, both kept by `handlers`. Thresholds turn
counts into anomalies; a missing or failed custody check is one too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from access.audit import service as audit
from access.audit.models import AuditRecord
from access.db import as_utc
from access.logdigest.events import LogDigestAnomalies
from access.logdigest.models import (
    AUTHORITY_PREFIXES,
    COUNTED_ACTIONS,
    AuditChainCheck,
    CustodyChainCheck,
    CustodyCheck,
    DigestCounts,
    LogDigest,
    LogDigestPublic,
    RouteServerErrors,
    ServerErrorCount,
    Trigger,
)
from servicekit.chain import Anchor
from servicekit.events import DeadLetter, add_event
from servicekit.workdays import VIETNAM_TZ


@dataclass(frozen=True)
class Thresholds:
    """Counts above which a day is an anomaly."""

    signin_failures: int
    lockouts: int
    server_errors: int = 0  # per route


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day in Vietnam as a UTC half-open range."""
    start = datetime.combine(day, time(0), tzinfo=VIETNAM_TZ)
    return as_utc(start), as_utc(start + timedelta(days=1))


def yesterday(now: datetime) -> date:
    """The last whole day in Vietnam before `now`."""
    return now.astimezone(VIETNAM_TZ).date() - timedelta(days=1)


def next_due(now: datetime, *, minute_of_day: int) -> datetime:
    """The next run: `minute_of_day` minutes after midnight in Vietnam, strictly after now."""
    local = now.astimezone(VIETNAM_TZ)
    due = datetime.combine(local.date(), time(0), tzinfo=VIETNAM_TZ) + timedelta(
        minutes=minute_of_day
    )
    if due <= local:
        due += timedelta(days=1)
    return as_utc(due)


def count_actions(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """The day's audited actions counted as the digest names them."""
    rows = session.exec(
        select(AuditRecord.action, func.count())
        .where(col(AuditRecord.occurred_at) >= start)
        .where(col(AuditRecord.occurred_at) < end)
        .group_by(col(AuditRecord.action))
    ).all()
    by_action = {action: int(n) for action, n in rows}
    counts = {
        name: sum(by_action.get(a, 0) for a in actions) for name, actions in COUNTED_ACTIONS.items()
    }
    counts["authority_changes"] = sum(
        n for action, n in by_action.items() if action.startswith(AUTHORITY_PREFIXES)
    )
    return counts


def count_dead_letters(
    letters: Iterable[DeadLetter] | None, start: datetime, end: datetime
) -> tuple[int | None, dict[str, int]]:
    """Dead letters that failed within the day, in all and per consumer (None: not read)."""
    if letters is None:
        return None, {}
    by_consumer: Counter[str] = Counter(
        letter.consumer
        for letter in letters
        if letter.failed_at is not None and start <= as_utc(letter.failed_at) < end
    )
    return sum(by_consumer.values()), dict(sorted(by_consumer.items()))


def count_server_errors(
    session: Session, start: datetime, end: datetime
) -> tuple[int, list[RouteServerErrors]]:
    """The 5xx the gateways counted in windows that began within the day, per route (most
    first) with their statuses."""
    rows = session.execute(  # five columns: more than sqlmodel's select() types
        sa_select(
            col(ServerErrorCount.service),
            col(ServerErrorCount.method),
            col(ServerErrorCount.route),
            col(ServerErrorCount.status),
            func.sum(col(ServerErrorCount.count)),
        )
        .where(col(ServerErrorCount.window_start) >= start)
        .where(col(ServerErrorCount.window_start) < end)
        .group_by(
            col(ServerErrorCount.service),
            col(ServerErrorCount.method),
            col(ServerErrorCount.route),
            col(ServerErrorCount.status),
        )
    ).all()
    routes: dict[tuple[str, str, str], dict[str, int]] = {}
    for service, method, route, status, n in rows:
        routes.setdefault((service, method, route), {})[str(status)] = int(n)
    listed = [
        RouteServerErrors(
            service=service,
            method=method,
            route=route,
            count=sum(by_status.values()),
            by_status=dict(sorted(by_status.items())),
        )
        for (service, method, route), by_status in routes.items()
    ]
    listed.sort(key=lambda r: (-r.count, r.service, r.route, r.method))
    return sum(r.count for r in listed), listed


def custody_check(session: Session, day: date) -> CustodyChainCheck | None:
    """The evidence service's latest verification of its custody chain for the day."""
    row = session.exec(
        select(CustodyCheck)
        .where(CustodyCheck.day == day)
        .order_by(col(CustodyCheck.checked_at).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return CustodyChainCheck(
        verified=row.verified,
        checked_at=as_utc(row.checked_at),
        records_checked=row.records_checked,
        anchors_checked=row.anchors_checked,
        last_seq=row.last_seq,
        head_mac=row.head_mac,
        first_broken_seq=row.first_broken_seq,
        problem=row.problem,
    )


def custody_anomalies(custody: CustodyChainCheck | None, day: date) -> list[str]:
    """A missing or failed custody verification of the day."""
    if custody is None:
        return [f"no verification of the evidence custody chain was received for {day}"]
    if not custody.verified:
        where = f" at record {custody.first_broken_seq}" if custody.first_broken_seq else ""
        return [f"evidence custody chain not verified{where}: {custody.problem}"]
    return []


def check_chain(session: Session, anchors: Sequence[Anchor] | None) -> AuditChainCheck:
    """The audit chain against its anchors (`None`: the anchors could not be read)."""
    result = audit.verify_chain(session, anchors=anchors or ())
    broken = result.first_broken
    problem = broken.problem if broken else None
    if anchors is None and problem is None:
        problem = "the anchors could not be read: the chain was checked without them"
    return AuditChainCheck(
        ok=result.ok and anchors is not None,
        records_checked=result.records_checked,
        anchors_checked=result.anchors_checked,
        first_broken_seq=broken.seq if broken else None,
        problem=problem,
    )


def anomalies_of(
    counts: DigestCounts, chain: AuditChainCheck, thresholds: Thresholds, *, events_on: bool
) -> list[str]:
    """What the IT operator must look at, in words."""
    found: list[str] = []
    if not chain.ok:
        where = f" at record {chain.first_broken_seq}" if chain.first_broken_seq else ""
        found.append(f"audit chain not verified{where}: {chain.problem}")
    if counts.dead_letters is None and events_on:
        found.append("dead letters could not be read from the event bus")
    if counts.dead_letters:
        found.append(f"{counts.dead_letters} event(s) dead-lettered")
    if counts.signin_failures > thresholds.signin_failures:
        found.append(
            f"{counts.signin_failures} failed sign-ins (more than {thresholds.signin_failures})"
        )
    if counts.lockouts > thresholds.lockouts:
        found.append(f"{counts.lockouts} lockouts (more than {thresholds.lockouts})")
    for route in counts.server_errors_by_route:
        if route.count > thresholds.server_errors:
            statuses = ", ".join(f"{n}x {status}" for status, n in route.by_status.items())
            found.append(
                f"{route.count} server error(s) on {route.service} {route.method} "
                f"{route.route} ({statuses})"
            )
    return found


def build(
    session: Session,
    *,
    day: date,
    trigger: Trigger,
    requested_by: str | None,
    now: datetime,
    dead_letters: Iterable[DeadLetter] | None,
    anchors: Sequence[Anchor] | None,
    thresholds: Thresholds,
    events_on: bool,
) -> LogDigest:
    """Count, check, store the digest, and raise its anomalies as an event (outbox)."""
    start, end = day_bounds(day)
    end = min(end, now)  # today: the day so far
    letters, by_consumer = count_dead_letters(dead_letters, start, end)
    errors, errors_by_route = count_server_errors(session, start, end)
    counts = DigestCounts(
        **count_actions(session, start, end),
        dead_letters=letters,
        dead_letters_by_consumer=by_consumer,
        server_errors=errors,
        server_errors_by_route=errors_by_route,
    )
    chain = check_chain(session, anchors)
    custody = custody_check(session, day)
    anomalies = anomalies_of(counts, chain, thresholds, events_on=events_on)
    anomalies += custody_anomalies(custody, day)
    digest = LogDigest(
        day=day,
        period_start=start,
        period_end=end,
        trigger=trigger.value,
        requested_by=requested_by,
        created_at=now,
        counts=counts.model_dump(),
        audit_chain=chain.model_dump(),
        custody_chain=custody.model_dump(mode="json") if custody else None,
        anomalies=anomalies,
        ok=not anomalies,
    )
    session.add(digest)
    if anomalies:
        add_event(
            session,
            LogDigestAnomalies(digest_id=digest.id, day=day, anomalies=anomalies, created_at=now),
            subject=f"log_digest:{digest.id}",
        )
    session.flush()
    return digest


def list_digests(
    session: Session, *, before_id: str | None, limit: int, day: date | None
) -> list[LogDigest]:
    """Digests newest first (ids are UUIDv7, so they sort by creation time)."""
    query = select(LogDigest)
    if day is not None:
        query = query.where(LogDigest.day == day)
    if before_id is not None:
        query = query.where(col(LogDigest.id) < before_id)
    return list(session.exec(query.order_by(col(LogDigest.id).desc()).limit(limit)).all())


def to_public(digest: LogDigest) -> LogDigestPublic:
    return LogDigestPublic(
        id=digest.id,
        day=digest.day,
        period_start=as_utc(digest.period_start),
        period_end=as_utc(digest.period_end),
        trigger=Trigger(digest.trigger),
        requested_by=digest.requested_by,
        created_at=as_utc(digest.created_at),
        counts=DigestCounts.model_validate(digest.counts),
        audit_chain=AuditChainCheck.model_validate(digest.audit_chain),
        custody_chain=CustodyChainCheck.model_validate(digest.custody_chain)
        if digest.custody_chain
        else None,
        anomalies=list(digest.anomalies),
        ok=digest.ok,
    )
