"""Run the whole camwatch stack locally: NATS, S3, five services, the gateway and demo data.

`make run` calls `devstack.py up`: it writes var/stack.env and var/Procfile, migrates and seeds
each service's database (the demo data's events wait in each outbox until the relays start),
then runs every process under honcho's manager, among them the traffic simulator
(`devkit.simulator`, so warnings appear with no manual step). On Ctrl-C (or when one process
ends) they stop in dependency order, each tier after the previous one has exited: the
simulator, the gateway, the services, then NATS and S3, so no service loses its broker while
it drains.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import typer
from honcho.manager import SYSTEM_PRINTER_NAME, Manager
from honcho.printer import Message, Printer

from devkit.testing.ports import free_port
from devkit.testing.s3 import SeaweedS3
from servicekit.services import SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
BIN = Path(sys.executable).parent

STOP_ORDER: tuple[tuple[str, ...], ...] = (
    ("simulator",),
    ("ready", "gateway"),
    tuple(SERVICES),
    ("nats", "s3"),
)
"""Who stops before whom; processes in no tier stop with the first one."""
STOP_GRACE = 15.0
SLOW_TO_STOP = {"s3": 60.0}
"""SeaweedFS stops cleanly in about 25 s (its filer's gRPC drain, then the volume server)."""

cli = typer.Typer(help="camwatch development stack", no_args_is_help=True)


class OrderedManager(Manager):  # type: ignore[misc]
    """honcho's manager, but stopping its processes tier by tier (honcho stops all at once).

    Each tier gets SIGTERM once the previous tier has exited; a process still running after its
    grace gets SIGKILL. honcho's own kill of everything after five seconds is left out.
    """

    def __init__(
        self,
        printer: Printer | None = None,
        *,
        order: Sequence[Sequence[str]] = STOP_ORDER,
        grace: float = STOP_GRACE,
        slow: dict[str, float] | None = None,
    ) -> None:
        super().__init__(printer)
        self.order = [list(tier) for tier in order]
        self.grace = grace
        self.slow = SLOW_TO_STOP if slow is None else slow
        self._stopper: threading.Thread | None = None
        self._terminating = False

    def terminate(self) -> None:
        if self._terminating:
            return
        self._terminating = True
        self._stopper = threading.Thread(target=self._stop_in_order, name="stop", daemon=True)
        self._stopper.start()

    def kill(self) -> None:
        if self._stopper is None:  # the stop in order kills what outlives its grace
            super().kill()

    def tiers(self) -> list[list[str]]:
        """The processes of this manager, grouped in stop order."""
        known = {name for tier in self.order for name in tier}
        first = [name for name in self._processes if name not in known]
        tiers = [[name for name in tier if name in self._processes] for tier in self.order]
        tiers[0] = first + tiers[0]
        return [tier for tier in tiers if tier]

    def _stop_in_order(self) -> None:
        for tier in self.tiers():
            deadline = time.monotonic() + max(self.slow.get(name, self.grace) for name in tier)
            signalled: set[str] = set()
            while time.monotonic() < deadline:
                running = [name for name in tier if "returncode" not in self._processes[name]]
                if not running:
                    break
                for name in running:
                    pid = self._processes[name].get("pid")
                    if name not in signalled and pid is not None:
                        self._say(f"stopping {name} (SIGTERM to pid {pid})")
                        self._procmgr.terminate(pid)
                        signalled.add(name)
                time.sleep(0.05)
            else:
                for name in tier:
                    process = self._processes[name]
                    if "returncode" not in process and process.get("pid") is not None:
                        self._say(f"{name} did not stop in time: SIGKILL")
                        self._procmgr.kill(process["pid"])

    def _say(self, text: str) -> None:
        # Through the event queue: the manager's loop prints it, in order with the output.
        self.events.put(
            Message(
                type="line",
                data=f"{text}\n",
                time=self._clock.now(),
                name=SYSTEM_PRINTER_NAME,
                colour=None,
            )
        )


def _env_file_values(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    from honcho.environ import parse

    values: dict[str, str] = parse(path.read_text())
    return values


def stack_environment(gateway_port: int) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Environment shared by every process, and the Procfile entries for external servers."""
    previous = _env_file_values(VAR / "stack.env")
    gateway = f"http://127.0.0.1:{gateway_port}"
    env: dict[str, str] = {
        "ENVIRONMENT": "development",
        "LOG_JSON": "false",
        "OIDC_ISSUER": f"{gateway}/api/access",
        "JWKS_URL": f"http://127.0.0.1:{SERVICE_PORTS['access']}/.well-known/jwks.json",
        "GATEWAY_PORT": str(gateway_port),
        "ACCESS_SPA_REDIRECT_URIS": json.dumps(
            [f"http://{host}:{gateway_port}/callback" for host in ("127.0.0.1", "localhost")]
        ),
        "PYTHONUNBUFFERED": "1",
        # The simulator's cameras listen on loopback (port 8899): the development camera policy.
        "ACCESS_CAMERA_VIEW_ALLOW_LOOPBACK": "true",
        "AUDIT_HMAC_KEY": previous.get("AUDIT_HMAC_KEY") or secrets.token_urlsafe(32),
    }
    for name, port in SERVICE_PORTS.items():
        env[f"{name.upper()}_PORT"] = str(port)
        env[f"GATEWAY_UPSTREAM_{name.upper()}"] = f"http://127.0.0.1:{port}"
    procs: list[tuple[str, str]] = []

    if nats_url := os.environ.get("NATS_URL"):
        env["NATS_URL"] = nats_url
    else:
        port = free_port()
        (VAR / "nats").mkdir(parents=True, exist_ok=True)
        env["NATS_URL"] = f"nats://127.0.0.1:{port}"
        procs.append(
            ("nats", f"{BIN / 'nats-server'} -js -a 127.0.0.1 -p {port} -sd {VAR / 'nats'}")
        )

    if s3_endpoint := os.environ.get("S3_ENDPOINT"):
        env["S3_ENDPOINT"] = s3_endpoint
        env["S3_ACCESS_KEY"] = os.environ.get("S3_ACCESS_KEY", "")
        env["S3_SECRET_KEY"] = os.environ.get("S3_SECRET_KEY", "")
    else:
        weed = SeaweedS3(VAR / "s3")
        procs.append(("s3", " ".join(weed.command())))
        env["S3_ENDPOINT"] = weed.endpoint.endpoint
        env["S3_ACCESS_KEY"] = weed.access_key
        env["S3_SECRET_KEY"] = weed.secret_key
    if database_url := os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = database_url
    return env, procs


@cli.command()
def up(port: int = typer.Option(8000, envvar="PORT", help="the gateway's public port")) -> None:
    """Prepare databases and demo data, then run every process under honcho."""
    VAR.mkdir(exist_ok=True)
    env, procs = stack_environment(port)
    # honcho reads the file with shell quoting rules (the JSON lists need it).
    (VAR / "stack.env").write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()))
    python = sys.executable
    for name in SERVICES:
        procs.append((name, f"{python} -m {name} serve --no-migrate-first"))
    procs.append(("gateway", f"{python} -m gateway"))
    procs.append(("ready", f"{python} {Path(__file__)} announce --port {port}"))
    # After the demo data (the seeds below run before any process starts): vendors and VNACCS.
    procs.append(
        (
            "simulator",
            f"{python} -m devkit.simulator --gateway http://127.0.0.1:{port}"
            f" --accounts {VAR / 'demo-accounts.txt'} --rate 0.5 --anomaly-share 0.1 --stay"
            " --cameras",
        )
    )
    (VAR / "Procfile").write_text("".join(f"{n}: {c}\n" for n, c in procs))

    os.environ.update(env)
    for name in SERVICES:
        _run([python, "-m", name, "migrate"])
    _run([python, "-m", "access", "seed-demo"], quiet=True)
    for name in SERVICES:
        if name != "access" and _has_command(name, "seed-demo"):
            _run([python, "-m", name, "seed-demo"])
    manager = OrderedManager(Printer(sys.stdout, colour=sys.stdout.isatty(), prefix=True))
    for name, command in procs:
        # exec: the shell honcho starts is replaced, so signals reach the process itself.
        manager.add_process(name, f"exec {command}", env=dict(os.environ), cwd=str(ROOT))
    manager.loop()
    sys.exit(manager.returncode)


def _has_command(service: str, command: str) -> bool:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", service, "--help"], capture_output=True, text=True, check=False
    )
    return command in result.stdout


def _run(args: list[str], *, quiet: bool = False) -> None:
    import subprocess

    result = subprocess.run(args, capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout + result.stderr)
        raise typer.Exit(result.returncode)
    if quiet:
        (VAR / "demo-accounts.txt").write_text(result.stdout)


def demo_accounts() -> dict[str, dict[str, object]]:
    """The demo accounts the access service printed when seeding (its last line is JSON)."""
    path = VAR / "demo-accounts.txt"
    if not path.exists():
        return {}
    last = path.read_text().strip().splitlines()[-1]
    accounts: dict[str, dict[str, object]] = json.loads(last)["accounts"]
    return accounts


@cli.command()
def totp(account: str = typer.Argument("officer", help="demo account: officer, head, ...")) -> None:
    """Print the current TOTP code of a demo account (the second sign-in step)."""
    import pyotp

    secret = demo_accounts().get(account, {}).get("totp_secret")
    if not secret:
        raise typer.BadParameter(f"no demo account {account!r} with a TOTP secret")
    typer.echo(pyotp.TOTP(str(secret)).now())


def banner(url: str) -> str:
    """Where to go and how to sign in."""
    accounts = demo_accounts()
    lines = [
        "",
        "=" * 72,
        f"  camwatch is running: open {url}/",
        f"  API documentation:  {url}/docs",
    ]
    if officer := accounts.get("officer"):
        lines += [
            f"  Sign in as officer {officer['username']} / password {officer['password']!r};",
            "  the one-time code: `make totp` (another demo account: `make totp ACCOUNT=head`).",
        ]
    machines = [a for a in accounts.values() if "client_id" in a]
    if machines:
        lines.append("  Machine clients (OAuth2 client credentials at /api/access/oauth/token):")
        lines += [f"    {a['client_id']} / {a['client_secret']} ({a['kind']})" for a in machines]
    lines += [
        "  All demo accounts: var/demo-accounts.txt.  Stop everything with Ctrl-C.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


@cli.command()
def announce(port: int = 8000, timeout: float = 180.0) -> None:
    """Wait until the gateway reports every service ready, print where to go, then idle."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    else:
        typer.echo(f"camwatch: not ready after {timeout:.0f} s; see the logs above")
    typer.echo(banner(url))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    cli()
