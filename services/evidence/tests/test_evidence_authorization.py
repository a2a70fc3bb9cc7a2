"""The authorization matrix: every evidence route, every kind of caller, the status expected.

Callers: the EPE's vendor software, an officer assigned to the EPE, an officer of the same
unit not assigned to it, the unit's head, an auditor, and a customs system client. Sealed
evidence is read by the first officers only; the EPE cannot read it back; an officer who may
not see something is told it does not exist (404), a role that may not act at all gets 403.
The share-link routes take no customs token: the link's token is the credential.

A route the app serves without a row here fails the test, so a new route needs its row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from servicekit.auth import Role
from servicekit.clock import ManualClock

from .conftest import UNIT, Feed
from .packages.tus import TUS, create, patch
from .sealed import Sealed, seal_package

CALLERS: dict[str, dict[str, Any]] = {
    "epe": {"subject": "vendor-epe-1", "roles": [Role.EPE_CLIENT], "unit": None, "epe_id": "epe-1"},
    "assigned": {"subject": "officer-an", "roles": [Role.SUPERVISORY_OFFICER], "unit": UNIT},
    "unassigned": {"subject": "officer-chi", "roles": [Role.SUPERVISORY_OFFICER], "unit": UNIT},
    "head": {"subject": "head-binh", "roles": [Role.HEAD_OF_SUBDEPARTMENT], "unit": UNIT},
    "auditor": {"subject": "auditor-dung", "roles": [Role.AUDITOR], "unit": UNIT},
    "customs_system": {"subject": "vnaccs", "roles": [Role.CUSTOMS_SYSTEM], "unit": None},
}
CHUNK = b"0123456789"
VENDOR_ONLY = {
    "epe": 0,  # set per route below
    "assigned": 403,
    "unassigned": 403,
    "head": 403,
    "auditor": 403,
    "customs_system": 403,
}
REQUEST_BODY = {
    "epe_id": "epe-1",
    "cameras": ["cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu",
}


@dataclass
class World:
    """What the calls act on; `fresh_*` make a new target for calls that change state."""

    client: TestClient
    app: FastAPI
    clock: ManualClock
    sealed: Sealed
    head: dict[str, str]
    epe: dict[str, str]

    def fresh_request(self) -> str:
        made = self.client.post("/requests", json=REQUEST_BODY, headers=self.head)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def fresh_upload(self) -> str:
        """A new file upload (tus creation by the vendor) of a fresh request: its path."""
        request_id = self.fresh_request()
        made = create(self.client, request_id, self.epe, size=len(CHUNK))
        assert made.status_code == 201, made.text
        return f"/requests/{request_id}/uploads/{made.headers['Location'].rsplit('/', 1)[1]}"

    def fresh_submittable(self) -> str:
        """A fresh request with one complete file, ready to submit: its id."""
        upload = self.fresh_upload()
        done = patch(self.client, upload, self.epe, offset=0, data=CHUNK)
        assert done.status_code == 204, done.text
        return upload.split("/")[2]

    def fresh_sealed(self) -> str:
        """A package sealed the way the EPE seals one (upload, submit): its id."""
        receipt = self.client.post(f"/requests/{self.fresh_submittable()}/submit", headers=self.epe)
        assert receipt.status_code == 200, receipt.text
        return str(receipt.json()["package_id"])

    def share_body(self) -> dict[str, Any]:
        return {
            "recipient_name": "Nguyễn Văn Hùng",
            "recipient_authority": "Công an TP. Hồ Chí Minh",
            "purpose": "Điều tra",
            "expires_at": (self.clock.now() + timedelta(days=3)).isoformat(),
            "max_downloads": 3,
        }

    def fresh_share(self) -> dict[str, Any]:
        made = self.client.post(
            f"/packages/{self.sealed.package_id}/shares", json=self.share_body(), headers=self.head
        )
        assert made.status_code == 201, made.text
        return dict(made.json())


Call = Callable[[World, dict[str, str]], Any]


def _package(w: World) -> str:
    return f"/packages/{w.sealed.package_id}"


# route (method, path as the app declares it) -> how to call it, and the status per caller
MATRIX: dict[tuple[str, str], tuple[Call, dict[str, int]]] = {
    ("POST", "/requests"): (
        lambda w, h: w.client.post("/requests", json=REQUEST_BODY, headers=h),
        {
            "epe": 403,
            "assigned": 201,
            "unassigned": 403,
            "head": 201,
            "auditor": 403,
            "customs_system": 403,
        },
    ),
    ("GET", "/requests"): (
        lambda w, h: w.client.get("/requests", headers=h),
        {
            "epe": 200,
            "assigned": 200,
            "unassigned": 200,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/requests/{request_id}"): (
        lambda w, h: w.client.get(f"/requests/{w.sealed.request_id}", headers=h),
        {
            "epe": 200,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("POST", "/requests/{request_id}/cancel"): (
        lambda w, h: w.client.post(
            f"/requests/{w.fresh_request()}/cancel", json={"reason": "Thôi"}, headers=h
        ),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 403,
            "customs_system": 403,
        },
    ),
    ("OPTIONS", "/requests/{request_id}/uploads"): (
        lambda w, h: w.client.options(
            f"/requests/{w.fresh_request()}/uploads", headers={**h, **TUS}
        ),
        {**VENDOR_ONLY, "epe": 204},
    ),
    ("POST", "/requests/{request_id}/uploads"): (
        lambda w, h: create(w.client, w.fresh_request(), h, size=len(CHUNK)),
        {**VENDOR_ONLY, "epe": 201},
    ),
    ("HEAD", "/requests/{request_id}/uploads/{file_id}"): (
        lambda w, h: w.client.head(w.fresh_upload(), headers={**h, **TUS}),
        {**VENDOR_ONLY, "epe": 200},
    ),
    ("PATCH", "/requests/{request_id}/uploads/{file_id}"): (
        lambda w, h: patch(w.client, w.fresh_upload(), h, offset=0, data=CHUNK),
        {**VENDOR_ONLY, "epe": 204},
    ),
    ("DELETE", "/requests/{request_id}/uploads/{file_id}"): (
        lambda w, h: w.client.delete(w.fresh_upload(), headers={**h, **TUS}),
        {**VENDOR_ONLY, "epe": 204},
    ),
    ("GET", "/requests/{request_id}/files"): (
        lambda w, h: w.client.get(f"/requests/{w.sealed.request_id}/files", headers=h),
        {
            "epe": 200,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("POST", "/requests/{request_id}/submit"): (
        lambda w, h: w.client.post(f"/requests/{w.fresh_submittable()}/submit", headers=h),
        {**VENDOR_ONLY, "epe": 200},
    ),
    ("GET", "/requests/{request_id}/package"): (
        lambda w, h: w.client.get(f"/requests/{w.sealed.request_id}/package", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}"): (
        lambda w, h: w.client.get(_package(w), headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("PUT", "/packages/{package_id}/legal-hold"): (
        lambda w, h: w.client.put(
            f"/packages/{w.fresh_sealed()}/legal-hold", json={"on": True}, headers=h
        ),
        {
            "epe": 403,
            "assigned": 403,
            "unassigned": 403,
            "head": 200,
            "auditor": 403,
            "customs_system": 403,
        },
    ),
    ("POST", "/packages/{package_id}/verify"): (
        lambda w, h: w.client.post(f"/packages/{w.fresh_sealed()}/verify", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/signing-key"): (
        lambda w, h: w.client.get("/signing-key", headers=h),
        {
            "epe": 200,
            "assigned": 200,
            "unassigned": 200,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/requests/{request_id}/custody"): (
        lambda w, h: w.client.get(f"/requests/{w.sealed.request_id}/custody", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/custody/verify"): (
        lambda w, h: w.client.get("/custody/verify", headers=h),
        {
            "epe": 403,
            "assigned": 403,
            "unassigned": 403,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}/files/{file_id}/content"): (
        lambda w, h: w.client.get(
            f"{_package(w)}/files/{w.sealed.video_id}/content", headers={**h, "Range": "bytes=0-9"}
        ),
        {
            "epe": 403,
            "assigned": 206,
            "unassigned": 404,
            "head": 206,
            "auditor": 206,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}/files/{file_id}/download"): (
        lambda w, h: w.client.get(f"{_package(w)}/files/{w.sealed.note_id}/download", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("POST", "/packages/{package_id}/shares"): (
        lambda w, h: w.client.post(f"{_package(w)}/shares", json=w.share_body(), headers=h),
        {
            "epe": 403,
            "assigned": 201,
            "unassigned": 404,
            "head": 201,
            "auditor": 403,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}/shares"): (
        lambda w, h: w.client.get(f"{_package(w)}/shares", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("POST", "/shares/{share_id}/revoke"): (
        lambda w, h: w.client.post(
            f"/shares/{w.fresh_share()['id']}/revoke", json={"reason": "Thu hồi"}, headers=h
        ),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 403,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}/custody/export"): (
        lambda w, h: w.client.get(f"{_package(w)}/custody/export", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    ("GET", "/packages/{package_id}/custody/export.pdf"): (
        lambda w, h: w.client.get(f"{_package(w)}/custody/export.pdf", headers=h),
        {
            "epe": 403,
            "assigned": 200,
            "unassigned": 404,
            "head": 200,
            "auditor": 200,
            "customs_system": 403,
        },
    ),
    # The link's token is the credential: any caller, or none, holding it is served.
    ("GET", "/shared/{token}"): (
        lambda w, h: w.client.get(f"/shared/{w.fresh_share()['token']}", headers=h),
        dict.fromkeys(CALLERS, 200),
    ),
    ("GET", "/shared/{token}/files/{file_id}"): (
        lambda w, h: w.client.get(
            f"/shared/{w.fresh_share()['token']}/files/{w.sealed.note_id}", headers=h
        ),
        dict.fromkeys(CALLERS, 200),
    ),
}


def _served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every operation of the app's OpenAPI document (what it serves, health aside)."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def test_every_route_has_its_row(app: FastAPI) -> None:
    assert _served_routes(app) == set(MATRIX)


@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_gets_the_expected_status(
    route: tuple[str, str],
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    tokens: Any,
    head_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    call, expected = MATRIX[route]
    world = World(client, app, clock, seal_package(app, clock.now()), head_headers, epe_headers)
    got = {
        caller: call(world, tokens.headers(**claims)).status_code
        for caller, claims in CALLERS.items()
    }
    assert got == expected
