"""A service serves no docs page of its own: FastAPI's would load Swagger UI from a CDN."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from servicekit.app import ServiceSpec, create_service_app
from servicekit.settings import ServiceSettings


def test_no_docs_pages_that_load_from_the_internet(tmp_path):
    settings = ServiceSettings(
        service_name="demo", database_url=f"sqlite:///{tmp_path}/d.db", events_enabled=False
    )
    app = create_service_app(
        ServiceSpec(
            title="demo",
            description="",
            settings=settings,
            metadata=SQLModel.metadata,
            routers=[APIRouter()],
        )
    )
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200  # the gateway builds the pages
