"""Everything the access service consumes: `{subject: handler}`."""

from __future__ import annotations

from access.epes.handlers import make_epe_handler
from servicekit.clock import Clock
from servicekit.events import EventHandler


def subscriptions(*, clock: Clock) -> dict[str, EventHandler]:
    """The registry's EPE events feed `registry_epes`, the source of each EPE's unit."""
    epe_changed = make_epe_handler(clock)
    return {
        "registry.epe.registered.v1": epe_changed,
        "registry.epe.updated.v1": epe_changed,
    }
