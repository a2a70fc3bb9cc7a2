"""A sign-in revoked at the access service (the SPA signing out) is refused by the registry and
the incidents service within seconds, through the gateway of the running stack."""

from __future__ import annotations

import time

import httpx


def test_a_revoked_sign_in_is_refused_by_registry_and_incidents_within_seconds(
    stack, officer_session
):
    # A sign-in of its own: revoking the shared one would sign other tests out.
    session = officer_session("head", fresh=True)
    headers = session.headers()
    reads = [f"{stack.url}/api/registry/epes", f"{stack.url}/api/incidents/incidents"]
    for url in reads:
        response = httpx.get(url, headers=headers, timeout=30)
        assert response.status_code == 200, (url, response.text)

    revoked = httpx.post(
        f"{stack.url}/api/access/oauth/revoke",
        data={"token": session.token["refresh_token"], "client_id": session.CLIENT_ID},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text

    deadline = time.monotonic() + 5
    pending = list(reads)
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            response = httpx.get(url, headers=headers, timeout=30)
            if response.status_code == 401:
                assert response.json()["detail"] == "access token has been revoked"
                pending.remove(url)
            else:
                assert response.status_code == 200, (url, response.text)
        time.sleep(0.1)
    assert not pending, f"still accepted 5 s after the revocation: {pending}"
