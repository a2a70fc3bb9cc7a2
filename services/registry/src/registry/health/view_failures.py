"""Camera views that could not reach a camera (`access.camera_view.unreachable.v1`) as health.

When an officer's view through the access service finds a camera dead, that is what a failed
probe is: customs tried to reach the camera and could not. The view is recorded as a probe
observation (status `unreachable`, the view's cause and detail), so the detector's rules apply
unchanged: a fault lasting `REGISTRY_FAULT_GRACE` takes the camera offline (cause
`unreachable`), and a probed camera is re-probed at once, so the prober's next `ok` clears a
blip. A camera customs does not probe gets the observation without a fault: nothing of
customs' would ever clear it, and its heartbeats keep judging it.

Idempotent and order-tolerant: an observation older than (or as old as) the camera's latest
probe observation changes nothing, so a redelivered or late event is a no-op. A view the access
service's own network policy refused (`refused`) observed nothing of the camera and is ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, func, or_, update
from sqlmodel import Session

from registry.health.models import CameraHealth
from registry.types import table_of
from servicekit.clock import utc_now
from servicekit.events import CloudEvent, PermanentError

H = table_of(CameraHealth)
UNREACHABLE = "unreachable"  # the prober's status of a failed probe
IGNORED_CAUSES = {"refused"}


def _observed_at(value: object, now: datetime) -> datetime:
    observed = datetime.fromisoformat(str(value))
    if observed.tzinfo is None:
        raise ValueError("observed_at has no offset")
    return min(observed.astimezone(UTC), now)  # the access service's clock, never ahead of ours


def record_view_failure(
    session: Session,
    *,
    camera_id: str,
    epe_id: str,
    cause: str,
    detail: str,
    observed_at: datetime,
    now: datetime,
) -> None:
    """Record the failed view as a failed probe observation (nothing when it is stale)."""
    if cause in IGNORED_CAUSES:
        return
    probed = H.c.probe_enabled.is_(True)
    session.execute(
        update(H)
        .where(
            H.c.camera_id == camera_id,
            H.c.epe_id == epe_id,
            or_(H.c.probe_at.is_(None), H.c.probe_at < observed_at),
        )
        .values(
            probe_at=observed_at,
            probe_status=UNREACHABLE,
            probe_detail=f"camera view: {cause}: {detail}"[:300],
            probe_fault_since=case(
                (probed, func.coalesce(H.c.probe_fault_since, observed_at)), else_=None
            ),
            probe_ok_since=case((probed, None), else_=H.c.probe_ok_since),
            # Probed: confirm at once, so a blip is told from an outage within the grace.
            probe_next_at=case((probed, now), else_=H.c.probe_next_at),
        )
    )


def handle_view_unreachable(event: CloudEvent, session: Session) -> None:
    """The consumer of `access.camera_view.unreachable.v1` (idempotent)."""
    data = event.data
    now = utc_now()
    try:
        record_view_failure(
            session,
            camera_id=str(data["camera_id"]),
            epe_id=str(data["epe_id"]),
            cause=str(data["cause"]),
            detail=str(data.get("detail") or ""),
            observed_at=_observed_at(data["observed_at"], now),
            now=now,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"malformed camera view event: {exc}") from exc
