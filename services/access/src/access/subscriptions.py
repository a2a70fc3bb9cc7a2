"""Everything the access service consumes: nothing yet (EPEs are known from client bindings)."""

from __future__ import annotations

from servicekit.events import EventHandler

SUBSCRIPTIONS: dict[str, EventHandler] = {}
