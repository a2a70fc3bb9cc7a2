"""Two requests storing the same record at once: one stores it, the other finds it (no 500)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from risk.customs.models import CustomsRecord
from risk.customs.schemas import DeclarationIn
from risk.customs.service import ingest

from ..conftest import START
from .test_risk_ingestion import declaration


def test_a_concurrent_insert_of_the_same_version_is_unchanged(
    client: TestClient, app: FastAPI, database: Any, customs_headers: dict[str, str]
) -> None:
    if database.url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's row locks")
    answers: list[Any] = []
    with Session(app.state.engine) as first:
        ingest(first, DeclarationIn.model_validate(declaration()), source="other", now=START)
        # the first request has inserted but not committed; the second now blocks on the key
        second = threading.Thread(
            target=lambda: answers.append(
                client.post("/customs/declarations", json=declaration(), headers=customs_headers)
            )
        )
        second.start()
        time.sleep(1.0)
        first.commit()
    second.join(timeout=30)
    [response] = answers
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "unchanged"
    with Session(app.state.engine) as session:
        assert len(list(session.exec(select(CustomsRecord)))) == 1
