"""Small helpers for tests that talk HTTP to a running stack (the end-to-end tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

PROBLEM_JSON = "application/problem+json"


def bearer(token: dict[str, Any]) -> dict[str, str]:
    """The Authorization header for an OAuth token response."""
    return {"Authorization": f"Bearer {token['access_token']}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and no stack trace; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "traceback" not in response.text.lower()
    return body


def poll(
    what: str, probe: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.25
) -> Any:
    """`probe()` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s", pytrace=False)
        time.sleep(interval)
