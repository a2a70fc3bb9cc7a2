"""The whole camwatch stack as real processes, for end-to-end tests through the gateway.

`Stack` runs what `make run` runs, but privately: every service and the gateway on free ports,
each service's SQLite database, the access keyring and every log in one temporary directory,
against the NATS and S3 servers it is given (the `stack` fixture passes the session's `s3` and
a NATS server of the stack's own). It
migrates every database, seeds the demo data (`python -m access seed-demo`, then every other
service that has a `seed-demo` command), starts the services and the gateway, and waits until
the gateway's `/readyz` reports every service ready.

A service that is missing, fails a step or exits while starting stops the whole start with a
`StackError` naming it and quoting the tail of its log; nothing waits longer than the start-up
timeout. `stop()` terminates every process (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from devkit.testing.ports import free_port
from devkit.testing.s3 import S3Endpoint
from servicekit.services import SERVICES

LOG_TAIL_LINES = 40

# Variables of the calling environment that would point a stack process somewhere else.
_COMMON_VARIABLES = frozenset(
    {
        "ENVIRONMENT",
        "HOST",
        "PORT",
        "DATABASE_URL",
        "DATABASE_SCHEMA",
        "NATS_URL",
        "OIDC_ISSUER",
        "JWKS_URL",
        "TOKEN_AUDIENCE",
        "EVENTS_ENABLED",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "LOG_JSON",
        "LOG_LEVEL",
        "AUDIT_HMAC_KEY",
        "S3_ENDPOINT",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "S3_SECURE",
        "S3_REGION",
    }
)
_OWN_PREFIXES = tuple(f"{name.upper()}_" for name in (*SERVICES, "gateway"))


class StackError(RuntimeError):
    """The stack could not be brought up; the message names the process and quotes its log."""


@dataclass(frozen=True)
class DemoAccount:
    """One account the demo seed created, as a person would type it in.

    `fields` keeps everything the seed printed for the account (unit, roles, EPE...), so
    tests read what the seed really made instead of repeating it.
    """

    name: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        """A printed field of the account (keys are case-insensitive, `-` and `_` alike)."""
        return self.fields.get(_field_key(key), default)

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(f"demo account {self.name!r} has no field {key!r}: {dict(self.fields)}")
        return value

    @property
    def username(self) -> str:
        return self["username"]

    @property
    def password(self) -> str:
        return self["password"]


def _field_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def parse_demo_accounts(output: str) -> dict[str, DemoAccount]:
    """The demo accounts in `seed-demo` output.

    Two forms are understood: a JSON object (or a line holding one) mapping account names to
    objects of fields, and text lines `<name>: key=value key=value ...` (values may be quoted).
    """
    accounts: dict[str, DemoAccount] = {}
    stripped = output.strip()
    candidates = [stripped] if stripped.startswith("{") else []
    candidates += [line.strip() for line in output.splitlines() if line.strip().startswith("{")]
    for candidate in candidates:
        try:
            document = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(document, dict):
            accounts.update(_accounts_from_json(document))
    if accounts:
        return accounts
    for line in output.splitlines():
        account = _account_from_line(line)
        if account is not None:
            accounts[account.name] = account
    return accounts


def _accounts_from_json(document: Mapping[str, Any]) -> dict[str, DemoAccount]:
    container = document.get("accounts", document)
    if isinstance(container, list):
        items = [
            (str(item.get("name") or item.get("username")), item)
            for item in container
            if isinstance(item, dict)
        ]
    elif isinstance(container, dict):
        items = [(str(k), v) for k, v in container.items() if isinstance(v, dict)]
    else:
        return {}
    accounts = {}
    for name, values in items:
        fields = {
            _field_key(k): ",".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in values.items()
            if v is not None
        }
        accounts[name] = DemoAccount(name, fields)
    return accounts


_PAIR = re.compile(r"""([A-Za-z][\w-]*)=("[^"]*"|'[^']*'|\S+)""")


def _account_from_line(line: str) -> DemoAccount | None:
    head, sep, rest = line.partition(":")
    name = head.strip().strip("-* ")
    if not sep or not name or " " in name or "=" in name:
        return None
    pairs = _PAIR.findall(rest)
    if not pairs:
        return None
    fields = {_field_key(k): v.strip("\"'") for k, v in pairs}
    return DemoAccount(name, fields)


class ManagedProcess:
    """One child process of the stack, its output in a log file of its own."""

    def __init__(
        self, name: str, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
    ) -> None:
        self.name = name
        self.args = list(args)
        self.env = dict(env)
        self.cwd = cwd
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            self.args,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C at the terminal reaches pytest, which stops us
        )

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM lets uvicorn run its shutdown)."""
        if self.running and self._process is not None:
            self._process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the process without warning (SIGKILL), as a crash would, and reap it."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def wait_or_kill(self, deadline: float) -> None:
        """Wait for the process until the monotonic deadline, then kill it."""
        process = self._process
        if process is not None:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a text file ("(empty)" when there is nothing)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "(empty)"


def _clean_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without anything that would steer a stack process elsewhere."""
    return {
        key: value
        for key, value in base.items()
        if key not in _COMMON_VARIABLES and not key.startswith(_OWN_PREFIXES)
    }


