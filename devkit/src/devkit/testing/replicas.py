"""The whole stack scaled out: several replicas of every service and of the gateway.

`ReplicatedStack` is a `Stack` whose services share one PostgreSQL database (a schema per
service, made for this stack and dropped by `drop_schemas()`) and run `replicas` times each,
as a Kubernetes Deployment would. Replica `i` of every service and gateway `i` form lane `i`:
gateway `i` forwards to replica `i` of each service (a Kubernetes Service would spread the
calls; a fixed lane is enough to load every replica, and keeps which process answered
knowable). Every replica consumes, relays and runs its background tasks as in production, so
competing consumers, outbox relays and watchers really race.

Services named in `shifted` run through `devkit.testing.timeshift`: their wall clock is moved
by the seconds written in `clock_file`, so a test makes day-long deadlines due at once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from devkit.testing.ports import free_port
from devkit.testing.s3 import S3Endpoint
from devkit.testing.stack import ManagedProcess, Stack
from devkit.testing.timeshift import CLOCK_FILE_VARIABLE
from servicekit.db import normalise_url
from servicekit.services import SERVICES


class ReplicatedStack(Stack):
    """`replicas` lanes of the five services and the gateway on one PostgreSQL database."""

    def __init__(
        self,
        workdir: Path,
        *,
        nats_url: str,
        s3: S3Endpoint,
        database_url: str,
        replicas: int = 2,
        shifted: Iterable[str] = (),
        services: Iterable[str] = SERVICES,
        **options: Any,
    ) -> None:
        self.database_url = database_url
        self.replicas = replicas
        self.schema_tag = f"r{uuid.uuid4().hex[:10]}"
        self.shifted = frozenset(shifted)
        super().__init__(workdir, nats_url=nats_url, s3=s3, services=services, **options)
        self.clock_file = self.workdir / "clock-offset"
        self.lanes: list[dict[str, str]] = [self.env] + [
            self._lane_environment() for _ in range(1, replicas)
        ]

    # -- configuration ---------------------------------------------------------------------

    def schema(self, name: str) -> str:
        """The PostgreSQL schema of one service of this stack."""
        return f"{self.schema_tag}_{name}"

    def _environment(self) -> dict[str, str]:
        env = super()._environment()
        for name in self.ports:
            env[f"{name.upper()}_DATABASE_URL"] = self.database_url
            env[f"{name.upper()}_DATABASE_SCHEMA"] = self.schema(name)
        return env

    def _lane_environment(self) -> dict[str, str]:
        """Lane 0's environment with ports of its own (the issuer stays lane 0's gateway,
        so every replica of access issues and every service accepts the same tokens)."""
        env = dict(self.env)
        gateway_port = free_port()
        env["GATEWAY_PORT"] = str(gateway_port)
        ports = {name: free_port() for name in self.services}
        for name, port in ports.items():
            env[f"{name.upper()}_PORT"] = str(port)
            env[f"GATEWAY_UPSTREAM_{name.upper()}"] = f"http://127.0.0.1:{port}"
        if "access" in ports:
            env["JWKS_URL"] = f"http://127.0.0.1:{ports['access']}/.well-known/jwks.json"
        return env

    @property
    def gateways(self) -> list[str]:
        """Every gateway's base URL, lane by lane."""
        return [f"http://127.0.0.1:{lane['GATEWAY_PORT']}" for lane in self.lanes]

    def replica_url(self, name: str, lane: int) -> str:
        """One replica's own base URL (bypassing the gateway)."""
        return f"http://127.0.0.1:{self.lanes[lane][f'{name.upper()}_PORT']}"

    def shift_clock(self, seconds: float) -> None:
        """Move the wall clock of the `shifted` services (read at their next `now()`)."""
        partial = self.clock_file.with_suffix(".tmp")
        partial.write_text(f"{seconds}\n")
        partial.replace(self.clock_file)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ReplicatedStack:
        """Migrate and seed once, then start every lane and wait until each answers ready."""
        for directory in (self.workdir, self.logs, self.workdir / "data", self.workdir / "keys"):
            directory.mkdir(parents=True, exist_ok=True)
        self.shift_clock(0)
        self._deadline = time.monotonic() + self.startup_timeout
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                commands = pool.submit(self._service_commands)
                self._run_parallel({name: [name, "migrate"] for name in self.services}, "migrate")
                seeders = [name for name in self.services if "seed-demo" in commands.result()[name]]
            self._seed(seeders)
            for lane, env in enumerate(self.lanes):
                for name in self.services:
                    self._spawn_in(lane, name, self._serve_args(name), env)
                self._spawn_in(lane, "gateway", ["-m", "gateway"], env)
            for lane in range(self.replicas):
                for name in self.services:
                    self._wait_http(f"{name}-{lane}", f"{self.replica_url(name, lane)}/readyz")
            for lane, url in enumerate(self.gateways):
                self._wait_http(f"gateway-{lane}", f"{url}/readyz")
        except BaseException:
            self.stop()
            raise
        return self

    def _serve_args(self, name: str) -> list[str]:
        serve = [name, "serve", "--no-migrate-first"]
        if name in self.shifted:
            return ["-m", "devkit.testing.timeshift", *serve]
        return ["-m", *serve]

    def _spawn_in(self, lane: int, name: str, args: Sequence[str], env: Mapping[str, str]) -> None:
        process = ManagedProcess(
            f"{name}-{lane}",
            [self.python, *args],
            env={**env, CLOCK_FILE_VARIABLE: str(self.clock_file)},
            cwd=self.workdir,
            log=self.log_of(f"{name}-{lane}"),
        )
        process.start()
        self.processes[process.name] = process

    def drop_schemas(self) -> None:
        """Drop every schema this stack made (after `stop()`)."""
        engine = create_engine(normalise_url(self.database_url))
        try:
            with engine.begin() as conn:
                for name in self.services:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema(name)}" CASCADE')
        finally:
            engine.dispose()
