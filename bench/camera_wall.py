"""Camera wall: N officers each watching a wall of 16 cameras through the gateway.

    .venv/bin/python bench/camera_wall.py [--officers 50] [--cameras 64] [--duration 30]

Starts the access service and the gateway as subprocesses on 127.0.0.1 (SQLite, events off),
and `--cameras` simulated cameras (MJPEG with digest auth, `devkit.simulator.cameras`) in this
process. The demo seed gives the officers' accounts; the vendor of EPE-DEMO-01 stores the
camera account in the vault and releases it; the cameras are put in the access service's
camera projection directly (no registry runs). Every officer (the demo unit head, signed in
once with password + TOTP + PKCE, one token per simulated officer is not needed: the gateway's
per-subject rate limit is raised instead) refreshes 16 snapshots every 2 s, the wall's rate,
officer k watching cameras k..k+15 (mod `--cameras`), so walls overlap as a unit's do.

Prints the snapshot rate, the frame latency (request sent to JPEG received) p50/p99, errors,
and the CPU time and memory (RSS) of the access service and the gateway, per viewer (an
officer's wall) and per camera (upstream). Figures in docs/performance.md.

Baseline, in the same process and run first: the same walls fetching each camera's snapshot
directly from the simulated camera (`snapshot.jpg`, digest auth, no customs in between), as an
officer on the EPE's NVR web client would. The report gives the customs path as ratios to it:
frame latency p50/p99, and CPU per frame (access + gateway against this process, which in the
baseline is the client and the camera drawing every JPEG).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "devkit" / "src"))

from devkit.simulator.cameras import CameraSite  # noqa: E402
from devkit.testing.ports import free_port  # noqa: E402
from devkit.testing.totp import fresh_code  # noqa: E402

WALL = 16
PERIOD = 2.0
EPE = "EPE-DEMO-01"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def sign_in(gateway: str, account: dict[str, Any]) -> str:
    """Password, TOTP and PKCE through the gateway, as the SPA does; the access token."""
    api = httpx.Client(base_url=f"{gateway}/api/access", timeout=30)
    started = api.post(
        "/signin", json={"username": account["username"], "password": account["password"]}
    )
    started.raise_for_status()
    transaction = started.json()["transaction"]
    code = fresh_code(account["totp_secret"])
    api.post("/signin/totp", json={"transaction": transaction, "code": code}).raise_for_status()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect = f"{gateway}/callback"
    authorized = api.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "camwatch-spa",
            "redirect_uri": redirect,
            "scope": "openid profile",
            "state": "bench",
            "nonce": "bench",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "signin": transaction,
        },
    )
    code = httpx.URL(authorized.headers["location"]).params["code"]
    token = api.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": "camwatch-spa",
            "code_verifier": verifier,
        },
    )
    token.raise_for_status()
    return str(token.json()["access_token"])


def client_token(gateway: str, account: dict[str, Any]) -> str:
    answer = httpx.post(
        f"{gateway}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["client_id"], account["client_secret"]),
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def project_cameras(database: Path, urls: list[str]) -> list[str]:
    """The cameras as the registry's events would put them in access's projection."""
    import sqlite3

    ids = [str(uuid.uuid4()) for _ in urls]
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO view_cameras (camera_id, epe_id, unit, number, position_kind,"
            " must_be_online, stream_url, removed, event_time) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (i, EPE, "HQ-KCX-BN", f"C{n:03d}", "storage_area", True, u, False, now)
                for n, (i, u) in enumerate(zip(ids, urls, strict=True))
            ],
        )
    return ids


async def officer(
    client: httpx.AsyncClient, urls: list[str], until: float, latencies: list[float]
) -> int:
    """One wall: every camera's snapshot every PERIOD seconds; returns the errors."""
    errors = 0

    async def tile(url: str, offset: float) -> None:
        nonlocal errors
        await asyncio.sleep(offset)
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                answer = await client.get(url)
                if answer.status_code == 200 and answer.content[:2] == b"\xff\xd8":
                    latencies.append(time.monotonic() - started)
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            await asyncio.sleep(max(0.0, PERIOD - (time.monotonic() - started)))

    await asyncio.gather(*(tile(u, PERIOD * i / len(urls)) for i, u in enumerate(urls)))
    return errors


