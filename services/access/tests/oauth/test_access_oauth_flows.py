"""OAuth 2 / OIDC flows end to end through the HTTP API."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from joserfc import jwt
from joserfc.jwk import KeySet

from servicekit.auth import Principal

ISSUER = "http://127.0.0.1:8000/api/access"
REDIRECT = "http://127.0.0.1:8000/callback"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_discovery_and_jwks(client, flows):
    flows.officer_tokens("officer")  # a key exists once a token was issued
    config = client.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == ISSUER
    assert config["token_endpoint"] == ISSUER + "/oauth/token"
    assert config["code_challenge_methods_supported"] == ["S256"]
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert keys and all("d" not in k and k["kid"] and k["alg"] == "ES256" for k in keys)


def test_pkce_flow_issues_tokens_with_the_claims_services_read(client, flows, world, clock):
    tokens = flows.officer_tokens("officer", nonce="n1")
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"] and tokens["id_token"]
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    claims = jwt.decode(tokens["access_token"], keys, algorithms=["ES256"]).claims
    jwt.JWTClaimsRegistry(
        now=lambda: int(clock().timestamp()),
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": "camwatch"},
        exp={"essential": True},
    ).validate(claims)
    principal = Principal.from_claims(claims)
    assert principal.subject == world.user_id("officer")
    assert principal.roles == {"supervisory_officer"}
    assert principal.unit == "HQ-KCX-BN"
    assert principal.client_id == "camwatch-spa"
    assert principal.amr == ("pwd", "otp")
    assert claims["aud"] == "camwatch" and claims["jti"] and claims["auth_time"]
    id_claims = jwt.decode(tokens["id_token"], keys).claims
    assert id_claims["aud"] == ["camwatch-spa"] and id_claims["nonce"] == "n1"
    assert id_claims["preferred_username"] == "nguyen.van.a" and id_claims["unit"] == "HQ-KCX-BN"
    assert id_claims["unit_name"].startswith("Chi cục Hải quan")
    me = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["roles"] == ["supervisory_officer"]


def test_public_client_must_use_pkce_s256(client, flows):
    transaction = flows.signin("officer")
    base = {
        "response_type": "code",
        "client_id": "camwatch-spa",
        "redirect_uri": REDIRECT,
        "state": "x",
        "signin": transaction,
    }
    missing = client.get("/oauth/authorize", params=base, follow_redirects=False)
    assert missing.status_code == 302 and "error=invalid_request" in missing.headers["location"]
    plain = client.get(
        "/oauth/authorize",
        params={**base, "code_challenge": "a" * 43, "code_challenge_method": "plain"},
        follow_redirects=False,
    )
    assert "error=invalid_request" in plain.headers["location"]


def test_code_needs_the_right_verifier_and_is_single_use(client, flows):
    verifier, challenge = flows.pkce()
    code = flows.authorize(flows.signin("officer"), challenge=challenge)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "camwatch-spa",
    }
    wrong = client.post("/oauth/token", data={**form, "code_verifier": "b" * 50})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["status"] == 400  # problem members too
    first = client.post("/oauth/token", data={**form, "code_verifier": verifier})
    assert first.status_code == 200
    again = client.post("/oauth/token", data={**form, "code_verifier": verifier})
    assert again.status_code == 400
    # the reuse revoked what the code had produced
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get("/userinfo", headers=headers).status_code == 401


def test_authorize_without_signin_redirects_login_required(client, flows):
    _, challenge = flows.pkce()
    response = client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "camwatch-spa",
            "redirect_uri": REDIRECT,
            "state": "abc",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "error=login_required" in response.headers["location"]
    assert "state=abc" in response.headers["location"]


def test_unknown_redirect_uri_is_not_followed(client, flows):
    _, challenge = flows.pkce()
    response = client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "camwatch-spa",
            "redirect_uri": "https://evil.example/cb",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_client_credentials_for_epe_vendor_and_customs_system(client, flows, world):
    epe = claims_of(flows.client_token("epe_vendor_1"))
    assert epe["roles"] == ["epe_client"] and epe["epe_id"] == "EPE-DEMO-01"
    assert epe["sub"] == "epe-demo-01-vendor" and epe["unit"] == "HQ-KCX-BN"
    customs = claims_of(flows.client_token("customs_system"))
    assert customs["roles"] == ["customs_system"] and "epe_id" not in customs
    bad = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("epe-demo-01-vendor", "wrong-secret"),
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    post_auth = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "vnaccs-demo",
            "client_secret": world.accounts["customs_system"]["client_secret"],
        },
    )
    assert post_auth.status_code == 200
    spa = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "camwatch-spa"}
    )
    assert spa.status_code in (400, 401)


def test_refresh_rotates_and_reuse_revokes_the_family(client, flows):
    tokens = flows.officer_tokens("officer")
    first = tokens["refresh_token"]
    rotated = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first, "client_id": "camwatch-spa"},
    )
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    new_access = rotated.json()["access_token"]
    headers = {"Authorization": f"Bearer {new_access}"}
    assert client.get("/userinfo", headers=headers).status_code == 200
    # the old refresh token comes back: theft assumed, the whole family is revoked
    reused = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first, "client_id": "camwatch-spa"},
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    after = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second, "client_id": "camwatch-spa"},
    )
    assert after.status_code == 400
    assert client.get("/userinfo", headers=headers).status_code == 401


def test_revocation_and_introspection(client, flows, world):
    tokens = flows.officer_tokens("officer")
    introspector = (
        world.accounts["introspector"]["client_id"],
        world.accounts["introspector"]["client_secret"],
    )
    active = client.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, auth=introspector
    )
    assert active.status_code == 200
    body = active.json()
    assert body["active"] is True and body["sub"] == world.user_id("officer")
    assert body["roles"] == ["supervisory_officer"]
    # an EPE client may introspect only its own tokens
    epe = ("epe-demo-01-vendor", world.accounts["epe_vendor_1"]["client_secret"])
    other = client.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=epe)
    assert other.json() == {"active": False}
    own = client.post(
        "/oauth/introspect", data={"token": flows.client_token("epe_vendor_1")}, auth=epe
    )
    assert own.json()["active"] is True and own.json()["epe_id"] == "EPE-DEMO-01"
    # public clients cannot introspect
    public = client.post(
        "/oauth/introspect", data={"token": tokens["access_token"], "client_id": "camwatch-spa"}
    )
    assert public.status_code in (400, 401)
    # revoking the refresh token ends the sign-in (RFC 7009)
    revoked = client.post(
        "/oauth/revoke",
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": "camwatch-spa",
        },
    )
    assert revoked.status_code == 200
    after = client.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, auth=introspector
    )
    assert after.json() == {"active": False}
    refresh = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "camwatch-spa",
        },
    )
    assert refresh.status_code == 400
    # unknown tokens: 200 and nothing happens (RFC 7009 2.2)
    assert (
        client.post(
            "/oauth/revoke", data={"token": "nonsense", "client_id": "camwatch-spa"}
        ).status_code
        == 200
    )


def test_signing_key_rotation_keeps_old_key_published_until_tokens_expire(
    client, flows, world, clock
):
    old = flows.officer_tokens("officer")["access_token"]
    old_kid = json.loads(base64.urlsafe_b64decode(old.split(".")[0] + "=="))["kid"]
    it = flows.officer_headers("it_operator")
    rotated = client.post("/signing-keys/rotate", params={"activate_in": 0}, headers=it)
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= kids
    new = flows.client_token("customs_system")
    assert json.loads(base64.urlsafe_b64decode(new.split(".")[0] + "=="))["kid"] == new_kid
    clock.advance(world.runtime.settings.access_token_ttl + 120)
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert old_kid not in kids and new_kid in kids


def test_expired_rows_are_purged(client, flows, world, clock):
    from sqlalchemy import func
    from sqlmodel import select

    from access.oauth.maintenance import purge_expired
    from access.oauth.models import IssuedAccessToken, RefreshToken

    flows.officer_tokens("officer")
    with world.session() as session:
        assert purge_expired(session, now=clock()) == 0
        later = clock() + timedelta(days=2)
        assert purge_expired(session, now=later) > 0
        session.commit()
        assert session.exec(select(func.count()).select_from(IssuedAccessToken)).one() == 0
        assert session.exec(select(func.count()).select_from(RefreshToken)).one() == 0


def test_control_characters_in_oauth_parameters_are_an_invalid_request(client):
    """Unknown parameters are ignored (RFC 6749 §3.2), but a NUL must not reach the database."""
    forms = {
        "/oauth/token": {"grant_type": "client_credentials", "client_id": "a\x00b"},
        "/oauth/revoke": {"token": "t", "client_id": "a\x00b", "client_secret": "x"},
        "/oauth/introspect": {"token": "t\x00", "client_id": "a", "client_secret": "x"},
    }
    for path, form in forms.items():
        response = client.post(path, data={**form, "client_secret": "x"})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"] == "invalid_request"
    basic = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("a\x00b", "secret")
    )
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    ignored = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "vendor_extra": "1"},
        auth=("nobody", "secret"),
    )
    assert ignored.status_code == 401 and ignored.json()["error"] == "invalid_client"
