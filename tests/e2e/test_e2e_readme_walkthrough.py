"""The README's vendor walkthrough, run as pasted (bash, honcho, curl) against a stack.

Only the two things a reader's checkout has are provided: `var/stack.env` (written by
`make run`, here from the test stack's environment) and `.venv`; `PORT` points the block at
the test stack's gateway.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def walkthrough() -> str:
    """The bash block of the README section "A vendor's first steps with curl"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A vendor's first steps with curl", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the walkthrough has no bash block"
    return match.group(1)


def test_the_block_is_valid_bash():
    checked = subprocess.run(
        ["bash", "-n"], input=walkthrough(), capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(not shutil.which("curl"), reason="the walkthrough needs curl")
def test_the_walkthrough_runs_as_pasted(stack, machine_token, tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "stack.env").write_text(
        "".join(f"{k}={shlex.quote(v)}\n" for k, v in stack.env.items() if NAME.match(k))
    )
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    done = subprocess.run(
        ["bash", "-c", walkthrough()],
        cwd=tmp_path,
        env={**stack.env, "PORT": str(stack.gateway_port)},
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    # No request of the block was refused (a problem+json document carries its status).
    assert not re.search(r'"status":\s*[45]\d\d', done.stdout), done.stdout
    token = machine_token("customs_system")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.url, headers=auth, timeout=30) as api:
        epe = api.get("/api/registry/epes/EPE-DEMO-03")
        assert epe.status_code == 200, done.stdout + done.stderr
        assert "Bắc Ninh" in epe.json()["address"]
        assert epe.json()["unit"] == "HQ-KCX-BN"
        cameras = api.get("/api/registry/epes/EPE-DEMO-03/cameras")
        assert cameras.status_code == 200, cameras.text
        assert [camera["number"] for camera in cameras.json()["data"]] == ["C01"]
