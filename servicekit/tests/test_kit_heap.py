"""The service process's garbage-collector policy."""

from __future__ import annotations

import gc

from servicekit.heap import GC_THRESHOLDS, settle_heap


def test_settle_heap_freezes_start_up_objects_and_raises_the_thresholds():
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
