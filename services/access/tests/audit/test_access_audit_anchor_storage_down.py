"""When the anchors' object storage cannot be reached, verifying says so (503 problem) rather
than reporting a chain it could not compare with its anchors."""

from __future__ import annotations

import pytest

from access.settings import Settings
from devkit.testing.ports import free_port

from ..conftest import make_settings


@pytest.fixture
def access_settings(database, tmp_path) -> Settings:
    return make_settings(
        database, tmp_path, audit_anchor_enabled=True, s3_endpoint=f"127.0.0.1:{free_port()}"
    )


def test_verify_and_anchor_answer_503_when_storage_is_down(client, flows):
    auditor = flows.officer_headers("auditor")
    for response in (
        client.get("/audit/verify", headers=auditor),
        client.post("/audit/anchors", headers=auditor),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "object storage" in response.json()["detail"]
