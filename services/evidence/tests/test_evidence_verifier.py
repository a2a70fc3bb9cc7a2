"""The verifier names each kind of tampering: a changed byte, a missing file, a swapped
manifest, a forged envelope, a file slipped in; offline (directory + public key), through the
endpoint and from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from evidence.__main__ import cli
from evidence.packages.dsse import Signer, load_public_pem, public_pem
from evidence.packages.models import Package
from evidence.verifier import download, verify_directory

from .conftest import Feed
from .packages import tus

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu",
}


@pytest.fixture
def package_dir(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
    tmp_path: Path,
) -> Path:
    """A sealed package of two files, downloaded as the offline verifier reads it."""
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    tus.upload(client, request_id, epe_headers, os.urandom(100_000), name="a.mp4")
    tus.upload(client, request_id, epe_headers, os.urandom(50_000), name="b.mp4")
    package_id = client.post(f"/requests/{request_id}/submit", headers=epe_headers).json()[
        "package_id"
    ]
    with Session(app.state.engine) as session:
        package = session.get(Package, package_id)
        assert package is not None
        directory = tmp_path / "package"
        assert download(app.state.evidence_store, package, directory) == ["a.mp4", "b.mp4"]
    return directory


def _public(app: FastAPI) -> Any:
    return app.state.signer.public


def _kinds(report: Any) -> list[tuple[str, str | None]]:
    return [(f.kind, f.file) for f in report.findings]


def test_an_untouched_package_verifies(app: FastAPI, package_dir: Path) -> None:
    report = verify_directory(package_dir, _public(app))
    assert report.ok, report.findings
    assert report.files_checked == 2


def test_a_tampered_byte_is_named(app: FastAPI, package_dir: Path) -> None:
    target = package_dir / "files" / "b.mp4"
    data = bytearray(target.read_bytes())
    data[12_345] ^= 0x01
    target.write_bytes(bytes(data))
    report = verify_directory(package_dir, _public(app))
    assert _kinds(report) == [("hash", "b.mp4")]
    assert "altered" in report.findings[0].detail


def test_a_missing_file_and_an_extra_one_are_named(app: FastAPI, package_dir: Path) -> None:
    (package_dir / "files" / "a.mp4").unlink()
    (package_dir / "files" / "c.mp4").write_bytes(b"slipped in")
    assert _kinds(verify_directory(package_dir, _public(app))) == [
        ("missing", "a.mp4"),
        ("extra", "c.mp4"),
    ]


def test_a_swapped_manifest_is_named(app: FastAPI, package_dir: Path) -> None:
    copy = package_dir / "manifest.json"
    manifest = json.loads(copy.read_bytes())
    manifest["files"][0]["sha256"] = "0" * 64
    copy.write_text(json.dumps(manifest))
    assert _kinds(verify_directory(package_dir, _public(app))) == [("manifest", "manifest.json")]


def test_a_forged_envelope_is_named(app: FastAPI, package_dir: Path) -> None:
    envelope_path = package_dir / "manifest.dsse.json"
    payload = (package_dir / "manifest.json").read_bytes()
    forged = Signer(b"someone else's key").envelope(payload)
    envelope_path.write_text(json.dumps(forged))
    assert _kinds(verify_directory(package_dir, _public(app))) == [
        ("signature", "manifest.dsse.json")
    ]
    # a valid envelope whose payload was edited fails the signature too
    original = json.loads(json.dumps(app.state.signer.envelope(payload)))
    original["payload"] = forged["payload"].replace("A", "B", 1)
    envelope_path.write_text(json.dumps(original))
    assert _kinds(verify_directory(package_dir, _public(app)))[0][0] == "signature"


def test_the_command_line_verifies_offline_with_only_the_public_key(
    app: FastAPI, package_dir: Path, tmp_path: Path
) -> None:
    key = tmp_path / "evidence.pem"
    key.write_text(public_pem(_public(app)))
    assert load_public_pem(key.read_text()) is not None
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify", str(package_dir), "--public-key", str(key)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    (package_dir / "files" / "a.mp4").write_bytes(b"replaced")
    bad = runner.invoke(cli, ["verify", str(package_dir), "--public-key", str(key)])
    assert bad.exit_code == 1
    assert "size: a.mp4" in bad.stderr


def test_the_endpoint_verifies_the_stored_package_and_records_it(
    client: TestClient, app: FastAPI, package_dir: Path, officer_headers: dict[str, str]
) -> None:
    with Session(app.state.engine) as session:
        package = session.exec(select(Package)).one()
        package_id, request_id = package.id, package.request_id
    answer = client.post(f"/packages/{package_id}/verify", headers=officer_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True and answer.json()["files_checked"] == 2
    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers).json()["data"]
    assert trail[-1]["action"] == "verified" and trail[-1]["details"] == {
        "ok": True,
        "findings": [],
    }
