"""The device authorization grant (RFC 8628) for command-line tools, through the HTTP API."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlmodel import col, select

from access.audit.models import AuditRecord
from access.context import AuditContext
from access.oauth import device
from access.oauth.models import DeviceCode
from servicekit.auth import Principal
from servicekit.errors import Problem

CLI = "camwatch-cli"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ISSUER = "http://127.0.0.1:8000/api/access"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def start(client: Any) -> dict[str, Any]:
    response = client.post("/oauth/device_authorization", data={"client_id": CLI})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


def poll(client: Any, device_code: str) -> Any:
    return client.post(
        "/oauth/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": CLI},
    )


def decide(client: Any, headers: dict[str, str], user_code: str, decision: str) -> Any:
    return client.post(
        "/oauth/device/decisions",
        json={"user_code": user_code, "decision": decision},
        headers=headers,
    )


def actions(world: Any) -> list[str]:
    with world.session() as session:
        rows = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
        return [row.action for row in rows]


def test_discovery_advertises_the_device_endpoint_and_grant(client):
    config = client.get("/.well-known/openid-configuration").json()
    assert config["device_authorization_endpoint"] == ISSUER + "/oauth/device_authorization"
    assert DEVICE_GRANT in config["grant_types_supported"]


def test_device_authorization_answers_codes_stored_only_as_digests(client, world):
    body = start(client)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == "http://127.0.0.1:8000/device"
    assert body["verification_uri_complete"] == (
        f"http://127.0.0.1:8000/device?user_code={body['user_code']}"
    )
    assert body["expires_in"] == 600 and body["interval"] == 5
    with world.session() as session:
        row = session.exec(select(DeviceCode)).one()
    stored = json.dumps(row.model_dump(mode="json"))
    assert body["device_code"] not in stored
    assert body["user_code"].replace("-", "") not in stored
    assert "device.requested" in actions(world)


def test_only_the_cli_client_may_start_a_device_flow(client):
    spa = client.post("/oauth/device_authorization", data={"client_id": "camwatch-spa"})
    assert spa.status_code == 400 and spa.json()["error"] == "unauthorized_client"
    unknown = client.post("/oauth/device_authorization", data={"client_id": "nobody"})
    assert unknown.status_code in (400, 401) and unknown.json()["error"] == "invalid_client"
    assert unknown.headers["content-type"].startswith("application/json")


def test_pending_slow_down_then_approval_gives_the_persons_token_once(client, flows, world, clock):
    headers = flows.officer_headers("it_operator")
    codes = start(client)
    pending = poll(client, codes["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    too_soon = poll(client, codes["device_code"])
    assert too_soon.json()["error"] == "slow_down"
    clock.advance(6)  # the interval is now 10 s: still too soon, and 15 s from now on
    assert poll(client, codes["device_code"]).json()["error"] == "slow_down"
    clock.advance(11)
    assert poll(client, codes["device_code"]).json()["error"] == "slow_down"
    clock.advance(21)
    assert poll(client, codes["device_code"]).json()["error"] == "authorization_pending"

    shown = client.post(
        "/oauth/device/verifications",
        json={"user_code": codes["user_code"].lower()},  # people type it as they like
        headers=headers,
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["client_id"] == CLI and shown.json()["client_name"]
    approved = decide(client, headers, codes["user_code"].replace("-", ""), "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approve"

    clock.advance(26)
    issued = poll(client, codes["device_code"])
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert "refresh_token" not in body and "id_token" not in body
    claims = claims_of(body["access_token"])
    assert claims["sub"] == world.user_id("it_operator")
    assert claims["roles"] == ["it_operator"] and claims["unit"] == "HQ-KCX-BN"
    assert claims["client_id"] == CLI and claims["amr"] == ["pwd", "otp"]
    me = client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["sub"] == world.user_id("it_operator")

    clock.advance(26)
    again = poll(client, codes["device_code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # the code is spent: the person cannot approve it a second time either
    assert decide(client, headers, codes["user_code"], "approve").status_code == 404

    recorded = actions(world)
    for action in ("device.requested", "device.approved", "device.token_issued"):
        assert action in recorded
    # polls before the decision are not refused attempts
    assert recorded.count("token.refused") == 1  # the reuse only


def test_denied_sign_in_answers_access_denied(client, flows, world, clock):
    headers = flows.officer_headers("officer")
    codes = start(client)
    denied = decide(client, headers, codes["user_code"], "deny")
    assert denied.status_code == 200 and denied.json()["decision"] == "deny"
    answer = poll(client, codes["device_code"])
    assert answer.status_code == 400 and answer.json()["error"] == "access_denied"
    assert "device.denied" in actions(world)


def test_codes_expire(client, flows, clock):
    codes = start(client)
    clock.advance(601)
    headers = flows.officer_headers("officer")
    assert poll(client, codes["device_code"]).json()["error"] == "expired_token"
    assert decide(client, headers, codes["user_code"], "approve").status_code == 404


def test_wrong_codes_pause_the_person(client, flows, world, clock):
    headers = flows.officer_headers("officer")
    codes = start(client)
    for _ in range(4):
        assert decide(client, headers, "BBBB-BBBB", "approve").status_code == 404
    paused = decide(client, headers, "BBBB-BBBB", "approve")
    assert paused.status_code == 429 and int(paused.headers["retry-after"]) == 900
    assert paused.headers["content-type"].startswith("application/problem+json")
    # even the right code is refused while paused, and nothing is decided
    assert decide(client, headers, codes["user_code"], "approve").status_code == 429
    assert poll(client, codes["device_code"]).json()["error"] == "authorization_pending"
    recorded = actions(world)
    assert recorded.count("device.code_refused") == 5 and "device.locked_out" in recorded
    clock.advance(60)  # stays well within the officer's token and the code's lifetime
    assert decide(client, headers, codes["user_code"], "approve").status_code == 429


def test_machine_clients_and_cli_tokens_may_not_decide(client, flows, clock):
    codes = start(client)
    for name in ("epe_vendor_1", "customs_system"):
        refused = decide(client, flows.client_headers(name), codes["user_code"], "approve")
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    # a token a command-line sign-in gave cannot approve another tool's sign-in
    headers = flows.officer_headers("officer")
    assert decide(client, headers, codes["user_code"], "approve").status_code == 200
    clock.advance(6)
    tool = {"Authorization": f"Bearer {poll(client, codes['device_code']).json()['access_token']}"}
    other = start(client)
    assert decide(client, tool, other["user_code"], "approve").status_code == 403
    assert client.post("/oauth/device/decisions", json={"user_code": "BBBB-BBBB"}).status_code in (
        401,
        422,
    )


def test_malformed_user_codes_are_422(client, flows):
    headers = flows.officer_headers("officer")
    response = decide(client, headers, "12345678", "approve")
    assert response.status_code == 422


def test_two_answers_at_once_only_one_stands(client, world):
    """Both found the request pending; the second decision is a 409, not an overwrite."""
    codes = start(client)
    person = Principal(
        subject=world.user_id("officer"),
        roles=frozenset({"supervisory_officer"}),
        client_id="camwatch-spa",
        amr=("pwd", "otp"),
    )
    context = AuditContext.system("test")
    now = world.runtime.clock.now()
    with world.session() as session:
        found = [
            device.find_pending(
                session,
                user_code=codes["user_code"],
                principal=person,
                runtime=world.runtime,
                context=context,
                now=now,
            )
            for _ in range(2)
        ]
        device.decide(
            session, pending=found[0], approve=False, principal=person, context=context, now=now
        )
        with pytest.raises(Problem) as refused:
            device.decide(
                session, pending=found[1], approve=True, principal=person, context=context, now=now
            )
        assert refused.value.status == 409
        session.commit()
    assert poll(client, codes["device_code"]).json()["error"] == "access_denied"
