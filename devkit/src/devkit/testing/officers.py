"""An officer signed in through a gateway as the SPA does it (password, TOTP, PKCE), for
end-to-end and scaled-out tests."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any

import httpx

from devkit.testing.http import bearer
from devkit.testing.stack import DemoAccount, Stack
from devkit.testing.totp import fresh_code


class OfficerSession:
    """An officer signed in through the gateway as the SPA does it: `/signin` (password),
    `/signin/totp` (a fresh code from the seeded secret), `/oauth/authorize` with PKCE S256,
    then the code at `/oauth/token`. `headers()` refreshes the access token when it nears
    its expiry (the refresh token rotates)."""

    CLIENT_ID = "camwatch-spa"

    def __init__(self, stack: Stack, account: DemoAccount) -> None:
        self.stack = stack
        self.account = account
        self.redirect_uri = f"{stack.url}/callback"
        self.token: dict[str, Any] = {}
        self.expires_at = 0.0
        self._http = httpx.Client(base_url=f"{stack.url}/api/access", timeout=30)
        self._sign_in()

    def headers(self) -> dict[str, str]:
        if time.monotonic() > self.expires_at - 30:
            self._refresh()
        return bearer(self.token)

    def close(self) -> None:
        self._http.close()

    def _sign_in(self) -> None:
        started = self._http.post(
            "/signin",
            json={"username": self.account.username, "password": self.account.password},
        )
        assert started.status_code == 200, started.text
        transaction = started.json()["transaction"]
        self._second_factor(transaction)
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(16)
        authorized = self._http.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": self.CLIENT_ID,
                "redirect_uri": self.redirect_uri,
                "scope": "openid profile",
                "state": state,
                "nonce": secrets.token_urlsafe(16),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "signin": transaction,
            },
        )
        assert authorized.status_code in (302, 303), authorized.text
        location = httpx.URL(authorized.headers["location"])
        assert str(location.copy_with(query=None)) == self.redirect_uri, location
        assert location.params.get("state") == state, location
        code = location.params.get("code")
        assert code, f"no authorization code in {location}"
        self._store(
            self._http.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "client_id": self.CLIENT_ID,
                    "code_verifier": verifier,
                },
            )
        )

    def _second_factor(self, transaction: str) -> None:
        """A TOTP code no other sign-in in this process has used (`devkit.testing.totp`)."""
        answer = self._http.post(
            "/signin/totp",
            json={"transaction": transaction, "code": fresh_code(self.account["totp_secret"])},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["stage"] == "authenticated", answer.text

    def _refresh(self) -> None:
        self._store(
            self._http.post(
                "/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.token["refresh_token"],
                    "client_id": self.CLIENT_ID,
                },
            )
        )

    def _store(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        self.token = response.json()
        self.expires_at = time.monotonic() + float(self.token["expires_in"])
