"""Camera views: a snapshot or a live MJPEG view of an EPE's camera through customs' server,
each audited; the watch wall; each EPE's viewing policy.

The snapshot and live routes are async (they wait on the camera); their database work runs in
the thread pool on sessions of their own, so a slow camera never holds a connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from access.cameraview import service as views
from access.cameraview.models import CameraViewPolicyPublic, CameraViewPolicyWrite, WatchWall
from access.cameraview.service import ViewGrant
from access.cameraview.upstream import CameraUnreachable, FrameHub, HubFull, HubLimits
from access.context import AuditContext, request_audit_context
from access.deps import AuditContextDep, NowDep, RuntimeDep
from access.permissions import EPE_CLIENTS, OFFICERS, requires
from access.refusals import Refusal
from access.responses import NO_STORE
from access.runtime import Runtime
from servicekit.auth import CurrentPrincipal, Principal
from servicekit.db import SessionDep
from servicekit.errors import Problem
from servicekit.workdays import WorkingCalendar

router = APIRouter(tags=["camera views"])
BOUNDARY = "camwatchview"
NOT_THE_CAMERA = {"refused", "busy"}
"""Failures that say nothing about the camera's health: the policy, this replica's limit."""
T = TypeVar("T")

VIEW_ANSWERS: dict[int | str, dict[str, object]] = {
    409: {"description": "the EPE has not released its account for viewing, or no HTTP stream"},
    502: {"description": "the camera answered with an error or no image"},
    503: {"description": "this replica holds its maximum of camera connections"},
    504: {"description": "the camera did not answer in time"},
}


def _hub(request: Request, runtime: Runtime) -> FrameHub:
    hub: FrameHub | None = getattr(request.app.state, "camera_hub", None)
    if hub is None:
        s = runtime.settings
        hub = FrameHub(
            policy=s.camera_policy(),
            limits=HubLimits(
                timeout=s.camera_view_timeout,
                max_fps=s.camera_view_max_fps,
                max_frame_bytes=s.camera_view_max_frame_bytes,
                idle_seconds=s.camera_view_idle_seconds,
                max_feeds=s.camera_view_max_feeds,
            ),
        )
        request.app.state.camera_hub = hub
    return hub


def _calendar(request: Request, runtime: Runtime) -> WorkingCalendar:
    calendar: WorkingCalendar | None = getattr(request.app.state, "view_calendar", None)
    if calendar is None:
        calendar = WorkingCalendar(runtime.settings.swaps_file)
        request.app.state.view_calendar = calendar
    return calendar


def _in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in a session of its own and commit (a Refusal commits its audit record)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = work(session)
        except Refusal as refusal:
            session.commit()
            raise refusal.problem from None
        session.commit()
        return result


def _client_address(request: Request) -> str | None:
    """Where the officer is: the address the gateway saw (last X-Forwarded-For entry)."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[-1].strip()[:64]
    return request.client.host if request.client else None


@dataclass
class View:
    """One view in progress: what the audit record will say."""

    request: Request
    runtime: Runtime
    context: AuditContext
    grant: ViewGrant
    kind: str
    started_at: datetime
    frames: int = 0

    async def finish(self, failure: CameraUnreachable | None) -> None:
        """Audit the view (and report a dead camera), shielded from the client going away."""
        ended = self.runtime.clock.now()
        settings = self.runtime.settings
        client = _client_address(self.request)

        def write(session: Session) -> None:
            # in the thread pool: the calendar's first build computes a year of lunar holidays
            working = _calendar(self.request, self.runtime).is_working_time(
                self.started_at, start=settings.working_hours_start, end=settings.working_hours_end
            )
            views.record_view(
                session,
                context=self.context,
                camera=self.grant.camera,
                kind=self.kind,
                client=client,
                started_at=self.started_at,
                ended_at=ended,
                working_time=working,
                frames=self.frames,
                failure=None if failure is None else f"{failure.cause}: {failure.detail}",
            )
            if failure is not None and failure.cause not in NOT_THE_CAMERA:
                views.report_unreachable(
                    session,
                    camera=self.grant.camera,
                    cause=failure.cause,
                    detail=failure.detail,
                    now=ended,
                )

        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_in_session, self.request.app.state.engine, write)


