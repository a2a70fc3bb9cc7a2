"""A service's OpenAPI document as served through the gateway.

Generated clients talk to the gateway, so the document served at `/api/<service>/openapi.json`
also declares the problems the gateway itself answers for any operation: 429 (rate limit) and
502/503/504 (the service failed, is down, or too slow). The services' own documents (and the
committed contracts) do not, since a service never sends these.
"""

from __future__ import annotations

from typing import Any

from servicekit.openapi import problem_content, problem_schemas

GATEWAY_PROBLEMS = {
    429: "Too many requests from this client; retry after `Retry-After` seconds",
    502: "The service gave no usable answer",
    503: "The service is unavailable",
    504: "The service did not answer in time",
}
RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}},
}


def through_gateway(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Point `servers` at the gateway prefix and declare the gateway's problems everywhere."""
    document["servers"] = [{"url": prefix}]
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in GATEWAY_PROBLEMS.items():
                response: dict[str, Any] = {
                    "description": description,
                    "content": problem_content(status),
                }
                if status == 429:
                    response["headers"] = RETRY_AFTER
                operation["responses"].setdefault(str(status), response)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in problem_schemas().items():
        schemas.setdefault(name, schema)
    return document
