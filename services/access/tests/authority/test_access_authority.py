"""Authority codes: prepared by an administrator, approved by the unit head, never one's own;
separation of duties; heads and auditors see what their unit allows."""

from __future__ import annotations

import pytest

from servicekit.auth import Role


def new_officer(client, admin, username: str, unit: str = "HQ-KCX-BN") -> str:
    response = client.post(
        "/users",
        json={"username": username, "full_name": username.title(), "unit": unit},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["user"]["id"])


def prepare(client, admin, user_id: str, role: str, action: str = "grant"):
    return client.post(
        "/authority/requests",
        json={"user_id": user_id, "role": role, "action": action, "reason": "needs it for duty"},
        headers=admin,
    )


def roles_of(client, headers, user_id: str) -> list[str]:
    return list(client.get(f"/users/{user_id}", headers=headers).json()["roles"])


def test_grant_takes_effect_only_after_the_head_approves(client, flows, world):
    admin = flows.officer_headers("admin")
    head = flows.officer_headers("head")
    user_id = new_officer(client, admin, "dang.van.g")
    request = prepare(client, admin, user_id, Role.SUPERVISORY_OFFICER)
    assert request.status_code == 201 and request.json()["status"] == "pending"
    assert roles_of(client, admin, user_id) == []
    queue = client.get("/authority/requests", params={"status": "pending"}, headers=head).json()[
        "data"
    ]
    assert [r["id"] for r in queue] == [request.json()["id"]]
    approved = client.post(
        f"/authority/requests/{request.json()['id']}/approve", json={"note": "ok"}, headers=head
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert roles_of(client, admin, user_id) == ["supervisory_officer"]
    again = client.post(
        f"/authority/requests/{request.json()['id']}/approve", json={}, headers=head
    )
    assert again.status_code == 409
    # revocation goes the same way
    revoke = prepare(client, admin, user_id, Role.SUPERVISORY_OFFICER, action="revoke")
    client.post(f"/authority/requests/{revoke.json()['id']}/approve", json={}, headers=head)
    assert roles_of(client, admin, user_id) == []


def test_only_the_head_of_that_unit_approves(client, flows, world):
    admin = flows.officer_headers("admin")
    user_id = new_officer(client, admin, "bui.thi.h")
    request_id = prepare(client, admin, user_id, Role.AUDITOR).json()["id"]
    other_head = flows.officer_headers("other_head")
    refused = client.post(f"/authority/requests/{request_id}/approve", json={}, headers=other_head)
    assert refused.status_code == 403
    officer = flows.officer_headers("officer")
    assert (
        client.post(
            f"/authority/requests/{request_id}/approve", json={}, headers=officer
        ).status_code
        == 403
    )
    rejected = client.post(
        f"/authority/requests/{request_id}/reject",
        json={"note": "not needed"},
        headers=flows.officer_headers("head"),
    )
    assert rejected.json()["status"] == "rejected"


def test_nobody_approves_their_own_request(client, flows, world):
    admin = flows.officer_headers("admin")
    head = flows.officer_headers("head")
    # the head asks for an extra role for themselves: they may not approve it
    request_id = prepare(client, admin, world.user_id("head"), Role.AUDITOR).json()["id"]
    own = client.post(f"/authority/requests/{request_id}/approve", json={}, headers=head)
    assert own.status_code == 403 and "themselves" in own.json()["detail"]
    # a head who is also a user administrator cannot approve what they prepared
    request_id = prepare(client, admin, world.user_id("head"), Role.USER_ADMINISTRATOR).json()["id"]
    client.post(
        f"/authority/requests/{request_id}/approve",
        json={},
        headers=flows.officer_headers("other_head"),
    )
    user_id = new_officer(client, admin, "ngo.van.i")
    with world.session() as session:
        from access.authority import service as authority
        from access.context import AuditContext
        from access.officers.models import User

        head_user = session.get(User, world.user_id("head"))
        authority.grant_directly(
            session,
            user=head_user,
            role=Role.USER_ADMINISTRATOR,
            approved_by="test",
            reason="test",
            context=AuditContext.system("test"),
            now=world.runtime.clock.now(),
        )
        session.commit()
    head_admin = flows.officer_headers("head")
    mine = prepare(client, head_admin, user_id, Role.SUPERVISORY_OFFICER).json()["id"]
    refused = client.post(f"/authority/requests/{mine}/approve", json={}, headers=head_admin)
    assert refused.status_code == 403 and "prepared" in refused.json()["detail"]


def test_separation_of_duties_it_operator_vs_data_roles(client, flows, world):
    admin = flows.officer_headers("admin")
    # the demo IT operator may not become an auditor or a user administrator
    for role in (Role.AUDITOR, Role.USER_ADMINISTRATOR):
        refused = prepare(client, admin, world.user_id("it_operator"), role)
        assert refused.status_code == 409
        body = refused.json()
        assert body["type"].endswith("/separation-of-duties")
        assert body["title"] == "Separation of duties" and "it_operator" in body["detail"]
        assert refused.headers["content-type"].startswith("application/problem+json")
    # the other way round too
    assert prepare(client, admin, world.user_id("auditor"), Role.IT_OPERATOR).status_code == 409
    # and at approval time, when the roles changed after preparing
    user_id = new_officer(client, admin, "ly.van.j")
    head = flows.officer_headers("head")
    first = prepare(client, admin, user_id, Role.IT_OPERATOR).json()["id"]
    second = prepare(client, admin, user_id, Role.AUDITOR).json()["id"]
    assert (
        client.post(f"/authority/requests/{first}/approve", json={}, headers=head).status_code
        == 200
    )
    late = client.post(f"/authority/requests/{second}/approve", json={}, headers=head)
    assert late.status_code == 409 and late.json()["type"].endswith("/separation-of-duties")


def test_machine_roles_are_not_authority_codes(client, flows, world):
    admin = flows.officer_headers("admin")
    response = prepare(client, admin, world.user_id("officer"), Role.EPE_CLIENT)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.role"


@pytest.mark.parametrize("role", ["head", "auditor", "admin"])
def test_heads_see_their_unit_only(client, flows, world, role):
    headers = flows.officer_headers(role)
    listed = client.get("/users", headers=headers)
    assert listed.status_code == 200
    units = {u["unit"] for u in listed.json()["data"]}
    if role == "head":
        assert units == {"HQ-KCX-BN"}
        assert (
            client.get("/users", params={"unit": "HQ-KCX-TT"}, headers=headers).status_code == 403
        )
        assert (
            client.get(f"/users/{world.user_id('other_head')}", headers=headers).status_code == 403
        )
    else:
        assert units == {"HQ-KCX-BN", "HQ-KCX-TT"}
