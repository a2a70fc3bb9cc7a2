"""Every error is RFC 9457 problem+json naming the wrong field; unexpected errors leak nothing."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import create_engine, text

from servicekit.errors import Conflict, field_error, install_problem_handlers


class Item(BaseModel):
    name: str = Field(min_length=1)
    count: int

    @field_validator("count")
    @classmethod
    def _small(cls, value: int) -> int:
        if value > 100:
            raise ValueError("must be at most 100 items")
        if value == 13:
            raise AssertionError("must not be thirteen")
        return value


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/items")
    def create(item: Item) -> Item:
        if item.name == "dup":
            raise Conflict("an item with this name exists", existing="dup")
        if item.name == "bad":
            raise field_error("name", "must not be 'bad'")
        return item

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("database password=hunter2 leaked?")

    return app


client = TestClient(make_app(), raise_server_exceptions=False)


def test_validation_error_names_the_field():
    response = client.post("/items", json={"name": "x", "count": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "body.count"
    assert "many" not in response.text  # input is not echoed back


def test_domain_problems_keep_their_status_and_extensions():
    response = client.post("/items", json={"name": "dup", "count": 1})
    assert response.status_code == 409
    assert response.json()["existing"] == "dup"
    response = client.post("/items", json={"name": "bad", "count": 1})
    assert response.json()["errors"] == [{"field": "name", "message": "must not be 'bad'"}]


def test_unknown_route_is_a_problem():
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"


def test_unexpected_error_is_a_bare_500_problem():
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_messages_read_as_written_without_the_library_prefix():
    response = client.post("/items", json={"name": "x", "count": 101})
    body = response.json()
    assert body["errors"] == [{"field": "body.count", "message": "must be at most 100 items"}]
    assert body["detail"] == "body.count: must be at most 100 items"
    response = client.post("/items", json={"name": "x", "count": 13})
    assert response.json()["errors"][0]["message"] == "must not be thirteen"


def test_a_locked_database_is_a_503_to_retry_not_a_500(tmp_path):
    """SQLite's "database is locked" (another writer held the lock past the busy timeout)."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder = create_engine(url)
    writer = create_engine(url, connect_args={"timeout": 0.1})
    with holder.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/write")
    def write() -> None:
        with writer.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))

    @app.post("/broken")
    def broken() -> None:
        with writer.begin() as conn:
            conn.execute(text("INSERT INTO missing_table VALUES (1)"))

    tests = TestClient(app, raise_server_exceptions=False)
    with holder.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (0)"))  # holds the write lock
        busy = tests.post("/write")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
    assert busy.headers["content-type"] == "application/problem+json"
    assert tests.post("/write").status_code == 200  # the lock is gone
    assert tests.post("/broken").status_code == 500  # other database errors stay 500s
