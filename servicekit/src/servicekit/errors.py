"""RFC 9457 problem+json for every error a service or the gateway returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://camwatch.customs.gov.vn/problems/"

log = logging.getLogger(__name__)

BUSY_MARKERS = (
    "database is locked",  # SQLite: another writer held the lock past the busy timeout
    "deadlock detected",  # PostgreSQL picked this transaction as the deadlock's victim
    "lock timeout",
    "could not serialize access",
)
"""Database errors that say "try again", answered 503 with Retry-After instead of 500."""
BUSY_RETRY_AFTER = "2"

_TITLES = {413: "Content Too Large"}
"""Titles RFC 9110 renamed since Python's `HTTPStatus` phrases were written."""


class Problem(Exception):
    """A domain error that becomes a problem+json response; raise it from any layer."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or PROBLEM_BASE + title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


class NotFound(Problem):
    """The resource does not exist or the caller may not know it exists."""

    def __init__(self, what: str, detail: str | None = None) -> None:
        super().__init__(404, "Not found", detail or f"{what} not found")


class Forbidden(Problem):
    """The caller is known but may not do this."""

    def __init__(self, detail: str) -> None:
        super().__init__(403, "Forbidden", detail)


class Conflict(Problem):
    """The request conflicts with the current state (duplicate, stale version, wrong state)."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(409, "Conflict", detail, **extensions)


def field_error(field: str, message: str) -> Problem:
    """A 422 naming one wrong field, for checks Pydantic cannot express."""
    return Problem(
        422,
        "Validation failed",
        f"{field}: {message}",
        errors=[{"field": field, "message": message}],
    )


def problem_body(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The JSON members of a problem document."""
    title = title or _TITLES.get(status) or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return body


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    return JSONResponse(
        problem_body(status, title, detail, **extensions),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        source, rest = parts[0], parts[1:]
        return f"{source}.{'.'.join(rest)}" if rest else source
    return ".".join(parts)


def _message(error: Mapping[str, Any]) -> str:
    """The message as its validator wrote it, without Pydantic's "Value error, " prefix."""
    cause = error.get("ctx", {}).get("error")
    if error.get("type") in {"value_error", "assertion_error"} and cause is not None:
        return str(cause)
    return str(error["msg"])


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as {field, message} pairs, without echoing the input (it may be secret)."""
    return [{"field": _field_path(e["loc"]), "message": _message(e)} for e in exc.errors()]


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through problem+json, including validation and unexpected ones."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            type_=exc.type,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem_response(
            422,
            "Validation failed",
            f"{first['field']}: {first['message']}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code,
            detail=detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        if not any(marker in str(exc.orig) for marker in BUSY_MARKERS):
            return await _unexpected(request, exc)
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem_response(
            503,
            "Database busy",
            "The database is busy with other writes; nothing was stored. Retry shortly.",
            instance=request.url.path,
            headers={"Retry-After": BUSY_RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "Internal Server Error", "An unexpected error occurred; it has been logged."
        )