class Stack:
    """The five services and the gateway as subprocesses; `url` is the gateway's base URL."""

    def __init__(
        self,
        workdir: Path,
        *,
        nats_url: str,
        s3: S3Endpoint,
        services: Iterable[str] = SERVICES,
        startup_timeout: float = 180.0,
        stop_timeout: float = 15.0,
        extra_env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.workdir = Path(workdir)
        self.nats_url = nats_url
        self.s3 = s3
        self.services = tuple(services)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.extra_env = dict(extra_env or {})
        self.python = python
        self.gateway_port = free_port()
        self.ports = {name: free_port() for name in self.services}
        self.url = f"http://127.0.0.1:{self.gateway_port}"
        self.env = self._environment()
        self.demo: dict[str, DemoAccount] = {}
        self.seed_output: dict[str, str] = {}
        self.processes: dict[str, ManagedProcess] = {}
        self._deadline = 0.0

    # -- configuration ---------------------------------------------------------------------

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def service_url(self, name: str) -> str:
        """A service's own base URL (bypassing the gateway)."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def _environment(self) -> dict[str, str]:
        data = self.workdir / "data"
        env = _clean_environment(os.environ)
        env.update(
            {
                "ENVIRONMENT": "development",
                "LOG_JSON": "false",
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                "NATS_URL": self.nats_url,
                "OIDC_ISSUER": f"{self.url}/api/access",
                "S3_ENDPOINT": self.s3.endpoint,
                "S3_ACCESS_KEY": self.s3.access_key,
                "S3_SECRET_KEY": self.s3.secret_key,
                "S3_SECURE": "true" if self.s3.secure else "false",
                "AUDIT_HMAC_KEY": "stack-audit-hmac-key-for-tests-only",
                "GATEWAY_PORT": str(self.gateway_port),
                # The SPA signs in through this gateway, so its callback is on this port.
                "ACCESS_SPA_REDIRECT_URIS": json.dumps(
                    [
                        f"http://127.0.0.1:{self.gateway_port}/callback",
                        f"http://localhost:{self.gateway_port}/callback",
                    ]
                ),
                "ACCESS_MASTER_KEY_FILE": str(self.workdir / "keys" / "access-master-keys.json"),
            }
        )
        if "access" in self.ports:
            env["JWKS_URL"] = f"{self.service_url('access')}/.well-known/jwks.json"
        for name, port in self.ports.items():
            prefix = name.upper()
            env[f"{prefix}_PORT"] = str(port)
            env[f"{prefix}_DATABASE_URL"] = f"sqlite:///{data / f'{name}.db'}"
            env[f"GATEWAY_UPSTREAM_{prefix}"] = self.service_url(name)
        env.update(self.extra_env)
        return env

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Stack:
        """Migrate, seed, start everything and wait for the gateway's `/readyz`."""
        for directory in (self.workdir, self.logs, self.workdir / "data", self.workdir / "keys"):
            directory.mkdir(parents=True, exist_ok=True)
        self._deadline = time.monotonic() + self.startup_timeout
        atexit.register(self.stop)
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                commands = pool.submit(self._service_commands)
                self._run_parallel({name: [name, "migrate"] for name in self.services}, "migrate")
                seeders = [name for name in self.services if "seed-demo" in commands.result()[name]]
            self._seed(seeders)
            for name in self.services:
                self._spawn(name, ["-m", name, "serve", "--no-migrate-first"])
            self._spawn("gateway", ["-m", "gateway"])
            for name in self.services:
                self._wait_http(name, f"{self.service_url(name)}/readyz")
            self._wait_http("gateway", f"{self.url}/readyz")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate every process (gateway first), killing any still alive after the grace."""
        processes = list(reversed(self.processes.values()))
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for process in processes:
            process.wait_or_kill(deadline)
        self.processes.clear()
        atexit.unregister(self.stop)

    def kill(self, name: str) -> None:
        """Kill one process of the stack (`registry`, `gateway`...) with SIGKILL."""
        self.processes[name].kill()

    def stop_service(self, name: str) -> None:
        """Stop one process (SIGTERM, killed after the grace): the gateway then answers 503
        for it until `restart` brings it back."""
        process = self.processes[name]
        process.terminate()
        process.wait_or_kill(time.monotonic() + self.stop_timeout)

    def restart(self, name: str, *, wait_ready: bool = False) -> None:
        """Start a killed (or stopped) process again with the same command and environment;
        its log continues in the same file. Returns at once (poll its `/readyz`), or once a
        service answers ready with `wait_ready`."""
        old = self.processes[name]
        if old.running:
            raise StackError(f"camwatch stack: {name} is still running")
        process = ManagedProcess(name, old.args, env=old.env, cwd=old.cwd, log=old.log)
        process.start()
        self.processes[name] = process
        if wait_ready:
            self._deadline = time.monotonic() + self.startup_timeout
            self._wait_http(name, f"{self.service_url(name)}/readyz")

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- diagnostics -----------------------------------------------------------------------

    def log_of(self, name: str) -> Path:
        """The log file of one process (`access`, `gateway`, `access-migrate`...)."""
        return self.logs / f"{name}.log"

    def describe_failure(self, name: str, problem: str) -> str:
        """A failure message: what went wrong, with the tail of the process's log."""
        return (
            f"camwatch stack: {name} {problem}\n"
            f"--- last lines of {self.log_of(name)} ---\n{log_tail(self.log_of(name))}"
        )

    # -- steps -----------------------------------------------------------------------------

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _command(self, name: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run `python -m <args>` to completion; output goes to the log named `name`."""
        try:
            result = subprocess.run(  # noqa: S603 - our own interpreter and modules
                [self.python, "-m", *args],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=max(1.0, self._remaining()),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = _text(exc.stdout) + _text(exc.stderr)
            self.log_of(name).write_text(output)
            raise StackError(
                self.describe_failure(name, f"did not finish within {self.startup_timeout:.0f} s")
            ) from exc
        self.log_of(name).write_text(result.stdout + result.stderr)
        return result

    def _run_parallel(
        self, commands: Mapping[str, Sequence[str]], step: str
    ) -> dict[str, subprocess.CompletedProcess[str]]:
        """Run one command per service at once; any failure names every failing service."""
        with ThreadPoolExecutor(max_workers=len(commands) or 1) as pool:
            futures = {
                name: pool.submit(self._command, f"{name}-{step}", args)
                for name, args in commands.items()
            }
            results = {name: future.result() for name, future in futures.items()}
        failures = [
            self.describe_failure(f"{name}-{step}", f"exited with status {result.returncode}")
            for name, result in results.items()
            if result.returncode != 0
        ]
        if failures:
            raise StackError("\n\n".join(failures))
        return results

    def _service_commands(self) -> dict[str, list[str]]:
        """Each service's command names, read from its typer app in one helper process
        (cheaper than a `--help` run per service); empty for a service that cannot say."""
        result = self._command("commands", ["devkit.testing.stack", *self.services])
        try:
            found: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            found = {}
        return {name: found.get(name) or [] for name in self.services}

    def _seed(self, seeders: Sequence[str]) -> None:
        """`access seed-demo` first (it makes the accounts), then the other services' seeds."""
        first = [name for name in seeders if name == "access"]
        others = [name for name in seeders if name != "access"]
        for group in (first, others):
            if not group:
                continue
            results = self._run_parallel({name: [name, "seed-demo"] for name in group}, "seed")
            for name in group:
                self.seed_output[name] = results[name].stdout
                self.demo.update(parse_demo_accounts(results[name].stdout))

    def _spawn(self, name: str, args: Sequence[str]) -> None:
        process = ManagedProcess(
            name,
            [self.python, *args],
            env=self.env,
            cwd=self.workdir,
            log=self.log_of(name),
        )
        process.start()
        self.processes[name] = process

    def _wait_http(self, name: str, url: str) -> None:
        """Poll `url` until it answers 200; fail at once when any stack process has exited."""
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            while True:
                self._check_alive()
                try:
                    response = client.get(url)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}: {response.text[:500]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                if self._remaining() <= 0:
                    raise StackError(
                        self.describe_failure(
                            name,
                            f"not ready at {url} after {self.startup_timeout:.0f} s "
                            f"(last answer: {last})",
                        )
                    )
                time.sleep(0.2)

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if not process.running:
                raise StackError(
                    self.describe_failure(
                        name, f"exited with status {process.returncode} while starting"
                    )
                )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _print_service_commands(services: Sequence[str]) -> None:
    """Print `{service: [command, ...]}` as JSON, from each service's `__main__.cli` (typer)."""
    found: dict[str, list[str]] = {}
    for name in services:
        try:
            cli = importlib.import_module(f"{name}.__main__").cli
            found[name] = [
                command.name or command.callback.__name__.replace("_", "-")
                for command in cli.registered_commands
                if command.name or command.callback
            ]
        except Exception:  # the migrate step reports real failures
            found[name] = []
    sys.stdout.write(json.dumps(found) + "\n")


if __name__ == "__main__":
    _print_service_commands(sys.argv[1:])
