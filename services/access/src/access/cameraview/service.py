"""Who may watch which camera, with which vault account; the audit of every view; the wall.

The officer never receives the account: `authorize_view` opens the vault entry the EPE named
in its policy and hands the account to the frame hub, in memory, for this replica's upstream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from access.assignments import service as assignments
from access.audit import service as audit
from access.authority import service as authority
from access.cameraview.events import CameraViewUnreachable
from access.cameraview.models import (
    CameraViewPolicy,
    CameraViewPolicyPublic,
    CameraViewPolicyWrite,
    ViewableCamera,
    WallTile,
    WatchWall,
)
from access.cameraview.upstream import CameraTarget
from access.context import AuditContext
from access.crypto.contexts import vault_context
from access.crypto.envelope import read_sealed
from access.epes.models import RegistryEpe
from access.officers.models import User
from access.permissions import is_person
from access.refusals import Refusal
from access.runtime import Runtime
from access.vault.models import VaultEntry, VaultSecretVersion
from servicekit.auth import Principal, Role
from servicekit.errors import Conflict, Forbidden, NotFound, Problem
from servicekit.events import add_event

HTTP_SCHEMES = ("http://", "https://")
NOT_RELEASED = "https://camwatch.customs.gov.vn/problems/camera-view-not-released"


@dataclass(frozen=True)
class ViewGrant:
    """A view that may go ahead: the camera, and the target holding the account."""

    camera: ViewableCamera
    target: CameraTarget


def may_watch(session: Session, user: User, epe_id: str, unit: str) -> bool:
    """The head of the EPE's unit, or a supervisory officer assigned to the EPE (as reveals)."""
    if user.unit != unit or not user.active:
        return False
    if authority.holds(session, user, Role.HEAD_OF_SUBDEPARTMENT, unit=unit):
        return True
    return authority.holds(session, user, Role.SUPERVISORY_OFFICER) and assignments.is_assigned(
        session, officer_id=user.id, epe_id=epe_id
    )


def _refused(
    session: Session,
    *,
    context: AuditContext,
    camera: ViewableCamera,
    kind: str,
    refusal: str,
    problem: Problem,
    now: datetime,
) -> Refusal:
    audit.record(
        session,
        context=context,
        action="camera.view_refused",
        target=f"camera:{camera.camera_id}",
        outcome=audit.REFUSED,
        occurred_at=now,
        details={"epe_id": camera.epe_id, "kind": kind, "refusal": refusal},
    )
    return Refusal(problem)


def _account(session: Session, runtime: Runtime, entry_id: str) -> tuple[str, str]:
    entry = session.get(VaultEntry, entry_id)
    version = (
        session.exec(
            select(VaultSecretVersion)
            .where(VaultSecretVersion.entry_id == entry_id)
            .where(VaultSecretVersion.version == entry.current_version)
        ).first()
        if entry is not None
        else None
    )
    sealed = read_sealed(version) if version is not None else None
    if entry is None or sealed is None:
        raise Conflict("the vault entry named by this EPE's viewing policy holds no secret")
    secret = json.loads(
        runtime.envelope.open(sealed, context=vault_context(entry.id, entry.current_version))
    )
    return str(secret["account"]), str(secret["password"])


