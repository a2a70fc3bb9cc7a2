"""End-to-end helpers: seeded accounts, machine-client tokens and the demo EPEs (all read
through the gateway).

Every request goes to `stack.url` (the gateway), as a customs system or EPE vendor software
would send it; nothing here reaches a service directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from servicekit.testing.stack import DemoAccount, Stack


def demo_account(stack: Stack, name: str) -> DemoAccount:
    """A seeded account by its seed name, or a failure listing what the seed printed."""
    account = stack.demo.get(name)
    if account is None:
        pytest.fail(
            f"the demo seed printed no {name!r} account; it printed {sorted(stack.demo)}:\n"
            + "\n".join(stack.seed_output.values()),
            pytrace=False,
        )
    return account


def client_credentials_token(stack: Stack, account: DemoAccount) -> dict[str, Any]:
    """The token response for a machine client (client_secret_basic at the token endpoint)."""
    response = httpx.post(
        f"{stack.url}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["client_id"], account["client_secret"]),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture(scope="session")
def account(stack: Stack) -> Callable[[str], DemoAccount]:
    """`account("officer")`: a seeded account by its seed name."""
    return functools.partial(demo_account, stack)


@pytest.fixture(scope="session")
def machine_token(stack: Stack) -> Callable[[str], dict[str, Any]]:
    """`machine_token("customs_system")`: a fresh token response for a seeded machine client."""
    return lambda name: client_credentials_token(stack, demo_account(stack, name))


@pytest.fixture(scope="session")
def demo_epes(stack: Stack) -> dict[str, dict[str, Any]]:
    """The registry's records of every EPE the access seed refers to (read by the customs
    system through the gateway): the two services' demo data must agree."""
    epe_ids = {account["epe_id"] for account in stack.demo.values() if account.get("epe_id")} | set(
        demo_account(stack, "officer")["assigned_epes"].split(",")
    )
    assert len(epe_ids) >= 2, f"the demo seed names too few EPEs: {epe_ids}"
    token = client_credentials_token(stack, demo_account(stack, "customs_system"))
    records = {}
    with httpx.Client(base_url=stack.url, headers=bearer(token), timeout=30) as api:
        for epe_id in sorted(epe_ids):
            found = api.get(f"/api/registry/epes/{epe_id}")
            assert found.status_code == 200, f"registry has no demo EPE {epe_id}: {found.text}"
            records[epe_id] = found.json()
    return records
