"""Preparing, deciding and recording the application of direct data corrections; every step
audited, the minutes rendered when the change is reported applied."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from access.audit import service as audit
from access.authority.service import deciding_head
from access.context import AuditContext
from access.corrections.events import CorrectionApplied, CorrectionApproved
from access.corrections.minutes import Minutes, render_minutes
from access.corrections.models import (
    AppliedReport,
    CorrectionPublic,
    CorrectionStatus,
    DataCorrection,
    DataCorrectionCreate,
    FailedReport,
    SupervisorPublic,
)
from access.officers.models import User
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.events import add_event


def _target(row: DataCorrection) -> str:
    return f"correction:{row.id}"


def _plan_details(row: DataCorrection) -> dict[str, object]:
    return {
        "service": row.service,
        "table": row.table_name,
        "primary_key": row.primary_key,
        "columns": sorted(row.changes),
    }


def prepare(
    session: Session,
    *,
    body: DataCorrectionCreate,
    preparer: str,
    unit: str,
    context: AuditContext,
    now: datetime,
) -> DataCorrection:
    """An IT operator prepares a plan; it waits for the head of their unit."""
    overlap = sorted(set(body.changes) & set(body.primary_key))
    if overlap:
        raise field_error(
            f"body.changes.{overlap[0]}", "a primary-key column is not corrected in place"
        )
    unchanged = sorted(c for c, v in body.changes.items() if v.from_ == v.to)
    if unchanged:
        raise field_error(f"body.changes.{unchanged[0]}", "from and to are the same")
    row = DataCorrection(
        unit=unit,
        status=CorrectionStatus.PENDING,
        service=body.service,
        table_name=body.table,
        primary_key=dict(body.primary_key),
        changes={c: v.model_dump(by_alias=True) for c, v in body.changes.items()},
        reason=body.reason,
        supervisors=[s.model_dump() for s in body.supervisors],
        prepared_by=preparer,
        prepared_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        context=context,
        action="correction.prepared",
        target=_target(row),
        reason=body.reason,
        occurred_at=now,
        details={**_plan_details(row), "supervisors": [s["name"] for s in row.supervisors]},
    )
    return row


def get(session: Session, correction_id: str) -> DataCorrection:
    row = session.get(DataCorrection, correction_id)
    if row is None:
        raise NotFound("data correction")
    return row


def listing(
    session: Session, *, unit: str | None, status: str | None, after: str | None, limit: int
) -> list[DataCorrection]:
    """Corrections newest first, optionally of one unit and status."""
    query = select(DataCorrection)
    if unit is not None:
        query = query.where(DataCorrection.unit == unit)
    if status is not None:
        query = query.where(DataCorrection.status == status)
    if after is not None:
        query = query.where(col(DataCorrection.id) < after)
    return list(session.exec(query.order_by(col(DataCorrection.id).desc()).limit(limit)))


def decide(
    session: Session,
    *,
    row: DataCorrection,
    approve: bool,
    decider: str,
    note: str | None,
    context: AuditContext,
    now: datetime,
) -> DataCorrection:
    """The head of the plan's unit approves or refuses it, never the one who prepared it."""
    deciding_head(session, decider, unit=row.unit, subject="correction")
    if decider == row.prepared_by:
        raise Forbidden("nobody may decide a correction they prepared")
    if row.status != CorrectionStatus.PENDING:
        raise Conflict(f"the correction is already {row.status}")
    row.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REFUSED
    row.decided_by = decider
    row.decided_at = now
    row.decision_note = note
    session.add(row)
    audit.record(
        session,
        context=context,
        action="correction.approved" if approve else "correction.refused",
        target=_target(row),
        reason=note,
        occurred_at=now,
        details=_plan_details(row),
    )
    if approve:
        add_event(
            session,
            CorrectionApproved(
                correction_id=row.id,
                service=row.service,
                table=row.table_name,
                prepared_by=row.prepared_by,
                approved_by=decider,
                approved_at=now,
            ),
            subject=_target(row),
        )
    return row


def start(
    session: Session, *, row: DataCorrection, operator: str, context: AuditContext, now: datetime
) -> DataCorrection:
    """The apply command claims an approved plan (so two runs cannot both apply it)."""
    if row.status != CorrectionStatus.APPROVED:
        raise Conflict(f"only an approved correction is applied; this one is {row.status}")
    row.status = CorrectionStatus.APPLYING
    row.applied_by = operator
    row.started_at = now
    session.add(row)
    audit.record(
        session,
        context=context,
        action="correction.apply_started",
        target=_target(row),
        occurred_at=now,
        details=_plan_details(row),
    )
    return row


