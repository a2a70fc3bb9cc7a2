"""A package's custody trail exported as JSON (with the chain's check) and as a Vietnamese
PDF; each export is itself recorded."""

from __future__ import annotations

import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import text

from servicekit.clock import ManualClock

from ..conftest import Feed
from ..sealed import seal_package


def test_the_json_export_lists_the_trail_ending_with_the_export(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    base = f"/packages/{sealed.package_id}"
    client.get(f"{base}/files/{sealed.video_id}/content", headers=officer_headers)
    exported = client.get(f"{base}/custody/export", headers=officer_headers)
    assert exported.status_code == 200, exported.text
    trail = exported.json()
    assert trail["request_id"] == sealed.request_id
    assert trail["chain"]["ok"] is True
    assert [r["action"] for r in trail["records"]] == ["sealed", "viewed", "exported"]
    assert trail["records"][-1]["details"] == {"format": "json"}
    assert all(len(r["mac"]) == 64 for r in trail["records"])
    assert trail["records"][1]["prev"] == trail["records"][0]["mac"]


def test_the_pdf_export_is_vietnamese_and_names_a_broken_chain(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    head_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    base = f"/packages/{sealed.package_id}"
    client.get(f"{base}/files/{sealed.note_id}/download", headers=head_headers)
    printed = client.get(f"{base}/custody/export.pdf", headers=head_headers)
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    text_of = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages)
    for expected in ("NHẬT KÝ CHUỖI LƯU GIỮ CHỨNG CỨ", "Niêm phong", "Tải xuống", "ghi-chu.txt"):
        assert expected in text_of, expected
    assert "nguyên vẹn" in text_of

    engine = app.state.engine
    with engine.begin() as conn:  # someone with database rights rewrites who downloaded
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER custody_records_no_update"))
        else:
            conn.execute(text("DROP TRIGGER custody_records_no_change ON custody_records"))
        conn.execute(
            text("UPDATE custody_records SET actor = 'someone' WHERE action = 'downloaded'")
        )
    tampered = client.get(f"{base}/custody/export", headers=head_headers).json()
    assert tampered["chain"]["ok"] is False
    assert tampered["chain"]["first_broken"]["seq"] == 2
    reprinted = client.get(f"{base}/custody/export.pdf", headers=head_headers)
    text_of = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(reprinted.content)).pages)
    assert "KHÔNG nguyên vẹn tại bản ghi số 2" in text_of
