"""The frame hub against a simulated camera: viewers share one upstream, frames are rate
limited, an idle upstream closes, oversized frames are refused."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from access.cameraview.upstream import (
    CameraTarget,
    CameraUnreachable,
    FrameHub,
    HubFull,
    HubLimits,
    MultipartFrames,
)
from devkit.simulator.cameras import CameraSite
from servicekit.netpolicy import ProbePolicy, without_loopback


@pytest.fixture
def site():
    running = CameraSite({"E1": ("viewer", "pw-123")}, fps=8).start()
    yield running
    running.stop()


def hub_for(site: CameraSite, **limits: float) -> FrameHub:
    policy = ProbePolicy.build(
        denied=without_loopback(ProbePolicy.build().denied_networks), ports=[site.bound_port]
    )
    return FrameHub(policy=policy, limits=HubLimits(**limits))  # type: ignore[arg-type]


async def take(hub: FrameHub, target: CameraTarget, count: int) -> list[float]:
    stamps = []
    async for _frame in hub.frames(target, max_seconds=30):
        stamps.append(time.monotonic())
        if len(stamps) == count:
            break
    return stamps


def test_concurrent_viewers_share_one_upstream_at_the_rate_limit(site):
    url = site.add("E1", "C01")
    target = CameraTarget("cam-1", url, "viewer", "pw-123")

    async def main() -> list[list[float]]:
        hub = hub_for(site, max_fps=2.0, timeout=3.0, idle_seconds=0.5)
        try:
            watched = await asyncio.gather(*(take(hub, target, 4) for _ in range(5)))
            snapshot = await hub.snapshot(target)
            assert snapshot.startswith(b"\xff\xd8")
            await asyncio.sleep(1.5)  # idle: the upstream closes
            assert hub.feeds == {}
            return watched
        finally:
            await hub.close()

    watched = asyncio.run(main())
    assert site.cameras["E1.C01"].streams == 1
    for stamps in watched:
        # 8 fps upstream, at most 2 fps to each viewer: over three gaps at least ~1.5 s (8 fps
        # would take 0.375 s). One gap alone may look short when the viewer itself woke late
        # for the frame before (the hub paces what it hands out, not when the viewer runs).
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        assert stamps[-1] - stamps[0] >= 0.45 * len(gaps), gaps
        assert min(gaps) >= 0.25, gaps


def test_the_replica_holds_at_most_max_feeds_upstreams(site):
    first = CameraTarget("cam-1", site.add("E1", "C01"), "viewer", "pw-123")
    second = CameraTarget("cam-2", site.add("E1", "C02"), "viewer", "pw-123")

    async def main() -> None:
        hub = hub_for(site, max_feeds=1, timeout=3.0)
        try:
            await hub.snapshot(first)
            with pytest.raises(HubFull):
                await hub.snapshot(second)
        finally:
            await hub.close()

    asyncio.run(main())


def test_wrong_password_is_a_clean_failure(site):
    target = CameraTarget("cam-1", site.add("E1", "C01"), "viewer", "wrong")

    async def main() -> None:
        hub = hub_for(site, timeout=3.0)
        try:
            with pytest.raises(CameraUnreachable) as failure:
                await hub.snapshot(target)
            assert failure.value.cause == "http_status"
            assert "wrong" not in failure.value.detail
        finally:
            await hub.close()

    asyncio.run(main())


def test_frames_larger_than_the_limit_are_refused():
    frames = MultipartFrames(b"b", limit=20_000)
    part = b"--b\r\nContent-Type: image/jpeg\r\nContent-Length: 6\r\n\r\n\xff\xd8abcd\r\n"
    assert frames.feed(part) == [b"\xff\xd8abcd"]
    with pytest.raises(CameraUnreachable):
        frames.feed(b"--b\r\nContent-Length: 50000\r\n\r\n\xff\xd8")
