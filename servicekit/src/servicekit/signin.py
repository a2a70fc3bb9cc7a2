"""A person signs a command-line tool in: the OAuth 2.0 device authorization grant (RFC 8628)
through the gateway, so nobody copies an access token out of a browser.

The tool asks access for a device code, shows the person the SPA's `/device` address and a
short code, and polls the token endpoint as the server says (`interval`, `slow_down`) until the
person approves or denies it there, or the code expires. The token it gets is the person's own
(their roles and unit). Only the address and the user code are shown: the device code and the
token never leave this module but as its return value.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

CLI_CLIENT_ID = "camwatch-cli"
"""The access service's public client for command-line tools (`ACCESS_CLI_CLIENT_ID`)."""

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_AUTHORIZATION_PATH = "/api/access/oauth/device_authorization"
TOKEN_PATH = "/api/access/oauth/token"  # noqa: S105 (a path, not a secret)

SLOW_DOWN_STEP = 5
"""RFC 8628 section 3.5: after `slow_down`, wait 5 s longer from then on."""

MAX_NETWORK_WAIT = 60
"""The longest wait after failed connections (RFC 8628 section 3.5: back off)."""


class SigninFailed(Exception):
    """The person denied the sign-in, the code expired, or access refused the request."""


@dataclass(frozen=True)
class DeviceAuthorization:
    """What access answered to the device authorization request (RFC 8628 section 3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    """The RFC 6749 `error` and a description for a refused request (any body)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return "server_error", f"HTTP {response.status_code}"
    error = str(body.get("error") or "server_error")
    detail = str(body.get("error_description") or body.get("detail") or error)
    return error, detail


def request_device_code(
    http: httpx.Client, *, client_id: str = CLI_CLIENT_ID
) -> DeviceAuthorization:
    """Step one: a device code and the user code the person types in the SPA."""
    try:
        response = http.post(DEVICE_AUTHORIZATION_PATH, data={"client_id": client_id})
    except httpx.HTTPError as exc:
        raise SigninFailed(f"cannot reach the gateway to sign in: {exc}") from exc
    if response.status_code != 200:
        error, detail = _oauth_error(response)
        raise SigninFailed(f"access refused the sign-in request: {error}: {detail}")
    body = response.json()
    return DeviceAuthorization(
        device_code=str(body["device_code"]),
        user_code=str(body["user_code"]),
        verification_uri=str(body["verification_uri"]),
        verification_uri_complete=body.get("verification_uri_complete"),
        expires_in=int(body["expires_in"]),
        interval=max(1, int(body.get("interval", 5))),
    )


def poll_for_token(
    http: httpx.Client,
    authorization: DeviceAuthorization,
    *,
    client_id: str = CLI_CLIENT_ID,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> str:
    """Step two: poll the token endpoint every `interval` seconds until the person decides;
    the access token once they approve."""
    interval = authorization.interval
    deadline = monotonic() + authorization.expires_in
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": authorization.device_code,
        "client_id": client_id,
    }
    wait = interval
    while True:
        sleep(wait)
        if monotonic() > deadline:
            raise SigninFailed("the sign-in code expired before it was approved; run again")
        try:
            response = http.post(TOKEN_PATH, data=form)
        except httpx.TransportError:
            wait = min(wait * 2, MAX_NETWORK_WAIT)  # back off while the network is down
            continue
        if response.status_code == 200:
            return str(response.json()["access_token"])
        error, detail = _oauth_error(response)
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
        wait = interval
        if error in ("authorization_pending", "slow_down"):
            continue
        if error == "access_denied":
            raise SigninFailed("the sign-in was denied in the browser")
        if error == "expired_token":
            raise SigninFailed("the sign-in code expired before it was approved; run again")
        if response.status_code == 429 or response.status_code >= 500:
            interval += SLOW_DOWN_STEP  # the gateway or access is busy: poll less often
            wait = interval
            continue
        raise SigninFailed(f"access refused the sign-in: {error}: {detail}")


def device_signin(
    http: httpx.Client,
    *,
    client_id: str = CLI_CLIENT_ID,
    tell: Callable[[str], None] = _stderr,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> str:
    """Sign a person in through the gateway `http` points at: show where to approve, wait for
    it, return their access token. `SigninFailed` when denied, expired or refused."""
    authorization = request_device_code(http, client_id=client_id)
    minutes = max(1, authorization.expires_in // 60)
    tell("Sign in to camwatch to continue.")
    if authorization.verification_uri_complete:
        tell(f"Open {authorization.verification_uri_complete}")
        tell(
            f"or open {authorization.verification_uri} and enter the code {authorization.user_code}"
        )
    else:
        tell(f"Open {authorization.verification_uri} and enter the code {authorization.user_code}")
    tell(f"then approve it (the code is valid {minutes} minutes). Waiting for approval...")
    token = poll_for_token(
        http, authorization, client_id=client_id, sleep=sleep, monotonic=monotonic
    )
    tell("Signed in.")
    return token


def access_token(
    token: str | None,
    *,
    gateway: str,
    transport: httpx.BaseTransport | None = None,
    tell: Callable[[str], None] = _stderr,
) -> str:
    """The token a tool was given (`--token` / `CAMWATCH_TOKEN`), else a device sign-in of the
    person running it through the gateway at `gateway`."""
    if token:
        return token
    with httpx.Client(base_url=gateway.rstrip("/"), timeout=30, transport=transport) as http:
        return device_signin(http, tell=tell)
