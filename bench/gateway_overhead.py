"""Gateway overhead: a bare FastAPI JSON endpoint, directly and through the gateway, same run.

    .venv/bin/python bench/gateway_overhead.py [--duration 10] [--rounds 2] [--traced]

Starts two subprocesses on 127.0.0.1, each one uvicorn worker (uvloop, httptools, no access
log): the bare FastAPI app (which also serves the JWKS the gateway verifies tokens with) and
the gateway (`python -m gateway`) in front of it, with its default settings: token checks,
tracing, and the default per-subject rate limits, which the load stays under by spreading
its requests over `--subjects` valid tokens. This process drives the load with an aiohttp
client at bounded concurrency for a fixed time and request count per target, after a warm-up,
in two phases: throughput (`--concurrency`, default 32 requests in flight) and latency
(`--latency-concurrency`, default 4: the latency a request gains by passing the gateway,
without the queueing a saturated server adds). It prints requests/s and p50/p99 per target
and phase, the throughput ratio and the added latency, and the CPU time each process spent
per request (from /proc), which shows what the gateway costs whatever else runs on the
machine. `--traced` adds a gateway exporting its spans (OTLP/HTTP to a sink).

Targets (issue 2): the gateway keeps >= 35% of direct throughput and adds < 5 ms at p50.
Exit status is 0 unless a target server fails; `--strict` also fails on a missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from fastapi import FastAPI, Request, Response

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
PATH = "/items/42"
THROUGHPUT_TARGET = 0.35
ADDED_P50_TARGET_MS = 5.0


# -- the bare upstream, run in a subprocess ---------------------------------------------------


def serve_upstream(port: int, jwks_file: str) -> None:
    """The bare FastAPI app: one small JSON endpoint, the JWKS, and readiness."""
    import uvicorn

    jwks = json.loads(Path(jwks_file).read_text())
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": "camera 42", "status": "online", "epe_id": "EPE-001"}

    @app.get("/.well-known/jwks.json")
    async def keys() -> dict[str, Any]:
        return jwks

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/traces")
    async def traces(request: Request) -> Response:
        """OTLP/HTTP sink for `--traced`: the gateway's exported spans are read and dropped."""
        await request.body()
        return Response(media_type="application/x-protobuf")

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


# -- load generation -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    cpu: dict[str, float]  # CPU seconds used during the measurement, per process

    def cpu_per_request_us(self, process: str) -> float:
        return self.cpu.get(process, 0.0) / max(1, self.requests) * 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


