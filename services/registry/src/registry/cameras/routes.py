"""Camera routes: the EPE declares its cameras; customs reads them."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from registry.cameras import service
from registry.cameras.models import CameraCreate, CameraPublic, CameraUpdate, PositionKind
from registry.deps import CurrentPrincipal, Cursor, Limit1000, SessionDep, SettingsDep
from registry.health.service import live_state, live_states
from registry.permissions import managed_epe, readable_epe
from registry.settings import Settings
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes/{epe_id}/cameras", tags=["cameras"])


def probe_refusal(settings: Settings) -> service.ProbeRefusal:
    """The probe network policy's check of a URL, as the prober will apply it."""
    return partial(settings.probe_policy().refusal_of, wait=settings.probe_save_resolve_wait)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CameraPublic,
    responses={409: {"description": "a camera with this number exists"}},
)
def add_camera(
    epe_id: str,
    data: CameraCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> CameraPublic:
    """Declare a camera (no credentials in its URLs: those go to the access vault; a probed
    URL must pass the probe network policy)."""
    epe = managed_epe(session, principal, epe_id)
    camera = service.add_camera(session, epe=epe, data=data, refusal_of=probe_refusal(settings))
    session.commit()
    return service.to_public(camera, live_state(session, camera.id))


@router.get("", response_model=Page[CameraPublic])
def list_cameras(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    position_kind: PositionKind | None = None,
    area_id: Annotated[str | None, Query(max_length=36)] = None,
    cursor: Cursor = None,
    limit: Limit1000 = 100,
) -> Page[CameraPublic]:
    """The EPE's cameras with their live state."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    rows = service.list_cameras(
        session,
        epe_id=epe.id,
        position_kind=position_kind,
        area_id=area_id,
        after=str(key[0]) if key else None,
        limit=limit,
    )
    rows, next_cursor = page_of(rows, limit, lambda c: [c.id])
    states = live_states(session, [c.id for c in rows])
    return Page(data=[service.to_public(c, states[c.id]) for c in rows], next_cursor=next_cursor)


@router.get("/{camera_id}", response_model=CameraPublic)
def get_camera(
    epe_id: str, camera_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CameraPublic:
    """One camera."""
    epe = readable_epe(session, principal, epe_id)
    camera = service.get_camera(session, epe_id=epe.id, camera_id=camera_id)
    return service.to_public(camera, live_state(session, camera.id))


@router.patch("/{camera_id}", response_model=CameraPublic)
def update_camera(
    epe_id: str,
    camera_id: str,
    data: CameraUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> CameraPublic:
    """Change a camera's position, addresses, specs or capabilities."""
    epe = managed_epe(session, principal, epe_id)
    camera = service.get_camera(session, epe_id=epe.id, camera_id=camera_id)
    camera = service.update_camera(
        session, epe=epe, camera=camera, data=data, refusal_of=probe_refusal(settings)
    )
    session.commit()
    return service.to_public(camera, live_state(session, camera.id))


@router.delete("/{camera_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_camera(
    epe_id: str, camera_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Remove a camera from the system (its outages and logbook history stay)."""
    epe = managed_epe(session, principal, epe_id)
    camera = service.get_camera(session, epe_id=epe.id, camera_id=camera_id)
    service.remove_camera(session, epe=epe, camera=camera)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
