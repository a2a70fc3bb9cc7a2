"""Keyset pagination: cursors round-trip, tampered ones are 422 naming `cursor`, pages trim."""

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from servicekit.errors import Problem, install_problem_handlers
from servicekit.pagination import (
    MAX_INT_KEY,
    Page,
    cursor_int,
    cursor_param,
    cursor_time,
    decode_cursor,
    encode_cursor,
    limit_param,
    page_of,
)


class Item(BaseModel):
    key: int


class ItemsPage(Page[Item]):
    """Items in key order."""

    next_cursor: str | None


def raw_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    items = [Item(key=k) for k in range(1, 8)]

    @app.get("/items")
    def list_items(
        cursor: Annotated[str | None, cursor_param()] = None,
        limit: Annotated[int, limit_param(5)] = 3,
    ) -> Page[Item]:
        key = decode_cursor(cursor, arity=1)
        after = cursor_int(key[0]) if key else 0
        rows = [i for i in items if i.key > after][: limit + 1]
        data, next_cursor = page_of(rows, limit, lambda i: [i.key])
        return Page(data=data, next_cursor=next_cursor)

    @app.get("/named")
    def named(
        cursor: Annotated[str | None, cursor_param(described=False)] = None,
        limit: Annotated[int, limit_param(1000, described=False)] = 100,
    ) -> ItemsPage:
        return ItemsPage(data=[], next_cursor=None)

    return app


def test_walking_the_pages_visits_every_row_once() -> None:
    with TestClient(make_app()) as client:
        seen: list[int] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"cursor": cursor} if cursor else {}
            body = client.get("/items", params=params).json()
            seen += [i["key"] for i in body["data"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert seen == list(range(1, 8))
    assert pages == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        raw_cursor({"a": 1}),
        raw_cursor([]),
        raw_cursor([True]),
        raw_cursor([MAX_INT_KEY + 1]),
        raw_cursor([1, 2]),
        raw_cursor([-1]),
    ],
)
def test_a_cursor_we_did_not_issue_is_a_422_naming_it(cursor: str) -> None:
    with TestClient(make_app()) as client:
        response = client.get("/items", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "cursor" in json.dumps(response.json())


def test_limits_outside_the_range_are_refused() -> None:
    with TestClient(make_app()) as client:
        assert client.get("/items", params={"limit": 0}).status_code == 422
        assert client.get("/items", params={"limit": 6}).status_code == 422
        assert client.get("/items", params={"limit": 5}).status_code == 200


def test_datetime_parts_round_trip_aware() -> None:
    moment = datetime(2026, 3, 1, 1, 2, 3, tzinfo=UTC)
    key = decode_cursor(encode_cursor(moment, "id-1"), arity=2)
    assert key is not None
    assert cursor_time(key[0]) == moment and key[1] == "id-1"
    for bad in ("2026-03-01T01:02:03", "yesterday"):
        with pytest.raises(Problem):
            cursor_time(bad)


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None
    assert decode_cursor("") is None


def test_the_published_shapes_are_kept() -> None:
    schema = make_app().openapi()
    components = schema["components"]["schemas"]
    generic = components["Page_Item_"]
    assert generic["required"] == ["data"]
    assert "description" in generic["properties"]["next_cursor"]
    named = components["ItemsPage"]
    assert named["required"] == ["data", "next_cursor"]
    assert named["description"] == "Items in key order."
    assert "description" not in named["properties"]["next_cursor"]
    described, plain = (schema["paths"][p]["get"]["parameters"] for p in ("/items", "/named"))
    assert [p.get("description") for p in described] == [
        "next_cursor of the previous page",
        "page size",
    ]
    assert [p.get("description") for p in plain] == [None, None]
    assert plain[0]["schema"]["anyOf"][0]["maxLength"] == 500
    assert plain[1]["schema"]["maximum"] == 1000
