"""The audit context: who acted (a caller, or a named system job) and in which request/trace."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from servicekit.auth import Principal
from servicekit.telemetry import current_trace_id


@dataclass(frozen=True)
class AuditContext:
    """Who did it and which request: stamped on every audit record."""

    actor: str
    request_id: str | None = None
    trace_id: str | None = None

    @classmethod
    def system(cls, name: str) -> AuditContext:
        """A context for work outside a request (CLI, seeding)."""
        return cls(actor=name, trace_id=current_trace_id())


def actor_of(principal: Principal | None) -> str:
    """How a caller is named in the audit log."""
    if principal is None:
        return "anonymous"
    if principal.is_epe or principal.client_id == principal.subject:
        return f"client:{principal.subject}"
    return f"user:{principal.subject}"


def request_audit_context(request: Request, principal: Principal | None = None) -> AuditContext:
    """The audit context of a request (the gateway sets X-Request-ID)."""
    if principal is None:
        cached = getattr(request.state, "principal", None)
        principal = cached if isinstance(cached, Principal) else None
    return AuditContext(
        actor=actor_of(principal),
        request_id=request.headers.get("x-request-id"),
        trace_id=current_trace_id(),
    )
