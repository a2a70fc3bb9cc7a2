"""Submitting seals the package: a signed manifest beside the files, COMPLIANCE retention on
the real S3 server (delete and overwrite refused), legal hold, and who may read it."""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from minio.error import S3Error

from evidence.custody.models import CHAIN
from evidence.packages.dsse import load_public_pem, open_envelope
from servicekit.auth import Role

from ..conftest import UNIT, Feed
from . import tus

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1", "cam-2"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu container",
}


@pytest.fixture
def request_id(client: TestClient, feed: Feed, officer_headers: dict[str, str]) -> str:
    made = client.post("/requests", json=BODY, headers=officer_headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@pytest.fixture
def sealed(client: TestClient, request_id: str, epe_headers: dict[str, str]) -> dict[str, Any]:
    """A request answered with two files and submitted: the receipt and the files' bytes."""
    files = {"gate.mp4": os.urandom(300_000), "yard.mp4": os.urandom(200_000)}
    tus.upload(client, request_id, epe_headers, files["gate.mp4"], name="gate.mp4")
    tus.upload(client, request_id, epe_headers, files["yard.mp4"], name="yard.mp4", camera="cam-2")
    submitted = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert submitted.status_code == 200, submitted.text
    return {"receipt": submitted.json(), "files": files, "request_id": request_id}


def test_submitting_seals_a_signed_manifest_of_every_file(
    client: TestClient,
    app: FastAPI,
    sealed: dict[str, Any],
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    receipt, request_id = sealed["receipt"], sealed["request_id"]
    assert receipt["state"] == "sealed"
    assert client.get(f"/requests/{request_id}", headers=epe_headers).json()["state"] == "sealed"
    package = client.get(f"/requests/{request_id}/package", headers=officer_headers).json()
    assert package["id"] == receipt["package_id"]
    assert package["manifest_sha256"] == receipt["manifest_sha256"]
    assert package["legal_hold"] is False

    key = client.get("/signing-key", headers=epe_headers).json()
    assert key["algorithm"] == "Ed25519" and key["key_id"] == package["key_id"]
    store = app.state.evidence_store
    with app.state.engine.connect() as conn:  # closed: an open one would block the teardown
        row = conn.exec_driver_sql("SELECT envelope_key, manifest_key FROM packages").one()
    envelope = store.client.get_object(store.bucket, row[0]).read()
    payload = open_envelope(envelope, load_public_pem(key["public_key_pem"]))
    assert hashlib.sha256(payload).hexdigest() == package["manifest_sha256"]
    manifest = json.loads(payload)
    assert manifest["request"]["id"] == request_id
    assert manifest["request"]["cameras"] == ["cam-1", "cam-2"]
    assert manifest["request"]["time_ranges"] == [
        {"start": "2025-01-18T01:00:00+00:00", "end": "2025-01-18T03:00:00+00:00"}
    ]
    assert [(f["name"], f["size"], f["sha256"], f["camera"]) for f in manifest["files"]] == [
        (name, len(data), hashlib.sha256(data).hexdigest(), camera)
        for (name, data), camera in zip(sealed["files"].items(), ("cam-1", "cam-2"), strict=True)
    ]
    assert all(f["uploaded_at"] and f["media_type"] == "video/mp4" for f in manifest["files"])

    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    assert [r["action"] for r in trail] == ["requested", "uploaded", "uploaded", "sealed"]
    assert trail[-1]["sha256"] == package["manifest_sha256"]
    anchors = app.state.anchor_store.read(CHAIN)
    assert anchors and anchors[-1].seq == trail[-1]["seq"]

    # the EPE cannot read the package back, nor add to it
    assert client.get(f"/requests/{request_id}/package", headers=epe_headers).status_code == 403
    assert client.get(f"/packages/{package['id']}", headers=epe_headers).status_code == 403
    late = tus.create(client, request_id, epe_headers, size=10, name="late.mp4")
    assert late.status_code == 409
    again = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert again.status_code == 200 and again.json() == receipt


def test_sealed_objects_can_be_neither_deleted_nor_overwritten_before_expiry(
    app: FastAPI, sealed: dict[str, Any]
) -> None:
    store = app.state.evidence_store
    with app.state.engine.connect() as conn:
        keys = [
            tuple(r)
            for r in conn.exec_driver_sql("SELECT object_key, version_id FROM package_files")
        ]
        keys += [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT manifest_key, manifest_version_id FROM packages UNION ALL "
                "SELECT envelope_key, envelope_version_id FROM packages"
            )
        ]
    assert len(keys) == 4
    at_least = datetime.now(UTC) + timedelta(days=365)
    for key, version in keys:
        retention = store.client.get_object_retention(store.bucket, key, version_id=version)
        assert retention.mode == "COMPLIANCE"
        assert retention.retain_until_date > at_least
        with pytest.raises(S3Error) as refused:
            store.client.remove_object(store.bucket, key, version_id=version)
        assert refused.value.code == "AccessDenied"
    key, version = keys[0]
    store.client.put_object(store.bucket, key, io.BytesIO(b"forged"), 6)
    original = store.client.get_object(store.bucket, key, version_id=version)
    assert original.read() == sealed["files"]["gate.mp4"]
    original.close()


def test_legal_hold_is_set_and_cleared_by_the_head(
    client: TestClient,
    app: FastAPI,
    sealed: dict[str, Any],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
    tokens: Any,
) -> None:
    package_id = sealed["receipt"]["package_id"]
    url = f"/packages/{package_id}/legal-hold"
    assert client.put(url, json={"on": True}, headers=officer_headers).status_code == 403
    auditor = tokens.headers(subject="aud", roles=[Role.AUDITOR], unit=UNIT)
    assert client.put(url, json={"on": True}, headers=auditor).status_code == 403
    held = client.put(url, json={"on": True}, headers=head_headers)
    assert held.status_code == 200, held.text
    assert held.json()["legal_hold"] is True
    assert held.json()["legal_hold_changed_by"] == "head-binh"
    store = app.state.evidence_store
    with app.state.engine.connect() as conn:
        files = list(conn.exec_driver_sql("SELECT object_key, version_id FROM package_files"))
    for key, version in files:
        assert store.client.is_object_legal_hold_enabled(store.bucket, key, version_id=version)
    assert client.put(url, json={"on": True}, headers=head_headers).status_code == 409
    assert client.put(url, json={"on": "yes", "x": 1}, headers=head_headers).status_code == 422
    cleared = client.put(url, json={"on": False}, headers=head_headers)
    assert cleared.status_code == 200 and cleared.json()["legal_hold"] is False
    for key, version in files:
        assert not store.client.is_object_legal_hold_enabled(store.bucket, key, version_id=version)
    trail = client.get(f"/requests/{sealed['request_id']}/custody", headers=head_headers).json()[
        "data"
    ]
    holds = [r["details"]["legal_hold"] for r in trail if r["action"] == "legal_hold_changed"]
    assert holds == [True, False]


def test_submitting_needs_every_upload_finished(
    client: TestClient, request_id: str, epe_headers: dict[str, str]
) -> None:
    empty = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert empty.status_code == 409
    tus.upload(client, request_id, epe_headers, b"complete")
    tus.create(client, request_id, epe_headers, size=100, name="half.mp4")
    unfinished = client.post(f"/requests/{request_id}/submit", headers=epe_headers)
    assert unfinished.status_code == 409
    assert unfinished.json()["unfinished"] == ["half.mp4"]
    assert client.get(f"/requests/{request_id}", headers=epe_headers).json()["state"] == "uploading"


def test_only_officials_of_the_epe_read_a_package(
    client: TestClient, sealed: dict[str, Any], tokens: Any
) -> None:
    package_id = sealed["receipt"]["package_id"]
    allowed = [
        tokens.headers(subject="officer-an", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT),
        tokens.headers(subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT),
        tokens.headers(subject="aud", roles=[Role.AUDITOR], unit=UNIT),
    ]
    for headers in allowed:
        assert client.get(f"/packages/{package_id}", headers=headers).status_code == 200
    unassigned = tokens.headers(subject="officer-x", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)
    other_unit = tokens.headers(subject="aud2", roles=[Role.AUDITOR], unit="OTHER")
    for headers in (unassigned, other_unit):
        assert client.get(f"/packages/{package_id}", headers=headers).status_code == 404
        assert client.post(f"/packages/{package_id}/verify", headers=headers).status_code == 404
