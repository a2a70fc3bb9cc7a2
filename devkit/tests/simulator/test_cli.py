"""The simulator's command line when the gateway is not there: alone it fails fast; under
`make run` (`--stay`) it idles until SIGTERM and exits cleanly, so the stack keeps running."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from devkit.testing.ports import free_port


def simulator(tmp_path, *options: str) -> subprocess.Popen[str]:
    accounts = tmp_path / "demo-accounts.txt"
    accounts.write_text(json.dumps({"accounts": {}}) + "\n")
    gateway = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    command = [sys.executable, "-m", "devkit.simulator", "--gateway", gateway]
    return subprocess.Popen(
        [*command, "--accounts", str(accounts), "--wait-ready", "1", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_without_a_gateway_it_exits_with_an_error(tmp_path):
    process = simulator(tmp_path)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "not ready" in output


def test_with_stay_it_idles_until_sigterm_then_exits_cleanly(tmp_path):
    process = simulator(tmp_path, "--stay")
    time.sleep(5)
    assert process.poll() is None, process.communicate()[0]
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "cannot start" in output
