"""The contract check fails on any answer the OpenAPI document does not declare."""

from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import PlainTextResponse
from schemathesis.core.failures import FailureGroup

from devkit.testing.contract import check_case, schema_for
from servicekit.errors import Conflict, install_problem_handlers
from servicekit.openapi import install_openapi

router = APIRouter()
Name = Annotated[str, Query(max_length=20)]


@router.get("/declared", responses={409: {"description": "taken"}})
def declared(name: Name) -> dict[str, str]:
    if name == "taken":
        raise Conflict("taken")
    return {"name": name}


@router.get("/undeclared")
def undeclared(name: Name) -> dict[str, str]:
    if name == "taken":
        raise Conflict("taken")
    return {"name": name}


@router.get("/text")
def text(name: Name) -> PlainTextResponse:
    return PlainTextResponse(name)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    install_openapi(app, protected=[], public=[router])
    return app


SCHEMA = schema_for(make_app())


def call(path: str, name: str) -> None:
    check_case(SCHEMA[path]["GET"].Case(query={"name": name}), [{}])


def test_declared_answers_pass():
    call("/declared", "free")
    call("/declared", "taken")
    call("/undeclared", "free")


@pytest.mark.parametrize(
    ("path", "name", "failure"),
    [
        ("/undeclared", "taken", "Undocumented status code"),
        ("/text", "free", "Undocumented Content-Type"),
    ],
)
def test_an_undeclared_status_or_media_type_fails(path: str, name: str, failure: str):
    with pytest.raises(FailureGroup, match=failure):
        call(path, name)
