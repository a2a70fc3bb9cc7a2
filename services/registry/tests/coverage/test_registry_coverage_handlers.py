"""Coverage follows area changes and cameras' live state inside the transaction that changed them."""

from sqlalchemy import update
from sqlmodel import Session, col

from devkit.testing.registry import EPE_ID, build_site
from registry.areas.models import AreaCreate, AreaKind
from registry.areas.service import create_area, remove_area
from registry.coverage.service import open_gaps
from registry.epes.models import Epe
from registry.health.changes import CameraStatesChanged
from registry.health.models import CameraHealth, CameraState
from registry.reactions import notify
from servicekit.clock import utc_now


def gap_areas(session: Session) -> set[str]:
    return {gap.gap_key.split(":")[1] for gap in open_gaps(session, EPE_ID)}


def test_an_area_change_opens_and_closes_its_gap_before_the_commit(client, callers, app):
    build_site(client, callers)
    with Session(app.state.engine) as session:
        epe = session.get(Epe, EPE_ID)
        assert epe is not None
        before = gap_areas(session)
        gate = create_area(
            session, epe=epe, data=AreaCreate(code="G2", name="Cổng phụ", kind=AreaKind.EPE_GATE)
        )
        assert gap_areas(session) == before | {gate.id}
        remove_area(session, area=gate)
        assert gap_areas(session) == before
        session.rollback()


def test_a_camera_going_offline_opens_a_gap_when_the_detector_announces_it(client, callers, app):
    site = build_site(client, callers)
    with Session(app.state.engine) as session:
        session.execute(update(CameraHealth).values(state=CameraState.ONLINE))
        notify(session, [CameraStatesChanged(frozenset({EPE_ID}))], now=utc_now())
        assert gap_areas(session) == set()
        session.execute(
            update(CameraHealth)
            .where(col(CameraHealth.camera_number) == "C01")
            .values(state=CameraState.OFFLINE)
        )
        assert gap_areas(session) == set()  # nothing announced: nothing re-checked
        notify(session, [CameraStatesChanged(frozenset({EPE_ID}))], now=utc_now())
        assert gap_areas(session) == {site.gate["id"]}
        session.rollback()