async def drive(
    name: str,
    url: str,
    headers: list[dict[str, str]],
    *,
    processes: dict[str, int],
    duration: float,
    warmup: float,
    concurrency: int,
    max_requests: int,
) -> Result:
    """Keep `concurrency` requests in flight for `duration` seconds (after a warm-up)."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(until: float, latencies: list[float] | None, counts: list[int]) -> None:
            clock = time.perf_counter
            while clock() < until and counts[0] < max_requests:
                counts[0] += 1
                start = clock()
                try:
                    request_headers = headers[counts[0] % len(headers)]
                    async with session.get(url, headers=request_headers) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                if latencies is not None:
                    latencies.append(clock() - start)
                if not ok:
                    counts[1] += 1

        warm = [0, 0]
        until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(until, None, warm) for _ in range(concurrency)))

        latencies: list[float] = []
        counts = [0, 0]
        cpu_before = {p: cpu_seconds(pid) for p, pid in processes.items()}
        start = time.perf_counter()
        until = start + duration
        await asyncio.gather(*(worker(until, latencies, counts) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        cpu = {p: cpu_seconds(pid) - cpu_before[p] for p, pid in processes.items()}
    return Result(name, len(latencies), counts[1], elapsed, latencies, cpu)


# -- orchestration ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(url: str, headers: dict[str, str], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"server for {url} exited with {process.returncode}")
            try:
                async with session.get(url, headers=headers) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, env=env)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pooled(results: list[Result], name: str) -> Result:
    """All rounds of one target in one phase as one result."""
    parts = [r for r in results if r.name == name]
    cpu: dict[str, float] = {}
    for r in parts:
        for process, seconds in r.cpu.items():
            cpu[process] = cpu.get(process, 0.0) + seconds
    return Result(
        name,
        sum(r.requests for r in parts),
        sum(r.errors for r in parts),
        sum(r.seconds for r in parts),
        [x for r in parts for x in r.latencies],
        cpu,
    )


def print_table(title: str, rows: list[Result]) -> None:
    print(f"\n{title}")
    print(
        f"{'target':<10}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"   CPU us/request: {'upstream':>8}{'gateway':>8}{'client':>8}"
    )
    for r in rows:
        print(
            f"{r.name:<10}{r.requests:>9}{r.errors:>7}{r.rps:>8.0f}"
            f"{r.percentile(50):>8.2f}{r.percentile(99):>8.2f}"
            f"{'':>19}{r.cpu_per_request_us('upstream'):>8.0f}"
            f"{r.cpu_per_request_us('gateway'):>8.0f}{r.cpu_per_request_us('client'):>8.0f}"
        )


def report(
    options: argparse.Namespace, loaded: list[Result], light: list[Result]
) -> tuple[bool, dict[str, Any]]:
    """Print both phases and the verdicts; True when both targets are met."""
    names = ["direct", "gateway", *(["traced"] if options.traced else [])]
    heavy_pools = {n: pooled(loaded, n) for n in names}
    light_pools = {n: pooled(light, n) for n in names}
    print_table(
        f"Throughput: {options.concurrency} requests in flight, "
        f"{options.rounds} x {options.duration:g} s per target",
        list(heavy_pools.values()),
    )
    print_table(
        f"Latency: {options.latency_concurrency} requests in flight, "
        f"{options.rounds} x {options.latency_duration:g} s per target",
        list(light_pools.values()),
    )
    direct, gateway = heavy_pools["direct"], heavy_pools["gateway"]
    ratio = gateway.rps / direct.rps
    added_p50 = light_pools["gateway"].percentile(50) - light_pools["direct"].percentile(50)
    added_p99 = light_pools["gateway"].percentile(99) - light_pools["direct"].percentile(99)
    throughput_ok = ratio >= THROUGHPUT_TARGET
    latency_ok = added_p50 < ADDED_P50_TARGET_MS
    print(
        f"\nthroughput through the gateway: {ratio:.1%} of direct "
        f"(target >= {THROUGHPUT_TARGET:.0%}): {'met' if throughput_ok else 'MISSED'}"
    )
    print(
        f"latency added by the gateway: p50 {added_p50:+.2f} ms "
        f"(target < {ADDED_P50_TARGET_MS:.0f} ms): {'met' if latency_ok else 'MISSED'}; "
        f"p99 {added_p99:+.2f} ms; under the throughput load p50 "
        f"{gateway.percentile(50) - direct.percentile(50):+.2f} ms"
    )
    # The load generator is Python too and shares the machine; the CPU each server spends
    # per request does not depend on that. One worker each, the gateway path is bounded by
    # its busiest process.
    up_direct = direct.cpu_per_request_us("upstream")
    bottleneck = max(gateway.cpu_per_request_us("gateway"), gateway.cpu_per_request_us("upstream"))
    if up_direct and bottleneck:
        print(
            f"CPU-bound capacity (a core per process): direct {1e6 / up_direct:.0f} req/s, "
            f"through the gateway {1e6 / bottleneck:.0f} req/s = {up_direct / bottleneck:.1%}"
        )
    if options.traced:
        traced = heavy_pools["traced"]
        traced_p50 = light_pools["traced"].percentile(50) - light_pools["direct"].percentile(50)
        print(
            f"with spans exported (not part of the targets): {traced.rps / direct.rps:.1%} of "
            f"direct, p50 {traced_p50:+.2f} ms, "
            f"gateway CPU {traced.cpu_per_request_us('gateway'):.0f} us/request"
        )
    summary = {
        "direct_rps": round(direct.rps),
        "gateway_rps": round(gateway.rps),
        "ratio": round(ratio, 3),
        "added_p50_ms": round(added_p50, 2),
        "added_p99_ms": round(added_p99, 2),
        "gateway_cpu_us_per_request": round(gateway.cpu_per_request_us("gateway")),
        "upstream_cpu_us_per_request": round(direct.cpu_per_request_us("upstream")),
        "errors": sum(r.errors for r in loaded + light),
    }
    return throughput_ok and latency_ok, summary


async def run(options: argparse.Namespace) -> bool:
    from devkit.testing.tokens import TokenFactory

    tokens = TokenFactory()
    upstream_port, gateway_port, traced_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        jwks_file = Path(tmp) / "jwks.json"
        jwks_file.write_text(json.dumps(tokens.jwks()))
        upstream_url = f"http://127.0.0.1:{upstream_port}"
        env = {
            **os.environ,
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_UPSTREAM_REGISTRY": upstream_url,
            "GATEWAY_JWKS_URL": f"{upstream_url}/.well-known/jwks.json",
            "GATEWAY_OIDC_ISSUER": tokens.issuer,
            "GATEWAY_TOKEN_AUDIENCE": tokens.audience,
            "GATEWAY_LOG_LEVEL": "WARNING",
            "GATEWAY_WORKERS": "1",
        }
        env.pop("GATEWAY_OTEL_EXPORTER_OTLP_ENDPOINT", None)
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        upstream = start(
            [sys.executable, str(SCRIPT), "serve-upstream", str(upstream_port), str(jwks_file)]
        )
        servers = {"direct": upstream, "gateway": start([sys.executable, "-m", "gateway"], env)}
        if options.traced:
            servers["traced"] = start(
                [sys.executable, "-m", "gateway"],
                {
                    **env,
                    "GATEWAY_PORT": str(traced_port),
                    "GATEWAY_OTEL_EXPORTER_OTLP_ENDPOINT": upstream_url,
                },
            )
        try:
            # Many callers, so the gateway's default per-subject limits apply without refusing:
            # each subject stays far below them, and the token cache holds them all.
            tokens_headers = [
                {"Authorization": f"Bearer {tokens.issue(subject=f'bench-{i}', ttl=3600)}"}
                for i in range(options.subjects)
            ]
            targets = {
                "direct": (f"{upstream_url}{PATH}", [{}]),
                "gateway": (f"http://127.0.0.1:{gateway_port}/api/registry{PATH}", tokens_headers),
                "traced": (f"http://127.0.0.1:{traced_port}/api/registry{PATH}", tokens_headers),
            }
            for name, process in servers.items():
                url, headers = targets[name]
                await wait_ready(url, headers[0], process)

            async def measure(name: str, concurrency: int, duration: float) -> Result:
                url, headers = targets[name]
                processes = {"upstream": upstream.pid, "client": os.getpid()}
                if name != "direct":
                    processes["gateway"] = servers[name].pid
                return await drive(
                    name,
                    url,
                    headers,
                    processes=processes,
                    duration=duration,
                    warmup=options.warmup,
                    concurrency=concurrency,
                    max_requests=options.max_requests,
                )

            loaded: list[Result] = []
            light: list[Result] = []
            for _ in range(options.rounds):
                for name in servers:
                    loaded.append(await measure(name, options.concurrency, options.duration))
                for name in servers:
                    light.append(
                        await measure(name, options.latency_concurrency, options.latency_duration)
                    )
        finally:
            for process in servers.values():
                stop(process)

    met, summary = report(options, loaded, light)
    if options.json:
        print(json.dumps(summary))
    if summary["errors"]:
        raise SystemExit(f"{summary['errors']} requests failed during the run")
    return met


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "serve-upstream":
        serve_upstream(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight, throughput phase"
    )
    parser.add_argument(
        "--latency-concurrency", type=int, default=4, help="requests in flight, latency phase"
    )
    parser.add_argument(
        "--latency-duration", type=float, default=5.0, help="seconds per latency measurement"
    )
    parser.add_argument("--max-requests", type=int, default=300_000, help="cap per measurement")
    parser.add_argument(
        "--subjects", type=int, default=512, help="distinct token subjects (rate-limit keys)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="direct/gateway alternations")
    parser.add_argument(
        "--traced",
        action="store_true",
        help="also measure a gateway exporting its spans (OTLP/HTTP to a sink in the upstream)",
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    options = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    met = asyncio.run(run(options))
    if options.strict and not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
