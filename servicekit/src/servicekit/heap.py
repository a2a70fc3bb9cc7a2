"""The garbage collector's policy for a long-running process (a service's `serve`, the gateway)."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 20, 100)
"""Young collections every 10,000 net allocations instead of 700 (each still well under a
millisecond), as the gateway does."""


def settle_heap() -> None:
    """Freeze what start-up built and collect young garbage less often.

    What start-up loads (modules, models, schemas, SQLAlchemy metadata) lives as long as the
    process, yet every full collection walked it again; the event pipeline's per-batch
    objects (a thousand deliveries, envelopes, rows) outlive young collections and so kept
    triggering full ones. Frozen and with these thresholds, the consumer's CPU per event fell
    from 28-30 to 21-23 us (docs/performance.md, "Event pipeline").
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
