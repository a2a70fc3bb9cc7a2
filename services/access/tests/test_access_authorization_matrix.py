"""Every route x every role: who may call what (plus anonymous callers and cross-EPE access).

A call is "allowed" when it is neither 401 nor 403 (it may still be 404/409/422 on its data);
a role outside the route's set must get 403, an anonymous caller 401. Tokens are real: officers
sign in (password + TOTP + PKCE), machine clients use client credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from access.clients.models import ClientKind
from access.clients.service import create_client
from access.context import AuditContext
from access.vault.models import VaultEntry
from servicekit.auth import Role

O, H, A = Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.USER_ADMINISTRATOR  # noqa: E741
U, I, E, C = Role.AUDITOR, Role.IT_OPERATOR, Role.EPE_CLIENT, Role.CUSTOMS_SYSTEM  # noqa: E741
PERSONS = frozenset({O, H, A, U, I})
EVERYONE = PERSONS | {E, C}

ACCOUNT_OF = {
    O: "officer",
    H: "head",
    A: "admin",
    U: "auditor",
    I: "it_operator",
    E: "epe_vendor_1",
    C: "customs_system",
}

PUBLIC = {
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/device_authorization"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
    ("POST", "/signin"),
    ("POST", "/signin/totp"),
    ("POST", "/signin/enrollment"),
    ("POST", "/signin/enrollment/confirm"),
}


@dataclass
class Row:
    method: str
    template: str
    allowed: frozenset[str]
    path: Callable[[dict[str, Any]], str]
    body: dict[str, Any] | None = None
    ok_statuses_for_allowed: frozenset[int] = frozenset()


def fixed(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda ids: path


def rows() -> list[Row]:
    reason = {"reason": "matrix test reason"}
    secret = {"access_url": "https://nvr.example/", "account": "a", "password": "p"}
    return [
        Row("GET", "/userinfo", PERSONS, fixed("/userinfo")),
        # a code nobody was given: people get 404 (counted, well below the pause), not 403
        Row(
            "POST",
            "/oauth/device/verifications",
            PERSONS,
            fixed("/oauth/device/verifications"),
            {"user_code": "BBBB-BBBB"},
        ),
        Row(
            "POST",
            "/oauth/device/decisions",
            PERSONS,
            fixed("/oauth/device/decisions"),
            {"user_code": "BBBB-BBBB", "decision": "approve"},
        ),
        Row("POST", "/step-up", PERSONS, fixed("/step-up"), {"code": "000000"}, frozenset({401})),
        Row(
            "POST",
            "/units",
            frozenset({A}),
            fixed("/units"),
            {"code": "HQ-MATRIX", "name": "Matrix unit"},
        ),
        Row("GET", "/units", EVERYONE, fixed("/units")),
        Row(
            "POST",
            "/users",
            frozenset({A}),
            fixed("/users"),
            {"username": "matrix.user", "full_name": "M", "unit": "HQ-KCX-BN"},
        ),
        Row("GET", "/users", frozenset({A, H, U}), fixed("/users")),
        Row("GET", "/users/me", PERSONS, fixed("/users/me")),
        Row("GET", "/users/{user_id}", frozenset({A, H, U}), lambda i: f"/users/{i['officer']}"),
        Row(
            "POST",
            "/users/{user_id}/unlock",
            frozenset({A}),
            lambda i: f"/users/{i['victim']}/unlock",
            reason,
        ),
        Row(
            "POST",
            "/users/{user_id}/enrollment",
            frozenset({A}),
            lambda i: f"/users/{i['victim']}/enrollment",
            reason,
        ),
        Row(
            "GET",
            "/users/{user_id}/grants",
            frozenset({A, H, U}),
            lambda i: f"/users/{i['officer']}/grants",
        ),
        Row(
            "POST",
            "/authority/requests",
            frozenset({A}),
            fixed("/authority/requests"),
            {"user_id": "x", "role": "auditor", "reason": "matrix"},
        ),
        Row("GET", "/authority/requests", frozenset({A, H, U}), fixed("/authority/requests")),
        Row(
            "GET",
            "/authority/requests/{request_id}",
            frozenset({A, H, U}),
            lambda i: f"/authority/requests/{i['approve']}",
        ),
        Row(
            "POST",
            "/authority/requests/{request_id}/approve",
            frozenset({H}),
            lambda i: f"/authority/requests/{i['approve']}/approve",
            {},
        ),
        Row(
            "POST",
            "/authority/requests/{request_id}/reject",
            frozenset({H}),
            lambda i: f"/authority/requests/{i['reject']}/reject",
            {},
        ),
        Row(
            "POST",
            "/assignments",
            frozenset({H}),
            fixed("/assignments"),
            {"officer_id": "x", "epe_id": "EPE-DEMO-02"},
        ),
        Row("GET", "/assignments", frozenset({H, A, U}), fixed("/assignments")),
        Row(
            "POST",
            "/assignments/{assignment_id}/end",
            frozenset({H}),
            lambda i: f"/assignments/{i['assignment']}/end",
        ),
        Row("GET", "/assignments/me", PERSONS, fixed("/assignments/me")),
        Row(
            "POST",
            "/clients",
            frozenset({A}),
            fixed("/clients"),
            {"client_id": "matrix-client", "name": "Matrix", "kind": "customs_system"},
        ),
        Row("GET", "/clients", frozenset({A}), fixed("/clients")),
        Row("GET", "/clients/{client_id}", frozenset({A}), fixed("/clients/introspector")),
        Row(
            "POST",
            "/clients/{client_id}/secret",
            frozenset({A}),
            fixed("/clients/introspector/secret"),
        ),
        Row(
            "GET",
            "/camera-views/cameras/{camera_id}/snapshot",
            PERSONS,
            fixed("/camera-views/cameras/unknown-camera/snapshot"),
            ok_statuses_for_allowed=frozenset({403}),
        ),
        Row(
            "GET",
            "/camera-views/cameras/{camera_id}/live",
            PERSONS,
            fixed("/camera-views/cameras/unknown-camera/live"),
            ok_statuses_for_allowed=frozenset({403}),
        ),
        Row("GET", "/camera-views/wall", PERSONS, fixed("/camera-views/wall")),
        Row(
            "GET",
            "/camera-views/epes/{epe_id}/policy",
            PERSONS | {E},
            fixed("/camera-views/epes/EPE-DEMO-01/policy"),
            ok_statuses_for_allowed=frozenset({403}),
        ),
        Row(
            "PUT",
            "/camera-views/epes/{epe_id}/policy",
            PERSONS | {E},
            fixed("/camera-views/epes/EPE-DEMO-01/policy"),
            {"entry_id": "unknown-entry", "server_side": True},
            ok_statuses_for_allowed=frozenset({403}),
        ),
        Row(
            "POST",
            "/maintenance",
            frozenset({I}),
            fixed("/maintenance"),
            {"kind": "breakdown", "title": "Matrix", "description": "Matrix", "affects": ["all"]},
        ),
        Row("GET", "/maintenance", EVERYONE, fixed("/maintenance")),
        Row("GET", "/maintenance/{notice_id}", EVERYONE, fixed("/maintenance/unknown")),
        Row(
            "POST",
            "/maintenance/{notice_id}/decision",
            frozenset({H}),
            fixed("/maintenance/unknown/decision"),
            {"approve": True, "reason": "matrix decision"},
        ),
        Row(
            "POST",
            "/maintenance/{notice_id}/updates",
            frozenset({I}),
            fixed("/maintenance/unknown/updates"),
            {"state": "completed", "text": "matrix update"},
        ),
        Row(
            "POST",
            "/corrections",
            frozenset({I}),
            fixed("/corrections"),
            {
                "service": "registry",
                "table": "epes",
                "primary_key": {"id": "EPE-DEMO-01"},
                "changes": {"name": {"from": "A", "to": "B"}},
                "reason": "matrix correction plan",
                "supervisors": [{"name": "Matrix", "position": "Matrix"}],
            },
        ),
        Row("GET", "/corrections", frozenset({I, H, U}), fixed("/corrections")),
        Row("GET", "/corrections/{correction_id}", frozenset({I, H, U}), fixed("/corrections/x")),
        Row(
            "GET",
            "/corrections/{correction_id}/minutes",
            frozenset({I, H, U}),
            fixed("/corrections/x/minutes"),
        ),
        Row(
            "POST",
            "/corrections/{correction_id}/approve",
            frozenset({H}),
            fixed("/corrections/x/approve"),
            {},
        ),
        Row(
            "POST",
            "/corrections/{correction_id}/refuse",
            frozenset({H}),
            fixed("/corrections/x/refuse"),
            {},
        ),
        Row(
            "POST",
            "/corrections/{correction_id}/start",
            frozenset({I}),
            fixed("/corrections/x/start"),
        ),
        Row(
            "POST",
            "/corrections/{correction_id}/applied",
            frozenset({I}),
            fixed("/corrections/x/applied"),
            {
                "backup_id": "b",
                "backup_sha256": "0" * 64,
                "rows_touched": 1,
                "before": {"name": "A"},
                "after": {"name": "B"},
            },
        ),
        Row(
            "POST",
            "/corrections/{correction_id}/failed",
            frozenset({I}),
            fixed("/corrections/x/failed"),
            {"reason": "matrix failure"},
        ),
        Row("GET", "/log-digests", frozenset({I, U}), fixed("/log-digests")),
        Row("GET", "/log-digests/{digest_id}", frozenset({I, U}), fixed("/log-digests/unknown")),
        Row("POST", "/log-digests", frozenset({I, U}), fixed("/log-digests"), {}),
        Row(
            "POST",
            "/clients/{client_id}/deactivate",
            frozenset({A}),
            fixed("/clients/introspector/deactivate"),
            reason,
        ),
        Row(
            "POST",
            "/vault/entries",
            frozenset({E}),
            fixed("/vault/entries"),
            {"label": "m", "access_method": "vpn", **secret},
        ),
        Row("GET", "/vault/entries", frozenset({E, O, H, U}), fixed("/vault/entries")),
        Row(
            "GET",
            "/vault/entries/{entry_id}",
            frozenset({E, O, H, U}),
            lambda i: f"/vault/entries/{i['entry']}",
        ),
        Row(
            "PUT",
            "/vault/entries/{entry_id}/secret",
            frozenset({E}),
            lambda i: f"/vault/entries/{i['entry']}/secret",
            {"cas": 1, **secret},
        ),
        Row(
            "POST",
            "/vault/entries/{entry_id}/reveals",
            frozenset({O, H}),
            lambda i: f"/vault/entries/{i['entry']}/reveals",
            {"reason": "matrix test: checking the camera"},
        ),
        Row(
            "POST",
            "/vault/reveals/open",
            EVERYONE,
            fixed("/vault/reveals/open"),
            {"handle": "unknown-handle-value"},
        ),
        Row("GET", "/vault/master-key", frozenset({I}), fixed("/vault/master-key")),
        Row("POST", "/vault/master-key/rotate", frozenset({I}), fixed("/vault/master-key/rotate")),
        Row("GET", "/audit/records", frozenset({U}), fixed("/audit/records")),
        Row("GET", "/audit/export", frozenset({U}), fixed("/audit/export")),
        Row("GET", "/audit/verify", frozenset({U, I}), fixed("/audit/verify")),
        Row("POST", "/audit/anchors", frozenset({U, I}), fixed("/audit/anchors")),
        Row(
            "POST",
            "/audit/records/{seq}/corrections",
            frozenset({U, A}),
            fixed("/audit/records/1/corrections"),
            {"reason": "matrix correction"},
        ),
        Row("GET", "/signing-keys", frozenset({I}), fixed("/signing-keys")),
        Row("POST", "/signing-keys/rotate", frozenset({I}), fixed("/signing-keys/rotate")),
        # last: these change the victim for good (moved out, it is no longer the admin's)
        Row(
            "POST",
            "/users/{user_id}/deactivate",
            frozenset({A}),
            lambda i: f"/users/{i['victim']}/deactivate",
            reason,
        ),
        Row(
            "POST",
            "/users/{user_id}/move",
            frozenset({A}),
            lambda i: f"/users/{i['victim']}/move",
            {"unit": "HQ-KCX-TT", "reason": "matrix move"},
        ),
    ]


def setup_ids(client, flows, world, headers) -> dict[str, Any]:
    admin, head = headers[A], headers[H]
    victim = client.post(
        "/users",
        json={"username": "victim.user", "full_name": "Victim", "unit": "HQ-KCX-BN"},
        headers=admin,
    ).json()["user"]["id"]
    approve = client.post(
        "/authority/requests",
        json={"user_id": victim, "role": "supervisory_officer", "reason": "matrix"},
        headers=admin,
    ).json()["id"]
    reject = client.post(
        "/authority/requests",
        json={"user_id": victim, "role": "auditor", "reason": "matrix"},
        headers=admin,
    ).json()["id"]
    assignment = client.post(
        "/assignments",
        json={"officer_id": world.user_id("head"), "epe_id": "EPE-DEMO-02"},
        headers=head,
    ).json()["id"]
    with world.session() as session:
        entry = session.exec(select(VaultEntry).where(VaultEntry.epe_id == "EPE-DEMO-01")).one().id
    return {
        "officer": world.user_id("officer"),
        "victim": victim,
        "approve": approve,
        "reject": reject,
        "assignment": assignment,
        "entry": entry,
    }


def test_every_route_for_every_role(app, client, flows, world):
    headers = {
        role: (flows.client_headers(name) if role in (E, C) else flows.officer_headers(name))
        for role, name in ACCOUNT_OF.items()
    }
    ids = setup_ids(client, flows, world, headers)
    table = rows()
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented - PUBLIC == {(r.method, r.template) for r in table}, (
        "every protected route is in the matrix"
    )
    failures = []
    for row in table:
        path = row.path(ids)
        anonymous = client.request(row.method, path, json=row.body)
        if anonymous.status_code != 401:
            failures.append(f"anonymous {row.method} {path}: {anonymous.status_code}")
        # refused roles first (they change nothing), then the allowed ones
        for role in sorted(EVERYONE, key=lambda r: r in row.allowed):
            response = client.request(row.method, path, json=row.body, headers=headers[role])
            status = response.status_code
            if role in row.allowed:
                if status in (401, 403) and status not in row.ok_statuses_for_allowed:
                    failures.append(f"{role} {row.method} {path}: {status} {response.text[:200]}")
            elif status != 403:
                failures.append(f"{role} {row.method} {path}: expected 403, got {status}")
            assert status < 500, f"{role} {row.method} {path}: {status} {response.text}"
    assert not failures, "\n".join(failures)


def test_public_routes_need_no_token(client, flows):
    assert client.get("/.well-known/openid-configuration").status_code == 200
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert (
        client.post("/signin", json={"username": "x", "password": "y"}).status_code == 401
    )  # a wrong password, not a missing token
    assert client.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code in (
        400,
        401,
    )
    device = client.post("/oauth/device_authorization", data={"client_id": "camwatch-cli"})
    assert device.status_code == 200


def test_an_epe_client_cannot_touch_another_epes_data(client, flows, world):
    own = flows.client_headers("epe_vendor_1")
    other = flows.client_headers("other_epe")
    created = client.post(
        "/vault/entries",
        json={
            "label": "other",
            "access_method": "internet",
            "access_url": "https://o/",
            "account": "a",
            "password": "p",
        },
        headers=other,
    ).json()
    for method, path, body in (
        ("GET", f"/vault/entries/{created['id']}", None),
        (
            "PUT",
            f"/vault/entries/{created['id']}/secret",
            {"cas": 1, "access_url": "https://x/", "account": "a", "password": "p"},
        ),
        (
            "POST",
            f"/vault/entries/{created['id']}/reveals",
            {"reason": "trying to read another EPE"},
        ),
        ("GET", "/vault/entries?epe_id=EPE-OTHER-01", None),
    ):
        response = client.request(method, path, json=body, headers=own)
        assert response.status_code == 403, (method, path, response.text)
    listed = client.get("/vault/entries", headers=own).json()["data"]
    assert all(e["epe_id"] == "EPE-DEMO-01" for e in listed)
    # officers of another unit do not see it either
    assert (
        client.get(
            f"/vault/entries/{created['id']}", headers=flows.officer_headers("officer")
        ).status_code
        == 403
    )


def test_administrators_act_only_in_their_own_unit(client, flows, world):
    """A user administrator of HQ-KCX-BN may not create, change or prepare grants for users
    of HQ-KCX-TT (reads stay open to them)."""
    admin = flows.officer_headers("admin")
    other_unit = world.accounts["other_head"]["unit"]
    stranger = world.user_id("other_head")
    reason = {"reason": "cross-unit attempt"}
    attempts = [
        (
            "POST",
            "/users",
            {"username": "cross.unit", "full_name": "Cross Unit", "unit": other_unit},
        ),
        (
            "POST",
            "/authority/requests",
            {"user_id": stranger, "role": "auditor", "reason": "cross-unit attempt"},
        ),
        ("POST", f"/users/{stranger}/unlock", reason),
        ("POST", f"/users/{stranger}/enrollment", reason),
        ("POST", f"/users/{stranger}/move", {"unit": "HQ-KCX-BN", "reason": "cross-unit"}),
        ("POST", f"/users/{stranger}/deactivate", reason),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, json=body, headers=admin)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # nothing changed in the other unit
    stranger_now = client.get(f"/users/{stranger}", headers=admin).json()
    assert stranger_now["unit"] == other_unit and stranger_now["active"] is True
    assert (
        client.get("/authority/requests", params={"unit": other_unit}, headers=admin).json()["data"]
        == []
    )
    # and in their own unit they still act
    own = client.post(
        "/users",
        json={"username": "own.unit", "full_name": "Own", "unit": "HQ-KCX-BN"},
        headers=admin,
    )
    assert own.status_code == 201, own.text


def test_administrators_manage_clients_of_their_own_unit_only(app, client, flows, world):
    """An EPE vendor client of HQ-KCX-TT is out of reach of HQ-KCX-BN's administrator: not
    listed, not readable, no new secret, not deactivated, and none created there."""
    admin = flows.officer_headers("admin")
    other_unit = world.accounts["other_head"]["unit"]
    with Session(app.state.engine) as session:
        create_client(
            session,
            client_id="vendor-of-other-unit",
            name="Other unit vendor",
            kind=ClientKind.EPE_VENDOR,
            epe_id="EPE-OTHER-UNIT",
            unit=other_unit,
            runtime=app.state.runtime,
            context=AuditContext.system("test"),
            now=datetime.now(UTC),
        )
        session.commit()
    path = "/clients/vendor-of-other-unit"
    for method, url, body in [
        ("GET", path, None),
        ("POST", f"{path}/secret", None),
        ("POST", f"{path}/deactivate", {"reason": "cross-unit attempt"}),
        (
            "POST",
            "/clients",
            {
                "client_id": "x-unit",
                "name": "Cross",
                "kind": "epe_vendor",
                "unit": other_unit,
                "epe_id": "EPE-OTHER-UNIT",
            },
        ),
    ]:
        response = client.request(method, url, json=body, headers=admin)
        assert response.status_code == 403, (method, url, response.text)
    listed = {c["client_id"] for c in client.get("/clients", headers=admin).json()["data"]}
    assert "vendor-of-other-unit" not in listed and "introspector" in listed
