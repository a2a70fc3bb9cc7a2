"""The kit's command-line sign-in (`servicekit.signin`) against a real access app, mounted under
`/api/access` as the gateway serves it; the person approves (or denies) while the tool polls."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from servicekit.signin import SigninFailed, device_signin

CODE_LINE = "enter the code "


@pytest.fixture
def gateway(app, client) -> Iterator[TestClient]:
    """The access app (started by `client`) under the gateway's prefix."""
    yield TestClient(Starlette(routes=[Mount("/api/access", app=app)]))


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def person(
    client, clock, lines: list[str], headers: dict[str, str], decision: str
) -> Callable[[float], None]:
    """A `sleep` for the tool: the clock moves on, and after the tool's first poll the person
    types the code it printed into the SPA's decision route."""
    state = {"polls": 0}

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        state["polls"] += 1
        if state["polls"] == 2:  # once the tool has seen authorization_pending
            code = next(line for line in lines if CODE_LINE in line).split(CODE_LINE)[1]
            response = client.post(
                "/oauth/device/decisions",
                json={"user_code": code, "decision": decision},
                headers=headers,
            )
            assert response.status_code == 200, response.text

    return sleep


def test_the_tool_gets_the_approving_persons_token(gateway, client, flows, world, clock):
    headers = flows.officer_headers("it_operator")
    lines: list[str] = []
    token = device_signin(
        gateway,
        tell=lines.append,
        sleep=person(client, clock, lines, headers, "approve"),
        monotonic=lambda: clock().timestamp(),
    )
    claims = claims_of(token)
    assert claims["sub"] == world.user_id("it_operator") and claims["roles"] == ["it_operator"]
    assert claims["client_id"] == "camwatch-cli"
    printed = "\n".join(lines)
    assert "http://127.0.0.1:8000/device?user_code=" in printed
    assert token not in printed and "device_code" not in printed
    assert printed.endswith("Signed in.")


def test_a_denied_sign_in_fails(gateway, client, flows, clock):
    headers = flows.officer_headers("officer")
    lines: list[str] = []
    with pytest.raises(SigninFailed, match="denied"):
        device_signin(
            gateway,
            tell=lines.append,
            sleep=person(client, clock, lines, headers, "deny"),
            monotonic=lambda: clock().timestamp(),
        )


def test_nobody_approves_and_the_code_expires(gateway, client, clock):
    def sleep(seconds: float) -> None:
        clock.advance(seconds + 100)

    with pytest.raises(SigninFailed, match="expired"):
        device_signin(
            gateway, tell=lambda line: None, sleep=sleep, monotonic=lambda: clock().timestamp()
        )


def test_an_unknown_client_is_refused(gateway):
    with pytest.raises(SigninFailed, match="invalid_client"):
        device_signin(gateway, client_id="not-a-client", tell=lambda line: None)