async def _start(request: Request, principal: Principal, camera_id: str, kind: str) -> View:
    runtime: Runtime = request.app.state.runtime
    context = request_audit_context(request, principal)
    now = runtime.clock.now()

    def authorize(session: Session) -> ViewGrant:
        return views.authorize_view(
            session,
            principal=principal,
            camera_id=camera_id,
            kind=kind,
            runtime=runtime,
            context=context,
            now=now,
        )

    grant = await run_in_threadpool(_in_session, request.app.state.engine, authorize)
    return View(request, runtime, context, grant, kind, now)


def _as_failure(exc: CameraUnreachable | HubFull) -> CameraUnreachable:
    return exc if isinstance(exc, CameraUnreachable) else CameraUnreachable("busy", str(exc))


def _problem(exc: CameraUnreachable | HubFull) -> Problem:
    if isinstance(exc, HubFull):
        return Problem(503, "Too many camera connections", str(exc))
    if exc.cause == "timeout":
        return Problem(504, "Camera did not answer", exc.detail)
    return Problem(502, "Camera unavailable", exc.detail)


@router.get(
    "/camera-views/cameras/{camera_id}/snapshot",
    dependencies=[requires(*OFFICERS)],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **VIEW_ANSWERS},
)
async def camera_snapshot(
    camera_id: str, principal: CurrentPrincipal, request: Request
) -> Response:
    """The camera's latest image, fetched by customs' server with the EPE's account."""
    view = await _start(request, principal, camera_id, "snapshot")
    try:
        frame = await _hub(request, view.runtime).snapshot(view.grant.target)
    except (CameraUnreachable, HubFull) as exc:
        await view.finish(_as_failure(exc))
        raise _problem(exc) from None
    view.frames = 1
    await view.finish(None)
    return Response(frame, media_type="image/jpeg", headers=NO_STORE)


async def _parts(view: View, first: bytes, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    failure: CameraUnreachable | None = None
    try:
        frame = first
        while True:
            view.frames += 1
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}"
            yield head.encode() + b"\r\n\r\n" + frame + b"\r\n"
            try:
                frame = await anext(frames)
            except StopAsyncIteration:
                return
    except CameraUnreachable as exc:
        failure = exc
    finally:
        with anyio.CancelScope(shield=True):  # the viewer leaves the feed (its idle clock runs)
            await frames.aclose()  # type: ignore[attr-defined]
        await view.finish(failure)


@router.get(
    "/camera-views/cameras/{camera_id}/live",
    dependencies=[requires(*OFFICERS)],
    response_class=StreamingResponse,
    responses={
        200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}},
        **VIEW_ANSWERS,
    },
)
async def camera_live(
    camera_id: str, principal: CurrentPrincipal, request: Request
) -> StreamingResponse:
    """A live MJPEG view (frames at most `ACCESS_CAMERA_VIEW_MAX_FPS` a second), shared with
    every other viewer of the camera on one upstream connection; audited when it ends."""
    view = await _start(request, principal, camera_id, "live")
    hub = _hub(request, view.runtime)
    try:
        frames = hub.frames(
            view.grant.target, max_seconds=view.runtime.settings.camera_view_max_live_seconds
        )
        first = await anext(frames)
    except (CameraUnreachable, HubFull) as exc:
        await view.finish(_as_failure(exc))
        raise _problem(exc) from None
    return StreamingResponse(
        _parts(view, first, frames),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


@router.get("/camera-views/wall", dependencies=[requires(*OFFICERS)])
def watch_wall(principal: CurrentPrincipal, session: SessionDep, request: Request) -> WatchWall:
    """The required cameras of the EPEs on the officer's list, with snapshot and live URLs."""
    base = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return views.watch_wall(session, principal=principal, base=base)


@router.get(
    "/camera-views/epes/{epe_id}/policy",
    dependencies=[requires(*EPE_CLIENTS, *OFFICERS)],
)
def get_view_policy(
    epe_id: str, principal: CurrentPrincipal, session: SessionDep
) -> CameraViewPolicyPublic:
    """Whether customs' server may use the EPE's camera account (else reveal-once only)."""
    return views.get_policy(session, principal=principal, epe_id=epe_id)


@router.put(
    "/camera-views/epes/{epe_id}/policy",
    dependencies=[requires(*EPE_CLIENTS, *OFFICERS)],
)
def set_view_policy(
    epe_id: str,
    body: CameraViewPolicyWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> CameraViewPolicyPublic:
    """The EPE, or the head of its unit, releases (or withdraws) its account for viewing."""
    policy = views.set_policy(
        session, principal=principal, epe_id=epe_id, data=body, context=context, now=now
    )
    session.commit()
    return policy
