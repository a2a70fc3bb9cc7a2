"""Server errors (5xx) counted by the gateway, per route, for the daily log digest.

The gateway is the one place every answer passes: it counts the 5xx it forwards or makes
(502/503/504 when a service is down or too slow) per service, method and OpenAPI path
template, and publishes the counts of each window (a minute) as `ServerErrorsCounted` on its
own stream `CAMWATCH_GATEWAY`. The access service keeps them for the digest. The payload lives
in the kit because its producer (the gateway) and its consumer (access) may not import each
other.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, Field

from servicekit.events.envelope import EventPayload

SERVER_ERRORS_SUBJECT = "gateway.server_errors.counted.v1"
UNKNOWN_ROUTE = "*"
"""The route of an answer whose path matches no operation of the service's OpenAPI document."""


class RouteErrors(BaseModel):
    """The 5xx answers of one route with one status in a window."""

    service: str = Field(max_length=40, examples=["registry"])
    method: str = Field(max_length=10, examples=["GET"])
    route: str = Field(
        max_length=300,
        description="the OpenAPI path template within the service (never a raw path), or `*` "
        "when the path matches none of its operations",
        examples=["/epes/{epe_id}/cameras"],
    )
    status: int = Field(ge=500, le=599)
    count: int = Field(ge=1)


class ServerErrorsCounted(EventPayload):
    """The 5xx answers one gateway process gave in one window, per route and status (only
    windows with at least one are published)."""

    event_type: ClassVar[str] = SERVER_ERRORS_SUBJECT

    gateway: str = Field(max_length=100, description="the gateway process that counted them")
    window_start: AwareDatetime
    window_end: AwareDatetime
    routes: list[RouteErrors]