def authorize_view(
    session: Session,
    *,
    principal: Principal,
    camera_id: str,
    kind: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> ViewGrant:
    """The camera and its account, if this officer may watch it through customs."""
    camera = session.get(ViewableCamera, camera_id)
    if camera is None or camera.removed:
        raise NotFound("camera")

    def refuse(problem: Problem, refusal: str) -> Refusal:
        return _refused(
            session,
            context=context,
            camera=camera,
            kind=kind,
            refusal=refusal,
            problem=problem,
            now=now,
        )

    user = session.get(User, principal.subject) if is_person(principal) else None
    if user is None or not may_watch(session, user, camera.epe_id, camera.unit):
        raise refuse(
            Forbidden("only an officer assigned to this EPE, or the head of its unit, may watch"),
            "not_assigned",
        )
    policy = session.get(CameraViewPolicy, camera.epe_id)
    if policy is None or not policy.server_side:
        raise refuse(
            Problem(
                409,
                "Viewing through customs not released",
                "this EPE has not released its camera account for viewing through customs; "
                "use the vault's reveal-once flow",
                type_=NOT_RELEASED,
            ),
            "not_released",
        )
    if not camera.stream_url or not camera.stream_url.lower().startswith(HTTP_SCHEMES):
        raise refuse(
            Conflict("the camera declares no HTTP(S) stream (JPEG snapshot or MJPEG) to view"),
            "no_http_stream",
        )
    account, password = _account(session, runtime, policy.entry_id)
    return ViewGrant(camera, CameraTarget(camera.camera_id, camera.stream_url, account, password))


def record_view(
    session: Session,
    *,
    context: AuditContext,
    camera: ViewableCamera,
    kind: str,
    client: str | None,
    started_at: datetime,
    ended_at: datetime,
    working_time: bool,
    frames: int,
    failure: str | None,
) -> None:
    """One view in the audit chain: who, which camera, when, how long, from where."""
    details: dict[str, Any] = {
        "epe_id": camera.epe_id,
        "camera_number": camera.number,
        "kind": kind,
        "started_at": started_at.isoformat(),
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "client": client,
        "frames": frames,
        "outside_working_time": not working_time,
    }
    if failure is not None:
        details["failure"] = failure
    audit.record(
        session,
        context=context,
        action="camera.viewed",
        target=f"camera:{camera.camera_id}",
        outcome=audit.SUCCESS if failure is None else audit.FAILURE,
        occurred_at=ended_at,
        details=details,
    )


def report_unreachable(
    session: Session, *, camera: ViewableCamera, cause: str, detail: str, now: datetime
) -> None:
    """Tell camera health that a view found the camera dead."""
    add_event(
        session,
        CameraViewUnreachable(
            camera_id=camera.camera_id,
            epe_id=camera.epe_id,
            unit=camera.unit,
            camera_number=camera.number,
            cause=cause,
            detail=detail[:300],
            observed_at=now,
        ),
        subject=camera.camera_id,
    )


# Policies ---------------------------------------------------------------------------------------


def _policy_public(policy: CameraViewPolicy) -> CameraViewPolicyPublic:
    return CameraViewPolicyPublic(**policy.model_dump())


def get_policy(session: Session, *, principal: Principal, epe_id: str) -> CameraViewPolicyPublic:
    """An EPE's viewing policy (its client, or officers of its unit)."""
    policy = session.get(CameraViewPolicy, epe_id)
    if policy is None:
        raise NotFound("camera view policy")
    _ensure_policy_reader(principal, policy.epe_id, policy.unit)
    return _policy_public(policy)


def _ensure_policy_reader(principal: Principal, epe_id: str, unit: str) -> None:
    if principal.is_epe:
        if principal.epe_id != epe_id:
            raise Forbidden("an EPE client may act only on its own enterprise")
    elif principal.unit != unit:
        raise Forbidden("this enterprise is supervised by another customs unit")


def set_policy(
    session: Session,
    *,
    principal: Principal,
    epe_id: str,
    data: CameraViewPolicyWrite,
    context: AuditContext,
    now: datetime,
) -> CameraViewPolicyPublic:
    """The EPE (its own client) or the head of its unit says whether customs' server may use
    the account of one of the EPE's vault entries to show its cameras."""
    entry = session.get(VaultEntry, data.entry_id)
    if entry is None or entry.epe_id != epe_id:
        raise NotFound("vault entry", "no vault entry of this EPE has this id")
    if principal.is_epe:
        if principal.epe_id != epe_id:
            raise Forbidden("an EPE client may act only on its own enterprise")
    elif not (principal.has(Role.HEAD_OF_SUBDEPARTMENT) and principal.unit == entry.unit):
        raise Forbidden("only the EPE or the head of its customs unit sets its viewing policy")
    policy = session.get(CameraViewPolicy, epe_id) or CameraViewPolicy(
        epe_id=epe_id, unit=entry.unit, entry_id=entry.id, server_side=False, set_by="", set_at=now
    )
    policy.entry_id, policy.server_side = entry.id, data.server_side
    policy.unit, policy.set_by, policy.set_at = entry.unit, context.actor, now
    session.add(policy)
    audit.record(
        session,
        context=context,
        action="camera.view_policy_set",
        target=f"vault:{entry.id}",
        occurred_at=now,
        details={"epe_id": epe_id, "server_side": data.server_side},
    )
    return _policy_public(policy)


# The watch wall -----------------------------------------------------------------------------------


def _wall_epes(session: Session, user: User) -> list[str]:
    """The officer's EPEs in assignment order; a unit head's: every EPE of the unit."""
    if authority.holds(session, user, Role.HEAD_OF_SUBDEPARTMENT, unit=user.unit):
        return list(
            session.exec(
                select(RegistryEpe.epe_id)
                .where(RegistryEpe.unit == user.unit)
                .order_by(col(RegistryEpe.epe_id))
            ).all()
        )
    mine = sorted(
        assignments.active_assignments(session, officer_id=user.id),
        key=lambda a: (a.assigned_at, a.id),
    )
    return [a.epe_id for a in mine if a.unit == user.unit]


def watch_wall(session: Session, *, principal: Principal, base: str) -> WatchWall:
    """The required cameras of the officer's EPEs, with the URLs the SPA refreshes."""
    user = session.get(User, principal.subject) if is_person(principal) else None
    if user is None or not user.active:
        raise Forbidden("the watch wall is for signed-in officers")
    epe_ids = _wall_epes(session, user)
    if not epe_ids:
        return WatchWall(order="assignment", tiles=[])
    names = {
        e.epe_id: e.name
        for e in session.exec(select(RegistryEpe).where(col(RegistryEpe.epe_id).in_(epe_ids)))
    }
    released = {
        p.epe_id
        for p in session.exec(
            select(CameraViewPolicy).where(col(CameraViewPolicy.epe_id).in_(epe_ids))
        )
        if p.server_side
    }
    cameras = session.exec(
        select(ViewableCamera)
        .where(col(ViewableCamera.epe_id).in_(epe_ids))
        .where(col(ViewableCamera.removed).is_(False))
        .where(col(ViewableCamera.must_be_online).is_(True))
        .where(col(ViewableCamera.unit) == user.unit)
    ).all()
    rank = {epe_id: i for i, epe_id in enumerate(epe_ids)}
    tiles = [
        WallTile(
            camera_id=c.camera_id,
            epe_id=c.epe_id,
            epe_name=names.get(c.epe_id, ""),
            camera_number=c.number,
            position_kind=c.position_kind,
            viewable=c.epe_id in released
            and bool(c.stream_url and c.stream_url.lower().startswith(HTTP_SCHEMES)),
            snapshot_url=f"{base}/camera-views/cameras/{c.camera_id}/snapshot",
            live_url=f"{base}/camera-views/cameras/{c.camera_id}/live",
        )
        for c in sorted(cameras, key=lambda c: (rank[c.epe_id], c.number))
    ]
    return WatchWall(order="assignment", tiles=tiles)
