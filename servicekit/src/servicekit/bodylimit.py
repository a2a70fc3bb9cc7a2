"""Request body size limits, enforced before a body is read or parsed.

Without them a 50 MB JSON body is parsed for seconds before its 422 while other vendors'
requests wait. The limit is per route (its operation id, i.e. the route function's name, so
a service derives it from its typed settings) with a default from `ServiceSettings`.
A declared `Content-Length` over every limit is answered before routing; over the route's
limit, when the route first asks for its body, before a byte is read; a chunked body is
counted as it arrives and refused once it goes over.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import problem_response


class BodyTooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so FastAPI's body parsing passes it on to the
    app's problem handler (413 problem+json) instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


def _detail(limit: int) -> str:
    return f"the request body is larger than this endpoint accepts ({limit} bytes)"


class BodyLimitMiddleware:
    """Pure ASGI: 413 problem+json for bodies over the limit of the route they go to."""

    def __init__(self, app: ASGIApp, *, default: int, overrides: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.overrides = dict(overrides)
        self.ceiling = max([default, *self.overrides.values()])

    def limit_for(self, scope: Scope) -> int:
        """The limit of the route the router chose (it sets `scope["route"]`)."""
        name = getattr(scope.get("route"), "name", None)
        return self.overrides.get(name, self.default) if name else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        text = Headers(scope=scope).get("content-length", "")
        declared = int(text) if text.isdigit() else None
        if declared is not None and declared > self.ceiling:
            response = problem_response(
                413,
                detail=_detail(self.ceiling),
                instance=scope.get("path"),
                headers={"Connection": "close"},  # the unread body is not the next request
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            limit = self.limit_for(scope)
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)
