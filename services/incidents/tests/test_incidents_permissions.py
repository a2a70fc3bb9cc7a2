"""An EPE sees only its incidents, an officer those of their unit; EPEs file only for themselves."""

from __future__ import annotations

import uuid

from servicekit.auth import Role

UNIT = "CC-HQ-KCX-TANTHUAN"  # epe-1 (see conftest)
OTHER_UNIT = "CC-HQ-KCX-LINHTRUNG"  # epe-2


def test_an_epe_files_only_for_itself(client, registry, tokens, notice) -> None:
    other_epe = tokens.headers(subject="vendor-2", roles=[Role.EPE_CLIENT], epe_id="epe-2")
    response = client.post(
        "/notices",
        json=notice(),
        headers={**other_epe, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 403
    officer = tokens.headers(roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)
    response = client.post(
        "/notices", json=notice(), headers={**officer, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 403


def test_an_epe_sees_only_its_incidents(client, registry, file_notice, tokens) -> None:
    created = file_notice().json()
    other_epe = tokens.headers(subject="vendor-2", roles=[Role.EPE_CLIENT], epe_id="epe-2")
    assert client.get(f"/incidents/{created['incident_id']}", headers=other_epe).status_code == 404
    assert client.get(f"/notices/{created['id']}", headers=other_epe).status_code == 404
    assert client.get(f"/notices/{created['id']}/pdf", headers=other_epe).status_code == 404
    assert client.get("/incidents", headers=other_epe).json()["data"] == []
    assert client.get("/epes/epe-1/promptness", headers=other_epe).status_code == 404
    # Nor act on them.
    restore = client.post(
        f"/incidents/{created['incident_id']}/restoration",
        json={"restored_at": "2025-01-20T03:00:00Z"},
        headers=other_epe,
    )
    assert restore.status_code == 404


def test_an_officer_sees_only_the_incidents_of_their_unit(
    client, registry, file_notice, tokens
) -> None:
    created = file_notice().json()
    mine = tokens.headers(roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)
    other = tokens.headers(roles=[Role.SUPERVISORY_OFFICER], unit=OTHER_UNIT)
    assert client.get(f"/incidents/{created['incident_id']}", headers=mine).status_code == 200
    assert client.get(f"/incidents/{created['incident_id']}", headers=other).status_code == 404
    assert len(client.get("/incidents", headers=mine).json()["data"]) == 1
    assert client.get("/incidents", headers=other).json()["data"] == []
    plan = client.post(
        f"/incidents/{created['incident_id']}/plan", json={"plan": "x"}, headers=other
    )
    assert plan.status_code == 404


def test_customs_systems_read_everything_but_do_not_act(
    client, registry, file_notice, tokens
) -> None:
    created = file_notice().json()
    system = tokens.headers(subject="vnaccs", roles=[Role.CUSTOMS_SYSTEM], unit=None)
    assert client.get(f"/incidents/{created['incident_id']}", headers=system).status_code == 200
    assert len(client.get("/incidents", headers=system).json()["data"]) == 1
    plan = client.post(
        f"/incidents/{created['incident_id']}/plan", json={"plan": "x"}, headers=system
    )
    assert plan.status_code == 403


def test_roles_without_incident_access_are_refused(client, registry, file_notice, tokens) -> None:
    created = file_notice().json()
    it = tokens.headers(roles=[Role.IT_OPERATOR], unit=UNIT)
    assert client.get(f"/incidents/{created['incident_id']}", headers=it).status_code == 403
    assert client.get("/incidents", headers=it).status_code == 403
    assert client.get("/incidents").status_code == 401
