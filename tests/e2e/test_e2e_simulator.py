"""The traffic simulator against the whole stack: run as `make run` runs it (a process of its
own, stopped with SIGTERM), it produces gate events and warnings seen through the gateway."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx


def bearer(token: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_simulator_produces_gate_events_and_warnings(
    stack, machine_token, officer_session, tmp_path
):
    accounts = tmp_path / "demo-accounts.txt"
    demo = {name: dict(account.fields) for name, account in stack.demo.items()}
    accounts.write_text("seed output\n" + json.dumps({"accounts": demo}) + "\n")
    options = ["--accounts", str(accounts), "--seed", "11", "--rate", "4", "--anomaly-share", "0.3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "devkit.simulator", "--gateway", stack.url, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(12)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "simulator stopped" in output, output

    customs = httpx.Client(
        base_url=stack.url, headers=bearer(machine_token("customs_system")), timeout=30
    )
    events = customs.get("/api/risk/gate-events", params={"origin": "camera", "limit": 200})
    assert events.status_code == 200, events.text
    assert any(e["container_numbers"] for e in events.json()["data"]), events.text

    head = officer_session("head")
    deadline = time.monotonic() + 30
    while True:
        warnings = httpx.get(f"{stack.url}/api/risk/warnings", headers=head.headers(), timeout=30)
        assert warnings.status_code == 200, warnings.text
        rules = {w["rule"] for w in warnings.json()["data"]}
        if rules & {"container_exit_uncleared", "plate_not_declared"}:
            break
        assert time.monotonic() < deadline, f"no warning from the simulator: {warnings.text}"
        time.sleep(1)