async def drive(
    client_options: dict[str, Any], urls: list[str], officers: int, duration: float
) -> tuple[list[float], int]:
    """`officers` walls of WALL snapshot URLs each (officer k: urls k..k+15) for `duration` s."""
    limits = httpx.Limits(max_connections=officers * WALL, max_keepalive_connections=256)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30, limits=limits, **client_options) as client:
        until = time.monotonic() + duration
        walls = [[urls[(k + i) % len(urls)] for i in range(WALL)] for k in range(officers)]
        errors = await asyncio.gather(*(officer(client, w, until, latencies) for w in walls))
    return latencies, sum(errors)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def baseline(
    urls: list[str], account: tuple[str, str], officers: int, duration: float
) -> dict[str, float]:
    """The same walls straight from the simulated cameras (digest auth, no customs)."""
    direct = [u.rsplit("/", 1)[0] + "/snapshot.jpg" for u in urls]
    options: dict[str, Any] = {"auth": httpx.DigestAuth(*account)}
    asyncio.run(drive(options, direct, min(officers, 2), 4.0))  # warm-up
    cpu, started = own_cpu_seconds(), time.monotonic()
    latencies, errors = asyncio.run(drive(options, direct, officers, duration))
    elapsed = time.monotonic() - started
    return {
        "frames": len(latencies),
        "elapsed": elapsed,
        "errors": errors,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "cpu": own_cpu_seconds() - cpu,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--cameras", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="camera-wall-"))
    site = CameraSite({}, fps=2.0).start()
    access_port, gateway_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    database = work / "access.db"
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "LOG_JSON": "false",
        "LOG_LEVEL": "WARNING",
        "EVENTS_ENABLED": "false",
        "ACCESS_PORT": str(access_port),
        "ACCESS_DATABASE_URL": f"sqlite:///{database}",
        "ACCESS_MASTER_KEY_FILE": str(work / "keys.json"),
        "ACCESS_AUDIT_ANCHOR_ENABLED": "false",
        "ACCESS_CAMERA_VIEW_ALLOW_LOOPBACK": "true",
        "ACCESS_CAMERA_VIEW_ALLOWED_PORTS": json.dumps([site.bound_port]),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(24),
        "OIDC_ISSUER": f"{gateway}/api/access",
        "ACCESS_SPA_REDIRECT_URIS": json.dumps([f"{gateway}/callback"]),
        "JWKS_URL": f"http://127.0.0.1:{access_port}/.well-known/jwks.json",
        "GATEWAY_PORT": str(gateway_port),
        "GATEWAY_UPSTREAM_ACCESS": f"http://127.0.0.1:{access_port}",
        "GATEWAY_RATE_LIMIT_AUTHENTICATED": "100000/second",
    }
    python = sys.executable
    subprocess.run([python, "-m", "access", "migrate"], env=env, check=True, cwd=ROOT)
    seeded = subprocess.run(
        [python, "-m", "access", "seed-demo"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    accounts = json.loads(seeded.stdout.strip().splitlines()[-1])["accounts"]
    logs = (work / "access.log").open("w"), (work / "gateway.log").open("w")
    access = subprocess.Popen(
        [python, "-m", "access", "serve", "--no-migrate-first"],
        env=env,
        cwd=ROOT,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    gate = subprocess.Popen(
        [python, "-m", "gateway"], env=env, cwd=ROOT, stdout=logs[1], stderr=subprocess.STDOUT
    )
    try:
        wait_http(f"http://127.0.0.1:{access_port}/healthz")
        wait_http(f"{gateway}/healthz")
        vendor = next(a for a in accounts.values() if a.get("epe_id") == EPE and "client_id" in a)
        password = secrets.token_urlsafe(16)
        site.accounts[EPE] = ("customs-viewer", password)
        urls = [site.add(EPE, f"C{n:03d}") for n in range(args.cameras)]
        headers = {"Authorization": f"Bearer {client_token(gateway, vendor)}"}
        entry = httpx.post(
            f"{gateway}/api/access/vault/entries",
            json={
                "label": "bench cameras",
                "access_method": "vpn",
                "access_url": urls[0],
                "account": "customs-viewer",
                "password": password,
            },
            headers=headers,
        )
        entry.raise_for_status()
        httpx.put(
            f"{gateway}/api/access/camera-views/epes/{EPE}/policy",
            json={"entry_id": entry.json()["id"], "server_side": True},
            headers=headers,
        ).raise_for_status()
        camera_ids = project_cameras(database, urls)
        token = sign_in(gateway, accounts["head"])
        base = baseline(urls, site.accounts[EPE], args.officers, args.duration)
        through = [f"/api/access/camera-views/cameras/{c}/snapshot" for c in camera_ids]
        options = {"base_url": gateway, "headers": {"Authorization": f"Bearer {token}"}}
        asyncio.run(drive(options, through, min(args.officers, 2), 4.0))  # warm-up
        before = {
            n: (cpu_seconds(p.pid), rss_mib(p.pid))
            for n, p in (("access", access), ("gateway", gate))
        }
        started = time.monotonic()
        latencies, errors = asyncio.run(drive(options, through, args.officers, args.duration))
        elapsed = time.monotonic() - started
        processes = {"access": access, "gateway": gate}
        report(args, before, processes, latencies, errors, elapsed, site)
        compare(base, before, processes, latencies, elapsed)
    finally:
        for process in (gate, access):
            process.terminate()
            process.wait(timeout=15)
        site.stop()


def report(
    args: argparse.Namespace,
    before: dict[str, tuple[float, float]],
    processes: dict[str, subprocess.Popen[bytes]],
    latencies: list[float],
    errors: int,
    elapsed: float,
    site: CameraSite,
) -> None:
    print(
        f"officers {args.officers} x {WALL} cameras every {PERIOD:g} s, "
        f"{args.cameras} distinct cameras, {elapsed:.0f} s"
    )
    expected = args.officers * WALL / PERIOD
    print(
        f"snapshots: {len(latencies) / elapsed:.1f}/s (wall rate {expected:.0f}/s), "
        f"errors {errors}, latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    streams = sum(c.streams for c in site.cameras.values())
    print(f"upstream MJPEG connections opened: {streams} for {args.cameras} cameras")
    for name, process in processes.items():
        cpu = cpu_seconds(process.pid) - before[name][0]
        rss = rss_mib(process.pid)
        print(
            f"{name}: CPU {cpu / elapsed * 100:.0f}% of a core, "
            f"{cpu / elapsed / args.officers * 1000:.1f} ms/s per viewer, "
            f"{cpu / elapsed / args.cameras * 1000:.1f} ms/s per camera; "
            f"RSS {rss:.0f} MiB ({(rss - before[name][1]) / args.officers:.2f} MiB per viewer "
            f"over the idle {before[name][1]:.0f} MiB)"
        )


def compare(
    base: dict[str, float],
    before: dict[str, tuple[float, float]],
    processes: dict[str, subprocess.Popen[bytes]],
    latencies: list[float],
    elapsed: float,
) -> None:
    """The customs path against the direct baseline of the same run."""
    print(
        f"baseline (direct snapshot.jpg, digest): {base['frames'] / base['elapsed']:.1f}/s, "
        f"errors {base['errors']:.0f}, latency p50 {base['p50'] * 1000:.0f} ms "
        f"p99 {base['p99'] * 1000:.0f} ms, "
        f"CPU {base['cpu'] / max(base['frames'], 1) * 1000:.1f} ms per frame (client + camera)"
    )
    customs_cpu = sum(cpu_seconds(p.pid) - before[n][0] for n, p in processes.items())
    per_frame = customs_cpu / max(len(latencies), 1)
    base_per_frame = base["cpu"] / max(base["frames"], 1)
    print(
        "customs / direct: "
        f"latency p50 x{percentile(latencies, 0.5) / base['p50']:.2f}, "
        f"p99 x{percentile(latencies, 0.99) / base['p99']:.2f}, "
        f"frames/s x{len(latencies) / elapsed / (base['frames'] / base['elapsed']):.2f}, "
        f"CPU per frame x{per_frame / base_per_frame:.2f} "
        f"({per_frame * 1000:.1f} ms in access + gateway)"
    )


if __name__ == "__main__":
    main()
