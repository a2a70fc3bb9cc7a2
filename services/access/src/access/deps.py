"""The access service's request dependencies, named once (as full-stack-fastapi-template's
``api/deps.py``): routes take the audit context and the time instead of rebuilding them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from access.context import AuditContext, request_audit_context
from servicekit.clock import ClockDep


def audit_context(request: Request) -> AuditContext:
    """Who calls and which request, for the audit log.

    Protected routers run the principal dependency first, which caches the caller on the
    request; public routes (sign-in, OAuth) record the caller as anonymous.
    """
    return request_audit_context(request)


def now(clock: ClockDep) -> datetime:
    """The instant the request is handled, from the app's clock (the runtime's; tests move it)."""
    return clock.now()


AuditContextDep = Annotated[AuditContext, Depends(audit_context)]
NowDep = Annotated[datetime, Depends(now)]
