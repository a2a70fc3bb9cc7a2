"""Oversized bodies are refused with 413 before they are read or parsed; others pass untouched."""

from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from servicekit.bodylimit import BodyLimitMiddleware
from servicekit.errors import install_problem_handlers

calls: list[str] = []


class Note(BaseModel):
    text: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes")
    def create_note(note: Note) -> dict[str, int]:
        calls.append("create_note")
        return {"length": len(note.text)}

    @app.post("/files")
    async def upload_file(request: Request) -> dict[str, int]:
        calls.append("upload_file")
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    app.add_middleware(BodyLimitMiddleware, default=1000, overrides={"upload_file": 5000})
    return app


client = TestClient(make_app())


def chunks(total: int, size: int = 100) -> Iterator[bytes]:
    """A body sent chunked (no Content-Length), as a streaming client sends it."""
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def _is_413(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Content Too Large"


def test_a_declared_length_over_the_limit_is_refused_before_the_route_runs():
    calls.clear()
    response = client.post("/notes", json={"text": "x" * 2000})
    _is_413(response)
    assert "1000 bytes" in response.json()["detail"]
    assert calls == []
    beyond_every_route = client.post("/files", content=b"x" * 6000)
    _is_413(beyond_every_route)
    assert "5000 bytes" in beyond_every_route.json()["detail"]
    assert beyond_every_route.headers["connection"] == "close"
    assert calls == []


def test_a_chunked_body_is_counted_and_refused_when_it_grows_too_large():
    calls.clear()
    response = client.post(
        "/files", content=chunks(6000), headers={"content-type": "application/octet-stream"}
    )
    assert "content-length" not in response.request.headers
    _is_413(response)
    json_body = chunks(3000)
    _is_413(client.post("/notes", content=json_body, headers={"content-type": "application/json"}))
    assert "create_note" not in calls


def test_requests_within_their_route_limit_are_unaffected():
    assert client.post("/notes", json={"text": "x" * 900}).json() == {"length": 900}
    response = client.post("/files", content=chunks(4500))
    assert response.status_code == 200 and response.json() == {"size": 4500}
    assert client.post("/files", content=b"y" * 4999).json() == {"size": 4999}
    assert client.get("/openapi.json").status_code == 200
