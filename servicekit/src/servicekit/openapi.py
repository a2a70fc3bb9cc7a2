"""The OpenAPI document declares every problem+json response a route can send.

Integrators generate clients from the document, and schemathesis fails on any status code or
media type it does not declare. The generic answers are declared here once, from what each
route is made of: 401/403 when it needs a token, 422 when it takes input, 404 when it names a
resource in its path, 400/413 when it takes a body (a 422 carries the kit's `ValidationProblem`, not
FastAPI's `HTTPValidationError`). Routes add their domain answers (409, 410, ...) with
`responses={409: {"description": ...}}`; an error response declared without content is
problem+json too. The events a service publishes are the document's `webhooks`, generated from
the payload models that also give contracts/events/ and the AsyncAPI channel map.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from servicekit.auth import get_principal
from servicekit.errors import PROBLEM_JSON
from servicekit.events.envelope import CloudEvent, EventPayload, schema_uri

REF = "#/components/schemas/"
CLOUDEVENTS_JSON = "application/cloudevents+json"


class FieldError(BaseModel):
    """One wrong input: where it is (`body.name`, `query.days`, ...) and what is wrong."""

    model_config = ConfigDict(title="FieldError")

    field: str
    message: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details; services may add extension members."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = Field(description="URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="the request path")
    errors: list[FieldError] | None = Field(default=None, description="the fields at fault")


class ValidationProblemDocument(ProblemDocument):
    """A 422: the problem names every field at fault."""

    model_config = ConfigDict(title="ValidationProblem", extra="allow")

    errors: list[FieldError] = Field(description="the fields at fault")


GENERIC = {
    400: "The body could not be parsed",
    401: "No valid access token",
    403: "The caller may not do this",
    404: "Not found, or not visible to the caller",
    413: "The body is too large",
    422: "The input is not valid; `errors` names each field",
}


def problem_content(status: int) -> dict[str, Any]:
    """The `content` of a problem response: problem+json, 422 with its field errors."""
    name = "ValidationProblem" if status == 422 else "Problem"
    return {PROBLEM_JSON: {"schema": {"$ref": REF + name}}}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def authenticated_operations(
    protected: Sequence[APIRouter], public: Sequence[APIRouter]
) -> set[tuple[str, str]]:
    """(path, method) of the routes that verify a token.

    That is every route of a protected router, and each public route that asks for the caller
    itself (`CurrentPrincipal`).
    """
    routes = [
        (route, router in protected)
        for router in [*protected, *public]
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    return {
        (route.path_format, method.lower())
        for route, behind_token in routes
        if behind_token or any(d.call is get_principal for d in _dependants(route.dependant))
        for method in route.methods or ()
    }


def generic_statuses(operation: dict[str, Any], *, authenticated: bool) -> list[int]:
    """The error statuses an operation can send because of what it is made of."""
    where = {parameter.get("in") for parameter in operation.get("parameters", [])}
    has_body = "requestBody" in operation
    statuses = [401, 403] if authenticated else []
    if "path" in where:
        statuses.append(404)
    if has_body:
        statuses += [400, 413]
    if where or has_body:
        statuses.append(422)
    return statuses


def _is_error(status: str) -> bool:
    return status.isascii() and status.isdigit() and int(status) >= 400


def _is_default_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == REF + "HTTPValidationError")


def declare_problems(operation: dict[str, Any], *, authenticated: bool) -> None:
    """Add the generic problem responses; every error response is problem+json."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for generic in generic_statuses(operation, authenticated=authenticated):
        responses.setdefault(str(generic), {"description": GENERIC[generic]})
    for status, response in responses.items():
        if status == "422" and _is_default_422(response):
            response.clear()
            response["description"] = GENERIC[422]
        if _is_error(status) and not response.get("content"):
            response["content"] = problem_content(int(status))
    operation["responses"] = dict(sorted(responses.items()))


def problem_schemas() -> dict[str, Any]:
    """The shared `Problem`, `ValidationProblem` and `FieldError` components."""
    schemas: dict[str, Any] = {}
    for model in (ProblemDocument, ValidationProblemDocument):
        schema = model.model_json_schema(ref_template=REF + "{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[str(schema["title"])] = schema
    return schemas


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    known = schemas.setdefault(name, schema)
    if known != schema:
        raise ValueError(f"two different schemas are named {name!r} in one OpenAPI document")


def event_webhooks(
    publishes: Sequence[type[EventPayload]], schemas: dict[str, Any]
) -> dict[str, Any]:
    """Each published event as an OpenAPI 3.1 webhook, keyed by its type.

    Its body is the CloudEvents envelope as it travels on NATS, whose `data` is the payload's
    JSON Schema (the one committed under contracts/events/, with its definitions moved among
    the components, where OpenAPI tools look for them). Adds the schemas to `schemas`.
    """
    webhooks: dict[str, Any] = {}
    if publishes:
        _add_schema(
            schemas, "CloudEvent", CloudEvent.model_json_schema(ref_template=REF + "{model}")
        )
    for payload in sorted(publishes, key=lambda p: p.event_type):
        event_type = payload.event_type
        schema = payload.json_schema(ref_template=REF + "{model}")
        for name, definition in schema.pop("$defs", {}).items():
            _add_schema(schemas, name, definition)
        del schema["$schema"], schema["$id"]  # their refs resolve in the document, not the $id
        _add_schema(schemas, event_type, schema)
        envelope = {
            "properties": {"type": {"const": event_type}, "data": {"$ref": REF + event_type}}
        }
        webhooks[event_type] = {
            "post": {
                "tags": ["events"],
                "summary": schema.get("description", event_type),
                "description": (
                    f"Published on NATS JetStream, subject `{event_type}`, as a CloudEvents 1.0 "
                    f"envelope; its `data` follows `{schema_uri(event_type)}`."
                ),
                "operationId": event_type.replace(".", "_"),
                "requestBody": {
                    "required": True,
                    "content": {
                        CLOUDEVENTS_JSON: {
                            "schema": {"allOf": [{"$ref": REF + "CloudEvent"}, envelope]}
                        }
                    },
                },
                "responses": {"200": {"description": "Acknowledged by the consumer"}},
            }
        }
    return webhooks


def install_openapi(
    app: FastAPI,
    *,
    protected: Sequence[APIRouter],
    public: Sequence[APIRouter],
    publishes: Sequence[type[EventPayload]] = (),
) -> None:
    """Make the app's OpenAPI document declare the problem responses of every operation.

    `protected` routers are mounted behind the token check; a `public` route that takes the
    caller (`CurrentPrincipal`) checks a token too. `publishes` become the document's webhooks.
    """
    generate = app.openapi
    authenticated = authenticated_operations(protected, public)

    def openapi() -> dict[str, Any]:
        document = generate()
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    declare_problems(operation, authenticated=(path, method) in authenticated)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        if REF + "ValidationError" not in json.dumps(document):
            schemas.pop("ValidationError", None)
        schemas.update(problem_schemas())
        webhooks = event_webhooks(publishes, schemas)
        if webhooks:
            document["webhooks"] = webhooks
        document["components"]["schemas"] = dict(sorted(schemas.items()))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
