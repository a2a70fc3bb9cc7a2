"""Reports of a unit over a period, for its head and officers, in four formats."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from risk.reports.models import Report
from risk.reports.render import to_csv, to_pdf, to_xlsx
from risk.reports.service import build_report
from servicekit.auth import CurrentPrincipal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, field_error
from servicekit.inputs import Day
from servicekit.workdays import WorkingCalendar

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    dependencies=[Depends(require_roles(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT))],
)
MAX_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


FILE_FORMATS = {
    ReportFormat.CSV: "text/csv",
    ReportFormat.XLSX: XLSX,
    ReportFormat.PDF: "application/pdf",
}


@router.get(
    "",
    responses={
        200: {
            "description": "the report (JSON, or a file in the format asked for)",
            "content": {media: {"schema": {"type": "string"}} for media in FILE_FORMATS.values()},
        }
    },
    response_model=Report,
)
def get_report(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    start: Annotated[Day, Query(description="first day, Vietnam time")],
    end: Annotated[Day, Query(description="last day (inclusive)")],
    format: ReportFormat = ReportFormat.JSON,
) -> Report | Response:
    """EPEs under supervision, declarations by channel, violations by stage, warnings by rule
    and outcome, plan completion, incidents by restoration promptness: the caller's unit."""
    if principal.unit is None:
        raise Forbidden("the caller belongs to no unit")
    if end < start:
        raise field_error("end", "before start")
    if (end - start).days >= MAX_DAYS:
        raise field_error("end", f"a report covers at most {MAX_DAYS} days")
    calendar: WorkingCalendar = request.app.state.calendar
    report = build_report(
        session, unit=principal.unit, start=start, end=end, tz=calendar.tz, now=clock.now()
    )
    if format == ReportFormat.JSON:
        return report
    name = f"report-{principal.unit}-{start:%Y%m%d}-{end:%Y%m%d}.{format.value}"
    body: bytes | str
    if format == ReportFormat.CSV:
        body = to_csv(report)
    elif format == ReportFormat.XLSX:
        body = to_xlsx(report)
    else:
        body = to_pdf(report, calendar.tz)
    return Response(
        content=body,
        media_type=FILE_FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
