"""The daily log digest through the gateway of the running stack: the IT operator runs one,
the auditor reads it back, the audit chain and the dead-letter stream are really checked, and
an EPE's vendor software is refused; a service really stopped gives 503s that the digest lists
by route, and the evidence service's custody check reaches it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from servicekit.workdays import VIETNAM_TZ


def test_it_operator_runs_a_digest_and_the_auditor_reads_it(stack, officer_session, machine_token):
    operator = officer_session("it_operator").headers()
    auditor = officer_session("auditor").headers()
    api = f"{stack.url}/api/access"

    made = httpx.post(f"{api}/log-digests", json={}, headers=operator, timeout=60)
    assert made.status_code == 201, made.text
    digest = made.json()
    assert digest["trigger"] == "on_demand"
    # The stack runs with events: the dead-letter stream was read (a number, not null).
    assert isinstance(digest["counts"]["dead_letters"], int)
    assert digest["audit_chain"]["ok"] is True, digest["audit_chain"]
    assert digest["audit_chain"]["records_checked"] > 0
    assert digest["ok"] is (not digest["anomalies"])

    listed = httpx.get(f"{api}/log-digests", headers=auditor, timeout=30)
    assert listed.status_code == 200, listed.text
    assert digest["id"] in {d["id"] for d in listed.json()["data"]}
    one = httpx.get(f"{api}/log-digests/{digest['id']}", headers=auditor, timeout=30)
    assert one.status_code == 200 and one.json() == digest

    vendor = {"Authorization": f"Bearer {machine_token('epe_vendor_1')['access_token']}"}
    refused = httpx.get(f"{api}/log-digests", headers=vendor, timeout=30)
    assert refused.status_code == 403


def _digest_until(
    api: str, headers: dict[str, str], body: dict[str, Any], done: Callable[[Any], bool]
) -> dict[str, Any]:
    """Run on-demand digests until one shows what the events should have brought (each run is
    kept: the digests are append-only)."""
    deadline = time.monotonic() + 90
    while True:
        made = httpx.post(f"{api}/log-digests", json=body, headers=headers, timeout=60)
        assert made.status_code == 201, made.text
        digest: dict[str, Any] = made.json()
        if done(digest) or time.monotonic() > deadline:
            return digest
        time.sleep(2)


def test_a_service_down_shows_in_the_digest_by_route_and_the_custody_check_too(
    stack, officer_session
):
    operator = officer_session("it_operator").headers()
    api = f"{stack.url}/api/access"
    route = {"service": "risk", "method": "GET", "route": "/gate-events"}

    stack.stop_service("risk")
    try:
        for _ in range(2):
            down = httpx.get(f"{stack.url}/api/risk/gate-events", headers=operator, timeout=30)
            assert down.status_code == 503, down.text
    finally:
        stack.restart("risk", wait_ready=True)
    back = httpx.get(f"{stack.url}/api/risk/gate-events", headers=operator, timeout=30)
    assert back.status_code < 500, back.text  # answered by risk again (403: not the operator's)

    def risk_errors(digest: dict[str, Any]) -> dict[str, Any] | None:
        return next(
            (
                r
                for r in digest["counts"]["server_errors_by_route"]
                if {k: r[k] for k in route} == route
            ),
            None,
        )

    today = datetime.now(VIETNAM_TZ).date().isoformat()  # the day so far
    digest = _digest_until(
        api, operator, {"day": today}, lambda d: (risk_errors(d) or {}).get("count", 0) >= 2
    )
    counted = risk_errors(digest)
    assert counted is not None, digest["counts"]
    assert counted["count"] >= 2 and counted["by_status"].get("503", 0) >= 2
    assert any("server error(s) on risk GET /gate-events" in a for a in digest["anomalies"])

    # The evidence service verified its custody chain at its first start (for yesterday).
    yesterday = _digest_until(api, operator, {}, lambda d: d["custody_chain"] is not None)
    custody = yesterday["custody_chain"]
    assert custody is not None, yesterday["anomalies"]
    assert custody["verified"] is True, custody
    assert not any("custody" in a for a in yesterday["anomalies"])