def _check_applying(row: DataCorrection, operator: str) -> None:
    if row.status != CorrectionStatus.APPLYING:
        raise Conflict(f"the correction is {row.status}, not being applied")
    if operator != row.applied_by:
        raise Forbidden("only the operator who started applying it reports the outcome")


def applied(
    session: Session,
    *,
    row: DataCorrection,
    report: AppliedReport,
    operator: str,
    context: AuditContext,
    now: datetime,
) -> DataCorrection:
    """Record the verified backup and the change as it happened, then render the minutes."""
    _check_applying(row, operator)
    expected_before = {c: v["from"] for c, v in row.changes.items()}
    expected_after = {c: v["to"] for c, v in row.changes.items()}
    if report.before != expected_before:
        raise field_error("body.before", "differs from the plan's from values")
    if report.after != expected_after:
        raise field_error("body.after", "differs from the plan's to values")
    if report.rows_touched != 1:
        raise field_error("body.rows_touched", "an applied correction touches its one row")
    row.status = CorrectionStatus.APPLIED
    row.finished_at = now
    row.backup_id = report.backup_id
    row.backup_sha256 = report.backup_sha256
    row.rows_touched = report.rows_touched
    row.before = dict(report.before)
    row.after = dict(report.after)
    row.minutes_pdf = render_minutes(minutes_of(session, row))
    row.minutes_sha256 = hashlib.sha256(row.minutes_pdf).hexdigest()
    session.add(row)
    audit.record(
        session,
        context=context,
        action="correction.applied",
        target=_target(row),
        occurred_at=now,
        details={
            **_plan_details(row),
            "backup_id": report.backup_id,
            "backup_sha256": report.backup_sha256,
            "rows_touched": report.rows_touched,
            "minutes_sha256": row.minutes_sha256,
        },
    )
    add_event(
        session,
        CorrectionApplied(
            correction_id=row.id,
            service=row.service,
            table=row.table_name,
            columns=sorted(row.changes),
            backup_id=report.backup_id,
            applied_by=operator,
            applied_at=now,
            minutes_sha256=row.minutes_sha256,
        ),
        subject=_target(row),
    )
    return row


def failed(
    session: Session,
    *,
    row: DataCorrection,
    report: FailedReport,
    operator: str,
    context: AuditContext,
    now: datetime,
) -> DataCorrection:
    """The apply command changed nothing (refused or failed); the plan is closed."""
    _check_applying(row, operator)
    row.status = CorrectionStatus.FAILED
    row.finished_at = now
    row.failure = report.reason
    row.backup_id = report.backup_id
    session.add(row)
    audit.record(
        session,
        context=context,
        action="correction.failed",
        target=_target(row),
        reason=report.reason,
        outcome=audit.FAILURE,
        occurred_at=now,
        details={**_plan_details(row), "backup_id": report.backup_id},
    )
    return row


def _person(session: Session, user_id: str | None) -> str:
    if user_id is None:
        return "-"
    user = session.get(User, user_id)
    return f"{user.full_name} ({user.username})" if user else user_id


def minutes_of(session: Session, row: DataCorrection) -> Minutes:
    """What the minutes print, names resolved."""
    assert row.decided_at and row.started_at and row.finished_at
    return Minutes(
        correction_id=row.id,
        unit=row.unit,
        service=row.service,
        table=row.table_name,
        primary_key=row.primary_key,
        reason=row.reason,
        supervisors=[(s["name"], s["position"]) for s in row.supervisors],
        prepared_by=_person(session, row.prepared_by),
        prepared_at=row.prepared_at,
        approved_by=_person(session, row.decided_by),
        approved_at=row.decided_at,
        approval_note=row.decision_note,
        applied_by=_person(session, row.applied_by),
        started_at=row.started_at,
        finished_at=row.finished_at,
        backup_id=row.backup_id or "-",
        backup_sha256=row.backup_sha256 or "-",
        rows_touched=row.rows_touched or 0,
        before=row.before or {},
        after=row.after or {},
    )


def public_view(row: DataCorrection) -> CorrectionPublic:
    return CorrectionPublic(
        id=row.id,
        unit=row.unit,
        status=row.status,
        service=row.service,
        table=row.table_name,
        primary_key=row.primary_key,
        changes=row.changes,
        reason=row.reason,
        supervisors=[SupervisorPublic(**s) for s in row.supervisors],
        prepared_by=row.prepared_by,
        prepared_at=row.prepared_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        applied_by=row.applied_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        backup_id=row.backup_id,
        backup_sha256=row.backup_sha256,
        rows_touched=row.rows_touched,
        before=row.before,
        after=row.after,
        failure=row.failure,
        minutes_sha256=row.minutes_sha256,
    )
