"""The daily log digest through the gateway of the running stack: the IT operator runs one,
the auditor reads it back, the audit chain and the dead-letter stream are really checked, and
an EPE's vendor software is refused."""

from __future__ import annotations

import httpx


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
