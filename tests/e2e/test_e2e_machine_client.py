"""A machine client through the gateway: client credentials at the access service's token
endpoint, then a protected call to another service; without a valid token, 401 problem+json."""

from __future__ import annotations

import base64
import json

import httpx

PROBLEM_JSON = "application/problem+json"


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bearer(token: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["title"]
    assert "traceback" not in response.text.lower()


def test_customs_system_gets_a_token_and_reads_the_registry_through_the_gateway(
    stack, account, machine_token
):
    customs = account("customs_system")
    token = machine_token("customs_system")
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] > 0
    assert "refresh_token" not in token, "machine clients authenticate again instead"
    claims = _claims(token["access_token"])
    assert claims["iss"] == f"{stack.url}/api/access"
    assert claims["sub"] == customs["client_id"]
    assert "customs_system" in claims["roles"]

    response = httpx.get(f"{stack.url}/api/registry/epes", headers=bearer(token), timeout=30)
    assert response.status_code == 200, response.text
    page = response.json()
    assert isinstance(page["data"], list)
    assert "next_cursor" in page
    assert response.headers["x-request-id"]


def test_the_same_call_without_a_valid_token_is_401_problem_json(stack):
    url = f"{stack.url}/api/registry/epes"
    _assert_unauthorized(httpx.get(url, timeout=30))
    _assert_unauthorized(httpx.get(url, headers={"Authorization": "Bearer not-a-jwt"}, timeout=30))
    _assert_unauthorized(
        httpx.get(url, headers={"Authorization": "Basic dXNlcjpwdw=="}, timeout=30)
    )


def test_a_wrong_client_secret_gets_no_token(stack, account):
    customs = account("customs_system")
    response = httpx.post(
        f"{stack.url}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(customs["client_id"], customs["client_secret"] + "-wrong"),
        timeout=30,
    )
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.text


def test_an_epe_vendor_reads_its_own_epe_and_not_another(stack, account, machine_token, demo_epes):
    vendor = account("epe_vendor_1")
    own, other = vendor["epe_id"], next(e for e in demo_epes if e != vendor["epe_id"])
    token = machine_token("epe_vendor_1")
    assert _claims(token["access_token"])["epe_id"] == own
    with httpx.Client(base_url=stack.url, headers=bearer(token), timeout=30) as api:
        mine = api.get(f"/api/registry/epes/{own}")
        assert mine.status_code == 200, mine.text
        assert mine.json()["tax_code"] == demo_epes[own]["tax_code"]
        theirs = api.get(f"/api/registry/epes/{other}")
        assert theirs.status_code == 403, theirs.text
        assert theirs.headers["content-type"].startswith(PROBLEM_JSON)
        assert demo_epes[other]["name"] not in theirs.text
        listed = api.get("/api/registry/epes")
        assert listed.status_code == 200, listed.text
        assert [epe["id"] for epe in listed.json()["data"]] == [own]
