"""Officer sign-in: password then TOTP, lockout with back-off, enrolment, step-up, audit."""

from __future__ import annotations

import pyotp
from sqlmodel import select

from access.audit.models import AuditRecord


def actions(world, target: str | None = None) -> list[str]:
    with world.session() as session:
        query = select(AuditRecord).order_by(AuditRecord.seq)
        rows = session.exec(query).all()
    return [r.action for r in rows if target is None or r.target == target]


def test_wrong_password_and_unknown_user_look_the_same_and_are_recorded(client, world):
    wrong = client.post("/signin", json={"username": "nguyen.van.a", "password": "nope-nope-nope"})
    unknown = client.post("/signin", json={"username": "nobody.here", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["content-type"].startswith("application/problem+json")
    user = f"user:{world.user_id('officer')}"
    assert actions(world, user)[-1] == "signin.failed"
    assert actions(world, "username:nobody.here") == ["signin.failed"]


def test_totp_is_required_and_checked(client, flows, world):
    account = world.accounts["officer"]
    start = client.post(
        "/signin", json={"username": account["username"], "password": account["password"]}
    )
    assert start.json()["next"] == "totp"
    transaction = start.json()["transaction"]
    # without the TOTP step the transaction cannot be used at /oauth/authorize
    _, challenge = flows.pkce()
    early = client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "camwatch-spa",
            "redirect_uri": "http://127.0.0.1:8000/callback",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "signin": transaction,
        },
        follow_redirects=False,
    )
    assert "error=login_required" in early.headers["location"]
    bad = client.post("/signin/totp", json={"transaction": transaction, "code": "000000"})
    assert bad.status_code == 401
    good = client.post(
        "/signin/totp", json={"transaction": transaction, "code": flows.totp("officer")}
    )
    assert good.status_code == 200 and good.json()["stage"] == "authenticated"
    # a TOTP code is accepted once only
    replay_tx = client.post(
        "/signin", json={"username": account["username"], "password": account["password"]}
    ).json()["transaction"]
    same_code = pyotp.TOTP(account["totp_secret"]).at(flows.clock())
    replay = client.post("/signin/totp", json={"transaction": replay_tx, "code": same_code})
    assert replay.status_code == 401
    assert "signin.succeeded" in actions(world, f"user:{world.user_id('officer')}")


def test_lockout_with_backoff_then_recovery(client, flows, world, clock):
    account = world.accounts["officer"]
    threshold = world.runtime.settings.lockout_threshold
    for _ in range(threshold):
        response = client.post(
            "/signin", json={"username": account["username"], "password": "wrong-password!"}
        )
        assert response.status_code == 401
    locked = client.post(
        "/signin", json={"username": account["username"], "password": account["password"]}
    )
    assert locked.status_code == 423
    first_wait = int(locked.headers["Retry-After"])
    assert 0 < first_wait <= world.runtime.settings.lockout_base_seconds + 1
    clock.advance(first_wait + 1)
    # one more failure doubles the lock
    client.post("/signin", json={"username": account["username"], "password": "wrong-password!"})
    locked = client.post(
        "/signin", json={"username": account["username"], "password": account["password"]}
    )
    assert locked.status_code == 423
    assert int(locked.headers["Retry-After"]) > first_wait
    clock.advance(int(locked.headers["Retry-After"]) + 1)
    assert flows.officer_tokens("officer")["access_token"]
    assert "signin.locked_out" in actions(world, f"user:{world.user_id('officer')}")


def test_enrolment_sets_password_and_totp(client, flows):
    admin = flows.officer_headers("admin")
    created = client.post(
        "/users",
        json={"username": "vo.van.m", "full_name": "Võ Văn M", "unit": "HQ-KCX-BN"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    code = created.json()["enrollment_code"]
    assert created.json()["user"]["roles"] == [] and created.json()["user"]["enrolled"] is False
    # not enrolled yet: cannot sign in
    weak = client.post(
        "/signin/enrollment",
        json={"enrollment_code": code, "username": "vo.van.m", "password": "short"},
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "body.password"
    secret = client.post(
        "/signin/enrollment",
        json={
            "enrollment_code": code,
            "username": "vo.van.m",
            "password": "A long enough passphrase",
        },
    )
    assert secret.status_code == 200
    totp = pyotp.TOTP(secret.json()["totp_secret"])
    assert secret.json()["provisioning_uri"].startswith("otpauth://totp/")
    confirm = client.post(
        "/signin/enrollment/confirm",
        json={"enrollment_code": code, "username": "vo.van.m", "code": totp.now()},
    )
    assert confirm.status_code == 204
    again = client.post(
        "/signin/enrollment/confirm",
        json={"enrollment_code": code, "username": "vo.van.m", "code": totp.now()},
    )
    assert again.status_code == 401  # the code is spent
    start = client.post(
        "/signin", json={"username": "vo.van.m", "password": "A long enough passphrase"}
    )
    assert start.status_code == 200


def test_step_up_needs_a_fresh_code(client, flows, world):
    headers = flows.officer_headers("officer")
    bad = client.post("/step-up", json={"code": "123456"}, headers=headers)
    assert bad.status_code == 401
    good = client.post("/step-up", json={"code": flows.totp("officer")}, headers=headers)
    assert good.status_code == 200
    assert good.json()["valid_until"] > good.json()["step_up_at"]
    machine = flows.client_headers("epe_vendor_1")
    assert client.post("/step-up", json={"code": "123456"}, headers=machine).status_code == 403


def test_unknown_fields_and_control_characters_are_refused_by_name(client, flows, world):
    account = world.accounts["officer"]
    credentials = {"username": account["username"], "password": account["password"]}
    unknown = client.post("/signin", json={**credentials, "remember_me": True})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "body.remember_me", "message": "Extra inputs are not permitted"}
    ]
    nul = client.post("/signin", json={**credentials, "username": "nguyen\x00van.a"})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "body.username"
    admin = flows.officer_headers("admin")
    user = {"username": "mai.van.n", "full_name": "Mai\x00Văn N", "unit": "HQ-KCX-BN"}
    created = client.post("/users", json=user, headers=admin)
    assert created.status_code == 422 and created.json()["errors"][0]["field"] == "body.full_name"


def test_an_oversized_body_is_refused_before_it_is_parsed(client):
    response = client.post("/signin", json={"username": "a", "password": "x" * 2_000_000})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
