"""The access service's request dependencies, named once (as full-stack-fastapi-template's
``api/deps.py``): routes take the audit context and the time instead of rebuilding them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from access.context import AuditContext, request_audit_context
from access.runtime import Runtime
from servicekit.clock import ClockDep
from servicekit.errors import field_error
from servicekit.pagination import NOT_A_CURSOR, cursor_int, cursor_param, decode_cursor, limit_param


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with (settings, master keys, password hashing)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def audit_context(request: Request) -> AuditContext:
    """Who calls and which request, for the audit log.

    Protected routers run the principal dependency first, which caches the caller on the
    request; public routes (sign-in, OAuth) record the caller as anonymous.
    """
    return request_audit_context(request)


def now(clock: ClockDep) -> datetime:
    """The instant the request is handled, from the app's clock (the runtime's; tests move it)."""
    return clock.now()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AuditContextDep = Annotated[AuditContext, Depends(audit_context)]
NowDep = Annotated[datetime, Depends(now)]


CursorQuery = Annotated[str | None, cursor_param()]
LimitQuery = Annotated[int, limit_param()]


def after_key(cursor: str | None) -> str | None:
    """The text key a page starts after (None on the first page); 422 naming the cursor when it
    holds anything else, so a number never reaches a text column."""
    key = decode_cursor(cursor, arity=1)
    if key is None:
        return None
    if not isinstance(key[0], str):
        raise field_error("query.cursor", NOT_A_CURSOR)
    return key[0]


def after_seq(cursor: str | None) -> int:
    """The integer key a page starts after (0 on the first page)."""
    key = decode_cursor(cursor, arity=1)
    return 0 if key is None else cursor_int(key[0])
