"""`python -m devkit.simulator`: run the simulator against a gateway until stopped."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx
import typer

from devkit.simulator.cameras import CameraSite
from devkit.simulator.runner import Simulator, load_accounts

cli = typer.Typer(help="camwatch traffic simulator (EPE vendors and a VNACCS-side system)")


@cli.command()
def run(
    gateway: str = typer.Option("http://127.0.0.1:8000", envvar="SIMULATOR_GATEWAY"),
    accounts: Path = typer.Option(Path("var/demo-accounts.txt"), help="seed-demo's output"),
    seed: int = typer.Option(1, help="same seed, same traffic"),
    rate: float = typer.Option(1.0, min=0.01, help="gate movements per second"),
    anomaly_share: float = typer.Option(0.05, min=0, max=1, help="movements raising a warning"),
    outage_share: float = typer.Option(
        0.01, min=0, max=1, help="chance a camera starts an outage at a heartbeat (40-120 s)"
    ),
    duration: float | None = typer.Option(None, min=0, help="seconds; until stopped if unset"),
    wait_ready: float = typer.Option(180.0, help="seconds to wait for the gateway's /readyz"),
    stay: bool = typer.Option(False, help="idle instead of exiting when it cannot start"),
    cameras: bool = typer.Option(
        False, help="serve simulated cameras (JPEG/MJPEG, digest auth); `make run` does"
    ),
    camera_port: int = typer.Option(
        8899, min=0, max=65535, help="loopback port of the simulated cameras (0: any free one)"
    ),
) -> None:
    """Send heartbeats, customs data and gate reads until Ctrl-C, SIGTERM or `--duration`.

    Under `make run` (`--stay`) a failed start idles until stopped: honcho stops the whole stack
    when one process ends."""
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if not _wait_ready(gateway, wait_ready, stopped):
            return
        site = _camera_site(camera_port) if cameras else None
        simulator = Simulator(
            gateway,
            load_accounts(accounts),
            seed=seed,
            rate=rate,
            anomaly_share=anomaly_share,
            outage_share=outage_share,
            stop=stopped,
            cameras=site,
        )
    except (httpx.HTTPError, OSError, LookupError, ValueError) as exc:
        typer.echo(f"simulator: cannot start: {exc!r}", err=True)
        if not stay:
            sys.exit(1)
        stopped.wait()
        return
    typer.echo(f"simulator: {len(simulator.vendors)} EPEs, {rate}/s, seed {seed}")
    if site is not None:
        typer.echo(f"simulator: {len(site.cameras)} cameras on http://127.0.0.1:{site.bound_port}")
    try:
        counts = simulator.run(duration)
    finally:
        simulator.close()
    typer.echo(f"simulator stopped: {counts}")


def _camera_site(port: int) -> CameraSite | None:
    """The simulated cameras, or None (traffic goes on) when their port is taken."""
    try:
        return CameraSite({}, port=port).start()
    except OSError as exc:
        typer.echo(f"simulator: no simulated cameras, port {port}: {exc}", err=True)
        return None


def _wait_ready(gateway: str, timeout: float, stopped: threading.Event) -> bool:
    """Until the gateway reports every service ready (the stack starts with the simulator);
    False when stopped meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{gateway}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if stopped.wait(1):
            return False
    raise OSError(f"{gateway} not ready after {timeout:.0f} s")


if __name__ == "__main__":
    cli()
