"""Moving an officer to another unit ends their grants, assignments and sign-ins there."""

from __future__ import annotations


def test_moving_unit_revokes_grants_assignments_and_sign_ins(client, flows, world):
    tokens = flows.officer_tokens("officer")
    officer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/assignments/me", headers=officer).json()["data"]
    admin = flows.officer_headers("admin")
    moved = client.post(
        f"/users/{world.user_id('officer')}/move",
        json={"unit": "HQ-KCX-TT", "reason": "transfer decision 12/QD"},
        headers=admin,
    )
    assert moved.status_code == 200 and moved.json()["unit"] == "HQ-KCX-TT"
    assert moved.json()["roles"] == []
    grants = client.get(f"/users/{world.user_id('officer')}/grants", headers=admin).json()["data"]
    assert grants and all(g["revoked_at"] and g["revoke_reason"] for g in grants)
    # the old sign-in is over: access token revoked, refresh token refused
    assert client.get("/userinfo", headers=officer).status_code == 401
    refresh = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "camwatch-spa",
        },
    )
    assert refresh.status_code == 400
    fresh = flows.officer_headers("officer")
    assert client.get("/assignments/me", headers=fresh).json()["data"] == []
