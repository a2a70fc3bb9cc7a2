"""Once serving, the gateway freezes its start-up heap and collects young garbage less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest

from servicekit.heap import GC_THRESHOLDS


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The gateway runs in the test process here: leave the collector as it was."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_heap_is_frozen_and_thresholds_raised(
    restored_gc, start_gateway, upstream, tokens
) -> None:
    url = start_gateway(upstreams={"registry": upstream.url})

    assert httpx.get(f"{url}/api/registry/x", headers=tokens.headers()).status_code == 200
    assert gc.get_freeze_count() > 10_000  # modules, FastAPI, schemas: never walked again
    assert gc.get_threshold() == GC_THRESHOLDS


def test_embedded_gateway_can_leave_the_collector_alone(
    restored_gc, start_gateway, upstream, tokens
) -> None:
    thresholds = gc.get_threshold()
    url = start_gateway(upstreams={"registry": upstream.url}, gc_tuned=False)

    assert httpx.get(f"{url}/api/registry/x", headers=tokens.headers()).status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
