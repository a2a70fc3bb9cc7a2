"""`python -m devkit.simulator`: run the simulator against a gateway until stopped."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
import typer

from devkit.simulator.runner import Simulator, load_accounts

cli = typer.Typer(help="camwatch traffic simulator (EPE vendors and a VNACCS-side system)")


@cli.command()
def run(
    gateway: str = typer.Option("http://127.0.0.1:8000", envvar="SIMULATOR_GATEWAY"),
    accounts: Path = typer.Option(Path("var/demo-accounts.txt"), help="seed-demo's output"),
    seed: int = typer.Option(1, help="same seed, same traffic"),
    rate: float = typer.Option(1.0, min=0.01, help="gate movements per second"),
    anomaly_share: float = typer.Option(0.05, min=0, max=1, help="movements raising a warning"),
    outage_share: float = typer.Option(0.02, min=0, max=1, help="camera reports of no_signal"),
    duration: float | None = typer.Option(None, min=0, help="seconds; until stopped if unset"),
    wait_ready: float = typer.Option(180.0, help="seconds to wait for the gateway's /readyz"),
) -> None:
    """Send heartbeats, customs data and gate reads until Ctrl-C, SIGTERM or `--duration`."""
    _wait_ready(gateway, wait_ready)
    simulator = Simulator(
        gateway,
        load_accounts(accounts),
        seed=seed,
        rate=rate,
        anomaly_share=anomaly_share,
        outage_share=outage_share,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        simulator.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo(f"simulator: {len(simulator.vendors)} EPEs, {rate}/s, seed {seed}")
    try:
        counts = simulator.run(duration)
    finally:
        simulator.close()
    typer.echo(f"simulator stopped: {counts}")


def _wait_ready(gateway: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{gateway}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    typer.echo(f"simulator: {gateway} not ready after {timeout:.0f} s", err=True)
    sys.exit(1)


if __name__ == "__main__":
    cli()
