"""Gateway overhead: a bare FastAPI JSON endpoint, directly, through nginx and through the gateway.

    .venv/bin/python bench/gateway_overhead.py [--duration 10] [--rounds 2] [--traced]
        [--concurrency 8,32,128] [--driver auto|wrk|aiohttp]

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

When `nginx` is installed (Debian package) it is the peer column: one worker process, upstream
keep-alive, proxying the same path to the same upstream (it checks no token; the gateway
does, from its verified-token cache). When `wrk` is installed it drives the load (one thread,
C, so the client takes little of the two cores); otherwise the aiohttp client does, and the
report says so. The upstream checks no token either. The gateway runs in a wrapper that
records its garbage collections, so the longest GC pause under load is printed too.

Targets (issue 10): the gateway keeps >= 75% of nginx's and >= 60% of direct throughput,
adds < 5 ms at p99, spends < 120 us of CPU per request, and pauses < 10 ms for GC.
Exit status is 0 unless a target server fails; `--strict` also fails on a missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import signal
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
NGINX_TARGET = 0.75
DIRECT_TARGET = 0.60
ADDED_P99_TARGET_MS = 5.0
CPU_TARGET_US = 120.0
GC_PAUSE_TARGET_MS = 10.0
WRK_SCRIPT = r"""
local requests = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do
    if line == "" then
      requests[#requests + 1] = wrk.format(nil, nil, {})
    else
      requests[#requests + 1] = wrk.format(nil, nil, {["Authorization"] = line})
    end
  end
end
request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK {\"requests\": %d, \"errors\": %d, \"p50\": %d, \"p99\": %d, \"us\": %d}\n",
    summary.requests, e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
"""


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


def serve_gateway(stats_file: str) -> None:
    """`python -m gateway`, recording each garbage collection (wall time, generation, seconds)."""
    from gateway.__main__ import main

    pauses: list[tuple[float, int, float]] = []
    started = [0.0]

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((time.time(), info["generation"], time.perf_counter() - started[0]))

    def save(*_args: object) -> None:
        Path(stats_file).write_text(json.dumps(pauses))
        os._exit(0)  # not SystemExit: the signal may arrive inside a GC callback

    gc.callbacks.append(record)
    # uvicorn restores this handler after its graceful shutdown and raises the signal again.
    signal.signal(signal.SIGTERM, save)
    main()
    save()


def nginx_config(prefix: Path, port: int, upstream_port: int) -> Path:
    """One nginx worker in the foreground proxying `/api/registry/` with upstream keep-alive."""
    config = prefix / "nginx.conf"
    temp = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config.write_text(f"""
worker_processes 1;
master_process off;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}    upstream app {{ server 127.0.0.1:{upstream_port}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location /api/registry/ {{
            proxy_pass http://app/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
""")
    return config


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
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]  # CPU seconds used during the measurement, per process
    window: tuple[float, float] = (0.0, 0.0)  # wall-clock start and end
    gc_max_ms: float = 0.0  # longest GC pause of the gateway in the window
    gc_full: int = 0  # full (generation 2) collections in the window
    load: float = 0.0  # 1-minute load average when the measurement ended

    def cpu_per_request_us(self, process: str) -> float:
        return self.cpu.get(process, 0.0) / max(1, self.requests) * 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def percentile(latencies: list[float], p: float) -> float:
    """Latency percentile in milliseconds."""
    ordered = sorted(latencies)
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
        wall = time.time()
        start = time.perf_counter()
        until = start + duration
        await asyncio.gather(*(worker(until, latencies, counts) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        cpu = {p: cpu_seconds(pid) - cpu_before[p] for p, pid in processes.items()}
    return Result(
        name,
        len(latencies),
        counts[1],
        elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
        cpu,
        (wall, time.time()),
        load=os.getloadavg()[0],
    )


async def drive_wrk(
    name: str,
    url: str,
    headers_file: Path,
    *,
    processes: dict[str, int],
    duration: float,
    warmup: float,
    concurrency: int,
) -> Result:
    """The same measurement with wrk (one thread, `concurrency` connections)."""
    script = headers_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)

    async def wrk(seconds: float) -> dict[str, int]:
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
        command += ["--timeout", "10s", "-s", str(script), url, "--", str(headers_file)]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await process.communicate()
        text = out.decode()
        if process.returncode != 0 or "WRK " not in text:
            raise SystemExit(f"wrk failed against {url}:\n{text}")
        result: dict[str, int] = json.loads(text.split("WRK ", 1)[1].splitlines()[0])
        return result

    if warmup > 0:
        await wrk(warmup)
    cpu_before = {p: cpu_seconds(pid) for p, pid in processes.items() if p != "client"}
    wall = time.time()
    client_usage = os.times()
    summary = await wrk(duration)
    children = os.times()
    cpu = {p: cpu_seconds(pid) - cpu_before[p] for p, pid in processes.items() if p != "client"}
    # wrk is a child of this process: its CPU time shows in our children's times
    cpu["client"] = (children.children_user - client_usage.children_user) + (
        children.children_system - client_usage.children_system
    )
    return Result(
        name,
        summary["requests"],
        summary["errors"],
        summary["us"] / 1e6,
        summary["p50"] / 1000,
        summary["p99"] / 1000,
        cpu,
        (wall, time.time()),
        load=os.getloadavg()[0],
    )


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
    """All rounds of one target in one phase as one result (p50 averaged, p99 the worst)."""
    parts = [r for r in results if r.name == name]
    cpu: dict[str, float] = {}
    for r in parts:
        for process, seconds in r.cpu.items():
            cpu[process] = cpu.get(process, 0.0) + seconds
    requests = sum(r.requests for r in parts)
    return Result(
        name,
        requests,
        sum(r.errors for r in parts),
        sum(r.seconds for r in parts),
        sum(r.p50_ms * r.requests for r in parts) / max(1, requests),
        max(r.p99_ms for r in parts),
        cpu,
        gc_max_ms=max(r.gc_max_ms for r in parts),
        gc_full=sum(r.gc_full for r in parts),
        load=max(r.load for r in parts),
    )


def print_table(title: str, rows: list[Result]) -> None:
    print(f"\n{title}")
    print(
        f"{'target':<10}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"   CPU us/request: {'upstream':>8}{'proxy':>8}{'client':>8}{'load':>6}"
        "   GC max ms (full)"
    )
    for r in rows:
        gc_column = f"{r.gc_max_ms:.1f} ({r.gc_full})" if r.name in ("gateway", "traced") else ""
        print(
            f"{r.name:<10}{r.requests:>9}{r.errors:>7}{r.rps:>8.0f}"
            f"{r.p50_ms:>8.2f}{r.p99_ms:>8.2f}"
            f"{'':>19}{r.cpu_per_request_us('upstream'):>8.0f}"
            f"{r.cpu_per_request_us('gateway'):>8.0f}{r.cpu_per_request_us('client'):>8.0f}"
            f"{r.load:>6.1f}   {gc_column}"
        )


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    options: argparse.Namespace,
    names: list[str],
    loaded: dict[int, list[Result]],
    light: list[Result],
) -> tuple[bool, dict[str, Any]]:
    """Print every phase, the ratios with their peer columns and the verdicts."""
    met = True
    summary: dict[str, Any] = {"driver": options.driver, "load_average": os.getloadavg()}
    for concurrency, results in loaded.items():
        pools = {n: pooled(results, n) for n in names}
        print_table(
            f"Throughput: {concurrency} requests in flight, "
            f"{options.rounds} x {options.duration:g} s per target",
            list(pools.values()),
        )
        direct, gateway = pools["direct"], pools["gateway"]
        ratio_direct = gateway.rps / direct.rps
        cpu = gateway.cpu_per_request_us("gateway")
        line = (
            f"c{concurrency}: gateway / direct {ratio_direct:.1%} "
            f"(>= {DIRECT_TARGET:.0%}: {verdict(ratio_direct >= DIRECT_TARGET)})"
        )
        ok = ratio_direct >= DIRECT_TARGET and cpu < CPU_TARGET_US
        entry: dict[str, Any] = {
            "direct_rps": round(direct.rps),
            "gateway_rps": round(gateway.rps),
            "gateway_direct": round(ratio_direct, 3),
            "gateway_cpu_us": round(cpu),
            "gateway_gc_max_ms": round(gateway.gc_max_ms, 1),
        }
        if "nginx" in pools:
            nginx = pools["nginx"]
            ratio_nginx = gateway.rps / nginx.rps
            line += (
                f"; gateway / nginx {ratio_nginx:.1%} "
                f"(>= {NGINX_TARGET:.0%}: {verdict(ratio_nginx >= NGINX_TARGET)}); "
                f"nginx / direct {nginx.rps / direct.rps:.1%}"
            )
            ok = ok and ratio_nginx >= NGINX_TARGET
            entry |= {"nginx_rps": round(nginx.rps), "gateway_nginx": round(ratio_nginx, 3)}
        line += (
            f"; gateway CPU {cpu:.0f} us/request (< {CPU_TARGET_US:.0f}: "
            f"{verdict(cpu < CPU_TARGET_US)}), upstream {direct.cpu_per_request_us('upstream'):.0f}"
        )
        if "nginx" in pools:
            line += f", nginx {pools['nginx'].cpu_per_request_us('gateway'):.0f}"
        print(line)
        summary[f"c{concurrency}"] = entry
        met = met and ok

    light_pools = {n: pooled(light, n) for n in names}
    print_table(
        f"Latency: {options.latency_concurrency} requests in flight, "
        f"{options.rounds} x {options.latency_duration:g} s per target",
        list(light_pools.values()),
    )
    added_p50 = light_pools["gateway"].p50_ms - light_pools["direct"].p50_ms
    added_p99 = light_pools["gateway"].p99_ms - light_pools["direct"].p99_ms
    latency_ok = added_p99 < ADDED_P99_TARGET_MS
    line = (
        f"latency added by the gateway: p99 {added_p99:+.2f} ms "
        f"(< {ADDED_P99_TARGET_MS:.0f} ms: {verdict(latency_ok)}), p50 {added_p50:+.2f} ms"
    )
    if "nginx" in light_pools:
        line += (
            f"; by nginx: p99 {light_pools['nginx'].p99_ms - light_pools['direct'].p99_ms:+.2f} "
            f"ms, p50 {light_pools['nginx'].p50_ms - light_pools['direct'].p50_ms:+.2f} ms"
        )
    print(line)
    gc_max = max(
        max(r.gc_max_ms for r in results if r.name == "gateway") for results in loaded.values()
    )
    gc_ok = gc_max < GC_PAUSE_TARGET_MS
    print(
        f"longest gateway GC pause under load: {gc_max:.1f} ms "
        f"(< {GC_PAUSE_TARGET_MS:.0f} ms: {verdict(gc_ok)})"
    )
    if options.traced:
        first = next(iter(loaded.values()))
        traced, direct = pooled(first, "traced"), pooled(first, "direct")
        print(
            f"with spans exported (not part of the targets): {traced.rps / direct.rps:.1%} of "
            f"direct, gateway CPU {traced.cpu_per_request_us('gateway'):.0f} us/request"
        )
    summary |= {
        "added_p50_ms": round(added_p50, 2),
        "added_p99_ms": round(added_p99, 2),
        "gc_max_ms": round(gc_max, 1),
        "errors": sum(r.errors for results in loaded.values() for r in results)
        + sum(r.errors for r in light),
    }
    return met and latency_ok and gc_ok, summary


def attach_gc(results: list[Result], pauses: list[list[float]]) -> None:
    """Give each gateway measurement the GC pauses that fell in its window."""
    for r in results:
        if r.name not in ("gateway", "traced"):
            continue
        inside = [p for p in pauses if r.window[0] <= p[0] <= r.window[1]]
        r.gc_max_ms = max((p[2] * 1000 for p in inside), default=0.0)
        r.gc_full = sum(1 for p in inside if p[1] == 2)


async def run(options: argparse.Namespace) -> bool:
    from devkit.testing.tokens import TokenFactory

    tokens = TokenFactory()
    upstream_port, gateway_port, traced_port, nginx_port = (free_port() for _ in range(4))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        jwks_file = scratch / "jwks.json"
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
        gc_files = {"gateway": scratch / "gc-gateway.json", "traced": scratch / "gc-traced.json"}
        servers = {"direct": upstream}
        if options.nginx:
            config = nginx_config(scratch, nginx_port, upstream_port)
            servers["nginx"] = start(["nginx", "-p", str(scratch), "-c", str(config)])
        servers["gateway"] = start(
            [sys.executable, str(SCRIPT), "serve-gateway", str(gc_files["gateway"])], env
        )
        if options.traced:
            servers["traced"] = start(
                [sys.executable, str(SCRIPT), "serve-gateway", str(gc_files["traced"])],
                {
                    **env,
                    "GATEWAY_PORT": str(traced_port),
                    "GATEWAY_OTEL_EXPORTER_OTLP_ENDPOINT": upstream_url,
                },
            )
        loaded: dict[int, list[Result]] = {c: [] for c in options.concurrency}
        light: list[Result] = []
        try:
            # Many callers, so the gateway's default per-subject limits apply without refusing:
            # each subject stays far below them, and the token cache holds them all. Every
            # target gets the same tokens (only the gateway checks them).
            bearer = [
                f"Bearer {tokens.issue(subject=f'bench-{i}', ttl=3600)}"
                for i in range(options.subjects)
            ]
            tokens_headers = [{"Authorization": value} for value in bearer]
            headers_file = scratch / "headers.txt"
            headers_file.write_text("\n".join(bearer) + "\n")
            targets = {
                "direct": f"{upstream_url}{PATH}",
                "nginx": f"http://127.0.0.1:{nginx_port}/api/registry{PATH}",
                "gateway": f"http://127.0.0.1:{gateway_port}/api/registry{PATH}",
                "traced": f"http://127.0.0.1:{traced_port}/api/registry{PATH}",
            }
            for name, process in servers.items():
                await wait_ready(targets[name], tokens_headers[0], process)

            async def measure(name: str, concurrency: int, duration: float) -> Result:
                processes = {"upstream": upstream.pid, "client": os.getpid()}
                if name != "direct":
                    processes["gateway"] = servers[name].pid
                if options.driver == "wrk":
                    return await drive_wrk(
                        name,
                        targets[name],
                        headers_file,
                        processes=processes,
                        duration=duration,
                        warmup=options.warmup,
                        concurrency=concurrency,
                    )
                return await drive(
                    name,
                    targets[name],
                    tokens_headers,
                    processes=processes,
                    duration=duration,
                    warmup=options.warmup,
                    concurrency=concurrency,
                    max_requests=options.max_requests,
                )

            for _ in range(options.rounds):
                for concurrency in options.concurrency:
                    for name in servers:
                        loaded[concurrency].append(
                            await measure(name, concurrency, options.duration)
                        )
                for name in servers:
                    light.append(
                        await measure(name, options.latency_concurrency, options.latency_duration)
                    )
        finally:
            for process in servers.values():
                stop(process)
        for name, path in gc_files.items():
            if path.exists():
                pauses = json.loads(path.read_text())
                for results in [*loaded.values(), light]:
                    attach_gc([r for r in results if r.name == name], pauses)

    names = list(servers)
    print(
        f"\nmachine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        f"load driver: {options.driver}"
        + (
            ""
            if options.driver == "wrk"
            else " (wrk not installed: the aiohttp client, which "
            "competes with the servers for the same cores)"
        )
        + ("" if options.nginx else "; nginx not installed: no peer column")
    )
    print(
        "the upstream checks no token; nginx checks none either; the gateway checks each "
        "(from its verified-token cache)"
    )
    met, summary = report(options, names, loaded, light)
    if options.json:
        print(json.dumps(summary))
    if summary["errors"]:
        raise SystemExit(f"{summary['errors']} requests failed during the run")
    return met


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "serve-upstream":
        serve_upstream(int(sys.argv[2]), sys.argv[3])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "serve-gateway":
        serve_gateway(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(c) for c in text.split(",")],
        default=[8, 32, 128],
        help="requests in flight in the throughput phases (comma-separated)",
    )
    parser.add_argument(
        "--driver",
        choices=["auto", "wrk", "aiohttp"],
        default="auto",
        help="load driver; auto: wrk when installed",
    )
    parser.add_argument("--no-nginx", action="store_true", help="leave the nginx column out")
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
    if options.driver == "auto":
        options.driver = "wrk" if shutil.which("wrk") else "aiohttp"
    elif options.driver == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    options.nginx = not options.no_nginx and shutil.which("nginx") is not None
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
