"""Diagram versions in a real S3 server: content type checked, size limited, downloadable."""

import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from devkit.testing.registry import EPE_ID, Callers, epe_body, registry_settings
from registry.main import create_app
from registry.models import metadata

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 5000


@pytest.fixture
def s3_client(database, tokens, s3):
    settings = registry_settings(
        database,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=s3.secure,
        s3_bucket=f"registry-test-{uuid.uuid4().hex[:8]}",
        diagram_max_bytes=200_000,
    )
    app = create_app(settings, token_verifier=tokens.verifier())
    metadata.create_all(app.state.engine)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def upload(client, callers, data, content_type, **params):
    return client.post(
        f"/epes/{EPE_ID}/diagrams",
        content=data,
        params=params,
        headers={**callers.epe(), "Content-Type": content_type},
    )


def test_versions_upload_list_download(s3_client, tokens):
    client, callers = s3_client, Callers(tokens)
    client.post("/epes", json=epe_body(), headers=callers.epe())
    v1 = upload(client, callers, PNG, "image/png", filename="so-do.png")
    assert v1.status_code == 201, v1.text
    assert v1.json()["version"] == 1 and v1.json()["size"] == len(PNG)
    v2 = upload(client, callers, PDF, "application/pdf")
    assert v2.status_code == 201 and v2.json()["version"] == 2
    listed = client.get(f"/epes/{EPE_ID}/diagrams", headers=callers.officer()).json()
    assert [d["version"] for d in listed["data"]] == [2, 1] and listed["next_cursor"] is None
    latest = client.get(f"/epes/{EPE_ID}/diagrams/latest/content", headers=callers.officer())
    assert latest.status_code == 200 and latest.content == PDF
    assert latest.headers["content-type"] == "application/pdf"
    old = client.get(f"/epes/{EPE_ID}/diagrams/1/content", headers=callers.officer())
    assert old.content == PNG and 'filename="so-do.png"' in old.headers["content-disposition"]
    assert client.get(f"/epes/{EPE_ID}/diagrams/9", headers=callers.officer()).status_code == 404
    v3 = upload(client, callers, PNG, "image/png")
    assert v3.status_code == 201 and v3.json()["version"] == 3
    first = client.get(f"/epes/{EPE_ID}/diagrams?limit=2", headers=callers.officer()).json()
    assert [d["version"] for d in first["data"]] == [3, 2] and first["next_cursor"]
    rest = client.get(
        f"/epes/{EPE_ID}/diagrams",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=callers.officer(),
    ).json()
    assert [d["version"] for d in rest["data"]] == [1] and rest["next_cursor"] is None
    bad = client.get(
        f"/epes/{EPE_ID}/diagrams", params={"cursor": "WyJ4Il0"}, headers=callers.officer()
    )  # ["x"]: not a version
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"
    huge = client.get(
        f"/epes/{EPE_ID}/diagrams",
        params={"cursor": "WzE4NDQ2NzQ0MDczNzA5NTUxNjE2XQ"},
        headers=callers.officer(),
    )  # [2**64]: beyond any version
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "query.cursor"
    assert (
        client.get(
            f"/epes/{EPE_ID}/diagrams/1/content", headers=callers.officer("CC-X")
        ).status_code
        == 403
    )


def test_type_size_and_rights_are_checked(s3_client, tokens):
    client, callers = s3_client, Callers(tokens)
    client.post("/epes", json=epe_body(), headers=callers.epe())
    r = upload(client, callers, b"GIF89a....", "image/gif")
    assert r.status_code == 415
    r = upload(client, callers, PNG, "application/pdf")  # a PNG labelled as PDF
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = upload(client, callers, b"%PDF-" + b"x" * 300_000, "application/pdf")
    assert r.status_code == 413
    r = upload(client, callers, b"", "image/png")
    assert r.status_code == 422
    r = client.post(
        f"/epes/{EPE_ID}/diagrams",
        content=PNG,
        headers={**callers.officer(), "Content-Type": "image/png"},
    )
    assert r.status_code == 403
    assert client.get(f"/epes/{EPE_ID}/diagrams", headers=callers.epe()).json() == {
        "data": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("sơ-đồ-kho.pdf", "so-do-kho.pdf"),
        ("倉庫図.pdf", "diagram-v1.pdf"),
        ('kho "A"; v=2.pdf', "kho_A_v_2.pdf"),
    ],
)
def test_names_outside_latin_1_download_with_rfc_5987_filename(s3_client, tokens, name, fallback):
    client, callers = s3_client, Callers(tokens)
    client.post("/epes", json=epe_body(), headers=callers.epe())
    assert upload(client, callers, PDF, "application/pdf", filename=name).status_code == 201
    r = client.get(f"/epes/{EPE_ID}/diagrams/latest/content", headers=callers.officer())
    assert r.status_code == 200 and r.content == PDF
    disposition = r.headers["content-disposition"]
    assert disposition.isascii()
    assert disposition == (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


@pytest.mark.parametrize("version", ["²", "\u0661", "0x1", "-1", "1234567890"])
def test_a_version_is_ascii_digits_or_latest(s3_client, tokens, version):
    client, callers = s3_client, Callers(tokens)
    client.post("/epes", json=epe_body(), headers=callers.epe())
    for suffix in ("", "/content"):
        r = client.get(f"/epes/{EPE_ID}/diagrams/{version}{suffix}", headers=callers.officer())
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "path.version"
