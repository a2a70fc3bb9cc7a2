"""The e2e stack harness itself: demo-account parsing, and failing loudly instead of hanging.

The failure tests run fake services (tiny modules written to a temporary directory and put on
PYTHONPATH) so they take seconds and need neither NATS nor S3.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from devkit.testing.s3 import S3Endpoint
from devkit.testing.stack import Stack, StackError, parse_demo_accounts

UNUSED_S3 = S3Endpoint("127.0.0.1:1", "unused", "unused")


def test_parse_demo_accounts_from_text_lines():
    output = textwrap.dedent(
        """\
        camwatch demo data created
        officer: username=nguyen.van.a password='Demo officer 2024!' totp_secret=JBSWY3DPEHPK3PXP unit=HQ-KCX-BN
        head: username=tran.thi.b password=secret-2 totp_secret=KRSXG5CTMVRXEZLU
        this line: has no pairs
        """
    )
    accounts = parse_demo_accounts(output)
    assert set(accounts) == {"officer", "head"}
    officer = accounts["officer"]
    assert officer.username == "nguyen.van.a"
    assert officer.password == "Demo officer 2024!"
    assert officer["TOTP-secret"] == "JBSWY3DPEHPK3PXP"
    assert officer.get("unit") == "HQ-KCX-BN"
    assert officer.get("missing") is None
    with pytest.raises(KeyError, match="no field 'missing'"):
        officer["missing"]


def test_parse_demo_accounts_from_json():
    output = (
        "seeding...\n"
        '{"accounts": [{"name": "officer", "username": "a.b", "password": "p", '
        '"roles": ["supervisory_officer", "auditor"], "unit": null}]}\n'
    )
    accounts = parse_demo_accounts(output)
    assert accounts["officer"].username == "a.b"
    assert accounts["officer"]["roles"] == "supervisory_officer,auditor"
    assert accounts["officer"].get("unit") is None
    whole = parse_demo_accounts('{"machine": {"client_id": "vnaccs", "client_secret": "s"}}')
    assert whole["machine"]["client_secret"] == "s"


def _fake_service(root: Path, name: str, serve_body: str) -> None:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    serve = textwrap.indent(textwrap.dedent(serve_body).strip(), " " * 4)
    (package / "__main__.py").write_text(
        "import sys, time\n"
        "command = sys.argv[1]\n"
        'if command == "migrate":\n'
        f'    print("{name}: database at head")\n'
        'elif command == "--help":\n'
        '    print("Commands: serve migrate")\n'
        'elif command == "serve":\n'
        f"{serve}\n"
    )


def _stack(tmp_path: Path, name: str, **kwargs) -> Stack:
    fakes = tmp_path / "fakes"
    python_path = os.pathsep.join(filter(None, [str(fakes), os.environ.get("PYTHONPATH")]))
    return Stack(
        tmp_path / "stack",
        nats_url="nats://127.0.0.1:1",
        s3=UNUSED_S3,
        services=(name,),
        extra_env={"PYTHONPATH": python_path},
        **kwargs,
    )


def test_a_missing_service_fails_with_its_output(tmp_path):
    stack = Stack(
        tmp_path, nats_url="nats://127.0.0.1:1", s3=UNUSED_S3, services=("nosuchservice",)
    )
    with pytest.raises(StackError) as failure:
        stack.start()
    message = str(failure.value)
    assert "nosuchservice-migrate exited with status 1" in message
    assert "No module named nosuchservice" in message
    assert stack.processes == {}


def test_a_service_that_exits_while_starting_fails_at_once_with_its_log_tail(tmp_path):
    (tmp_path / "fakes").mkdir()
    _fake_service(
        tmp_path / "fakes",
        "crashingsvc",
        """
        print("crashingsvc: cannot bind, giving up", flush=True)
        sys.exit(3)
        """,
    )
    stack = _stack(tmp_path, "crashingsvc", startup_timeout=120)
    started = time.monotonic()
    with pytest.raises(StackError) as failure:
        stack.start()
    assert time.monotonic() - started < 60, "the harness waited although the service had died"
    message = str(failure.value)
    assert "crashingsvc exited with status 3 while starting" in message
    assert "crashingsvc: cannot bind, giving up" in message
    assert stack.processes == {}, "every started process (the gateway too) is stopped"


def test_a_service_that_never_gets_ready_times_out_and_is_stopped(tmp_path):
    (tmp_path / "fakes").mkdir()
    _fake_service(
        tmp_path / "fakes",
        "silentsvc",
        """
        print("silentsvc: thinking", flush=True)
        time.sleep(600)
        """,
    )
    stack = _stack(tmp_path, "silentsvc", startup_timeout=6, stop_timeout=5)
    with pytest.raises(StackError) as failure:
        stack.start()
    message = str(failure.value)
    assert "silentsvc not ready at http://127.0.0.1:" in message
    assert "silentsvc: thinking" in message
    assert stack.processes == {}
