"""End-to-end helpers: machine-client tokens and the demo EPEs, all through the gateway.

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

# The registry's records of the demo EPEs the access seed refers to (EPE-DEMO-01 is the one
# assigned to the demo officer). Valid MSTs: the 10th digit is the check digit.
DEMO_EPE_RECORDS: dict[str, dict[str, Any]] = {
    "EPE-DEMO-01": {
        "name": "Công ty TNHH Điện tử Kinh Bắc (demo)",
        "address": "Lô C5, KCN Quế Võ, phường Phương Liễu, Bắc Ninh",
        "tax_code": "2301234566",
        "investment_certificate_date": "2019-06-14",
    },
    "EPE-DEMO-02": {
        "name": "Công ty TNHH May mặc Yên Phong (demo)",
        "address": "Lô B2, KCN Yên Phong, xã Long Châu, Bắc Ninh",
        "tax_code": "2307654327",
        "investment_certificate_date": "2022-09-01",
    },
}


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
    """The demo EPEs as the registry holds them, registered by the customs system if missing."""
    token = client_credentials_token(stack, demo_account(stack, "customs_system"))
    unit = demo_account(stack, "officer")["unit"]
    records = {}
    with httpx.Client(base_url=stack.url, headers=bearer(token), timeout=30) as api:
        for epe_id, record in DEMO_EPE_RECORDS.items():
            found = api.get(f"/api/registry/epes/{epe_id}")
            if found.status_code == 404:
                found = api.post("/api/registry/epes", json={"id": epe_id, "unit": unit, **record})
                assert found.status_code == 201, found.text
            assert found.status_code == 200 or found.status_code == 201, found.text
            records[epe_id] = found.json()
    return records
