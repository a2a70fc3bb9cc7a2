"""In-process domain events: what one domain's change means for another, in the same transaction.

A domain announces a change with ``notify`` (or ``record``, which also writes the published
events to the outbox); the handlers other domains subscribed run at once on the same session,
so the change and its consequences commit together (coverage never lags a camera change).
Handlers subscribe in their domain's ``handlers`` module, listed in ``HANDLER_MODULES`` and
loaded by name on the first announcement (in the app, a CLI, a benchmark alike): the
announcing domain never imports the reacting one. Each handler gets all the facts of one
announcement that it subscribed to, so a batch of a hundred transitions is one reaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from servicekit.events import EventPayload, add_events

Handler = Callable[[Session, list[object], datetime], None]

HANDLER_MODULES = (
    "registry.health.handlers",
    "registry.coverage.handlers",
    "registry.cameras.handlers",
)
"""Where handlers subscribe, in the order they run (health rows before the coverage check)."""

_subscribers: list[tuple[tuple[type, ...], Handler]] = []
_loaded = False


def _load_handlers() -> None:
    global _loaded
    if not _loaded:
        for name in HANDLER_MODULES:
            importlib.import_module(name)
        _loaded = True


def subscribe(*kinds: type) -> Callable[[Handler], Handler]:
    """Decorator: call the handler with the facts of these kinds (in subscription order)."""

    def register(handler: Handler) -> Handler:
        if not any(known is handler for _kinds, known in _subscribers):
            _subscribers.append((kinds, handler))
        return handler

    return register


def notify(session: Session, facts: Sequence[object], *, now: datetime) -> None:
    """Run the subscribed handlers for these facts, in the caller's transaction."""
    _load_handlers()
    for kinds, handler in _subscribers:
        mine = [fact for fact in facts if isinstance(fact, kinds)]
        if mine:
            handler(session, mine, now)


def record(
    session: Session, items: Sequence[tuple[EventPayload, str | None]], *, now: datetime
) -> None:
    """Write published events to the outbox (``add_events``) and react to them in-process."""
    add_events(session, list(items))
    notify(session, [payload for payload, _subject in items], now=now)
