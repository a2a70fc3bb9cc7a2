"""The dev stack stops in dependency order: gateway, then services, then NATS and S3."""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = """
import pathlib, signal, sys, time

name, log, linger = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3])


def note(event):
    with log.open("a") as f:
        f.write(f"{name}:{event}\\n")


def stop(*_):
    note("term")
    time.sleep(linger)
    note("exit")
    sys.exit(0)


signal.signal(signal.SIGTERM, signal.SIG_IGN if linger < 0 else stop)
note("up")
while True:
    time.sleep(0.05)
"""


@pytest.fixture(scope="module")
def devstack():
    spec = importlib.util.spec_from_file_location("devstack", ROOT / "scripts" / "devstack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_processes_stop_tier_by_tier_and_a_stuck_one_is_killed(devstack, tmp_path, restore_signals):
    script = tmp_path / "fake.py"
    script.write_text(FAKE)
    log = tmp_path / "events.log"
    lingers = {
        "simulator": 0.3,
        "gateway": 0.3,
        "access": 0.6,
        "registry": 0.4,
        "nats": 0.2,
        "s3": -1,
    }
    manager = devstack.OrderedManager(grace=2.0, slow={"s3": 1.0})
    for name, linger in lingers.items():
        manager.add_process(name, f"exec {sys.executable} {script} {name} {log} {linger}")
    # A process that ends by itself makes honcho stop the others, as Ctrl-C does.
    manager.add_process("ready", f"exec {sys.executable} -c 'import time; time.sleep(2)'")
    manager.loop()

    events = log.read_text().split()
    assert sorted(e for e in events if e.endswith(":up")) == sorted(f"{n}:up" for n in lingers)

    def at(event: str) -> int:
        return events.index(event)

    assert at("simulator:exit") < at("gateway:term")
    assert at("gateway:exit") < min(at("access:term"), at("registry:term"))
    assert max(at("access:exit"), at("registry:exit")) < at("nats:term")
    assert "s3:exit" not in events  # it ignored SIGTERM: killed after its grace
    assert manager._processes["s3"]["returncode"] == -signal.SIGKILL
    assert all(manager._processes[n]["returncode"] == 0 for n in lingers if n != "s3")
