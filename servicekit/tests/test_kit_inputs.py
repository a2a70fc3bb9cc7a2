"""Input models refuse unknown fields, control characters and instants out of range, by name."""

import json
from datetime import datetime
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import SecretStr

from servicekit.errors import install_problem_handlers
from servicekit.inputs import CleanStr, Day, InputModel, Instant, clean_url


class Part(InputModel):
    label: str


class Entry(InputModel):
    description: str
    started_at: datetime
    tags: list[str] = []
    parts: list[Part] = []
    password: SecretStr | None = None


def make_app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(clean_url)])
    install_problem_handlers(app)

    @app.get("/entries/{entry_id}")
    def read(entry_id: str, fields: str | None = None) -> dict[str, str]:
        return {"id": entry_id}

    @app.post("/entries")
    def create(entry: Entry) -> dict[str, str]:
        return {"started_at": entry.started_at.isoformat()}

    @app.get("/entries")
    def search(
        text: Annotated[CleanStr | None, Query(max_length=50)] = None,
        since: Annotated[Instant | None, Query()] = None,
        day: Annotated[Day | None, Query()] = None,
    ) -> dict[str, str | None]:
        return {"since": since.isoformat() if since else None}

    return app


client = TestClient(make_app(), raise_server_exceptions=False)
GOOD = {"description": "power cut\tin the\r\nwarehouse", "started_at": "2026-02-12T15:00:00+07:00"}


def post(body: dict[str, object]):  # type: ignore[no-untyped-def]
    """JSON as a vendor's library writes it: escaped, so a lone surrogate can travel."""
    headers = {"content-type": "application/json"}
    return client.post("/entries", content=json.dumps(body), headers=headers)


def _fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def test_a_good_body_passes_and_its_instant_is_utc():
    response = post(GOOD)
    assert response.status_code == 200
    assert response.json() == {"started_at": "2026-02-12T08:00:00+00:00"}


def test_an_unknown_field_is_refused_by_name():
    response = post({**GOOD, "notified_at": "2026-02-12T15:00:00+07:00"})
    assert _fields(response) == ["body.notified_at"]
    response = post({**GOOD, "parts": [{"label": "a", "color": "red"}]})
    assert _fields(response) == ["body.parts.0.color"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_instants_at_the_edges_are_refused_by_name(moment: str):
    response = post({**GOOD, "started_at": moment})
    assert _fields(response) == ["body.started_at"]
    assert "2000" in response.json()["detail"]
    assert _fields(client.get("/entries", params={"since": moment})) == ["query.since"]


def test_naive_instants_and_far_days_are_refused():
    response = post({**GOOD, "started_at": "2026-02-12T15:00:00"})
    assert _fields(response) == ["body.started_at"]
    assert _fields(client.get("/entries", params={"day": "9999-12-31"})) == ["query.day"]
    assert client.get("/entries", params={"day": "1995-06-01"}).status_code == 200


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\ud800"])
def test_control_characters_are_refused_wherever_the_text_is(char: str):
    assert _fields(post({**GOOD, "description": f"a{char}b"})) == ["body.description"]
    assert _fields(post({**GOOD, "tags": ["ok", char]})) == ["body.tags"]
    response = post({**GOOD, "parts": [{"label": char}]})
    assert _fields(response) == ["body.parts.0.label"]
    assert _fields(post({**GOOD, "password": char})) == ["body.password"]
    response = post({**GOOD, "description": f"a{char}b"})
    assert response.json()["errors"][0]["message"].startswith("must not contain")
    if char != "\ud800":  # a lone surrogate cannot be put in a URL
        assert _fields(client.get("/entries", params={"text": char})) == ["query.text"]


def test_control_characters_anywhere_in_the_url_are_refused_by_name():
    assert client.get("/entries/e%091").status_code == 200  # a tab is text
    assert _fields(client.get("/entries/e%001")) == ["path.entry_id"]
    assert _fields(client.get("/entries/e1?fields=a%7f")) == ["query.fields"]
    assert _fields(client.get("/entries/e1?undeclared=%1b")) == ["query.undeclared"]
    response = client.get("/entries/e1?bad%00name=1")
    assert _fields(response) == ["query"]
    assert "\x00" not in response.text and "\\u0000" not in response.text
