"""The OpenAPI document declares every problem response a route can send, as problem+json."""

from enum import StrEnum
from typing import Any, ClassVar

import jsonschema
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import MetaData

from devkit.testing.tokens import TokenFactory
from servicekit.app import ServiceSpec, create_service_app
from servicekit.auth import CurrentPrincipal
from servicekit.errors import PROBLEM_JSON, Conflict
from servicekit.events.envelope import CloudEvent, EventPayload
from servicekit.openapi import ProblemDocument, ValidationProblemDocument
from servicekit.settings import Environment, ServiceSettings

PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
VALIDATION = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}}


class Item(BaseModel):
    name: str


protected = APIRouter()
public = APIRouter()


@protected.get("/items/{item_id}")
def get_item(item_id: str) -> Item:
    return Item(name=item_id)


@protected.post("/items", status_code=201, responses={409: {"description": "name taken"}})
def create_item(item: Item) -> Item:
    if item.name == "taken":
        raise Conflict("an item with this name exists")
    return item


@protected.get("/count")
def count() -> int:
    return 1


@public.get("/open")
def open_route(q: str = "") -> str:
    return q


@public.get("/me")
def me(principal: CurrentPrincipal) -> str:
    return principal.subject


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class Lamp(BaseModel):
    lamp_id: str
    colour: Colour


class LampSwitched(EventPayload):
    """A lamp changed colour."""

    event_type: ClassVar[str] = "oapitest.lamp.switched.v1"
    lamp: Lamp


class LampRemoved(EventPayload):
    """A lamp was taken away."""

    event_type: ClassVar[str] = "oapitest.lamp.removed.v1"
    lamp_id: str


TOKENS = TokenFactory()
APP = create_service_app(
    ServiceSpec(
        title="test",
        description="test",
        settings=ServiceSettings(
            service_name="test",
            environment=Environment.TEST,
            database_url="sqlite://",
            events_enabled=False,
            log_json=False,
        ),
        metadata=MetaData(),
        routers=[protected],
        public_routers=[public],
        publishes=[LampSwitched, LampRemoved],
    ),
    token_verifier=TOKENS.verifier(),
)
DOCUMENT = APP.openapi()


def responses(path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = DOCUMENT["paths"][path][method]["responses"]
    return result


def test_generic_problems_follow_what_the_route_is_made_of():
    assert sorted(responses("/items/{item_id}", "get")) == ["200", "401", "403", "404", "422"]
    assert sorted(responses("/items", "post")) == ["201", "400", "401", "403", "409", "413", "422"]
    assert sorted(responses("/count", "get")) == ["200", "401", "403"]
    assert sorted(responses("/open", "get")) == ["200", "422"]
    assert sorted(responses("/me", "get")) == ["200", "401", "403"]


def test_every_error_is_problem_json_and_422_names_the_fields():
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == (VALIDATION if status == "422" else PROBLEM)
    assert responses("/items", "post")["409"]["description"] == "name taken"
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["ValidationProblem"]["required"] == ["type", "title", "status", "errors"]
    assert schemas["FieldError"]["required"] == ["field", "message"]


def test_the_documented_shapes_are_what_is_sent():
    client = TestClient(APP)
    headers = TOKENS.headers(subject="someone", roles=[], unit=None)
    invalid = client.post("/items", json={"nom": "x"}, headers=headers)
    conflict = client.post("/items", json={"name": "taken"}, headers=headers)
    unauthenticated = client.get("/count")
    assert invalid.status_code == 422
    ValidationProblemDocument.model_validate(invalid.json())
    assert conflict.status_code == 409
    ProblemDocument.model_validate(conflict.json())
    assert unauthenticated.status_code == 401
    ProblemDocument.model_validate(unauthenticated.json())


def test_the_document_is_stable_when_asked_again():
    assert APP.openapi() == DOCUMENT


def webhook_validator(event_type: str) -> jsonschema.Draft202012Validator:
    """Validates a request body against the webhook's schema, its references resolved in DOCUMENT."""
    content = DOCUMENT["webhooks"][event_type]["post"]["requestBody"]["content"]
    assert list(content) == ["application/cloudevents+json"]
    pointer = (
        f"#/webhooks/{event_type}/post/requestBody/content/application~1cloudevents+json/schema"
    )
    return jsonschema.Draft202012Validator({**DOCUMENT, "$ref": pointer})


def test_each_published_event_is_a_webhook_carrying_its_cloudevent() -> None:
    assert sorted(DOCUMENT["webhooks"]) == ["oapitest.lamp.removed.v1", "oapitest.lamp.switched.v1"]
    switched = CloudEvent.new(
        LampSwitched(lamp=Lamp(lamp_id="L1", colour=Colour.RED)), subject="L1"
    ).model_dump(mode="json")
    validator = webhook_validator("oapitest.lamp.switched.v1")

    validator.validate(switched)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**switched, "data": {"lamp": {"lamp_id": "L1", "colour": "blue"}}})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**switched, "type": "oapitest.lamp.removed.v1"})


def test_a_webhook_payload_schema_is_the_event_contract() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    contract = LampSwitched.json_schema()
    contract_defs = contract.pop("$defs")

    assert schemas["oapitest.lamp.removed.v1"] == {
        k: v for k, v in LampRemoved.json_schema().items() if k not in ("$schema", "$id")
    }
    assert schemas["oapitest.lamp.switched.v1"] == {
        k: v for k, v in contract.items() if k not in ("$schema", "$id")
    } | {"properties": {"lamp": {"$ref": "#/components/schemas/Lamp"}}}
    for name, definition in contract_defs.items():
        rewritten = str(definition).replace("#/$defs/", "#/components/schemas/")
        assert str(schemas[name]) == rewritten
