"""The gateway's own pages: health, aggregated readiness, the docs index and the SPA."""

from __future__ import annotations

import re

import httpx
import pytest

from servicekit.services import SERVICES
from servicekit.settings import project_root


def test_healthz_needs_no_service(start_gateway, closed_port) -> None:
    url = start_gateway(upstreams={"registry": f"http://127.0.0.1:{closed_port}"})

    response = httpx.get(f"{url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_every_service_is(start_gateway, upstream) -> None:
    url = start_gateway(upstreams={n: upstream.url for n in SERVICES})

    response = httpx.get(f"{url}/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert set(response.json()["services"].values()) == {"ready"}


def test_readyz_names_the_services_that_are_not_ready(
    start_gateway, serve_upstream, closed_port
) -> None:
    ready = serve_upstream("ready")
    busy = serve_upstream("busy", ready=False)
    url = start_gateway(
        upstreams={
            "access": ready.url,
            "registry": ready.url,
            "incidents": busy.url,
            "risk": f"http://127.0.0.1:{closed_port}",
            "evidence": ready.url,
        }
    )

    response = httpx.get(f"{url}/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert sorted(body["not_ready"]) == ["incidents", "risk"]
    assert body["services"]["access"] == "ready"
    assert body["services"]["incidents"] == "not ready (HTTP 503)"
    assert body["services"]["risk"] == "unreachable"
    assert "incidents" in body["detail"] and "risk" in body["detail"]


def test_docs_page_links_every_service(gateway) -> None:
    response = httpx.get(f"{gateway}/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for service in SERVICES:
        assert f'href="/api/{service}/docs"' in response.text
        assert f'href="/api/{service}/openapi.json"' in response.text


@pytest.fixture
def spa_gateway(start_gateway, upstream, tmp_path) -> str:
    (tmp_path / "index.html").write_text("<!doctype html><title>spa</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log('camwatch')")
    return start_gateway(upstreams={"registry": upstream.url}, spa_dir=tmp_path)


def test_spa_index_and_assets_are_served(spa_gateway) -> None:
    index = httpx.get(f"{spa_gateway}/")
    script = httpx.get(f"{spa_gateway}/assets/app.js")

    assert index.status_code == 200
    assert "<title>spa</title>" in index.text
    assert script.status_code == 200
    assert script.text == "console.log('camwatch')"
    assert "javascript" in script.headers["content-type"]
    for response in (index, script):
        assert response.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("route", ["/incidents", "/incidents/42", "/epes/EPE-1/cameras"])
def test_spa_routes_fall_back_to_index(spa_gateway, route) -> None:
    response = httpx.get(f"{spa_gateway}{route}")

    assert response.status_code == 200
    assert "<title>spa</title>" in response.text
    assert response.headers["cache-control"] == "no-cache"


def test_missing_asset_is_404_not_index(spa_gateway) -> None:
    response = httpx.get(f"{spa_gateway}/assets/missing.js")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_api_paths_never_fall_back_to_the_spa(spa_gateway, tokens) -> None:
    response = httpx.get(f"{spa_gateway}/api/nothing/here", headers=tokens.headers())

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_missing_spa_directory_is_a_404(start_gateway, upstream, tmp_path) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, spa_dir=tmp_path / "absent")

    response = httpx.get(f"{url}/")

    assert response.status_code == 404
    assert httpx.get(f"{url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/.well-known/security.txt",
        "/.well-known/",
    ],
)
def test_well_known_paths_that_are_not_served_are_404(spa_gateway, path) -> None:
    response = httpx.get(f"{spa_gateway}{path}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "<title>spa</title>" not in response.text


def test_root_discovery_404_names_the_issuers_document(spa_gateway) -> None:
    response = httpx.get(f"{spa_gateway}/.well-known/openid-configuration")

    assert "/api/access/.well-known/openid-configuration" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/unknown", "/api/unknown/x/y", "/api/unknown/.well-known/x"]
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_unknown_api_paths_are_problems_not_the_spa(spa_gateway, tokens, path, method) -> None:
    response = httpx.request(method, f"{spa_gateway}{path}", headers=tokens.headers())

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "<title>spa</title>" not in response.text


BUILT_SPA = project_root() / "gateway" / "spa" / "dist"


def test_the_built_spa_is_served_with_its_assets_and_nothing_inline(
    start_gateway, upstream
) -> None:
    """The real build (scripts/build_spa.sh, run by make bootstrap): only same-origin files,
    no inline script or style, so the CSP `default-src 'self'` holds."""
    assert (BUILT_SPA / "index.html").is_file(), "run scripts/build_spa.sh (make bootstrap)"
    url = start_gateway(upstreams={"registry": upstream.url})

    index = httpx.get(f"{url}/incidents/some-id")

    assert index.status_code == 200
    assert '<div id="root">' in index.text
    assert "default-src 'self'" in index.headers["content-security-policy"]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", index.text, flags=re.S)
    assert scripts and all(not body.strip() for body in scripts), "no inline script"
    assert "<style" not in index.text and " style=" not in index.text
    assert not re.search(r"(src|href)=\"(https?:)?//", index.text), "nothing from elsewhere"
    assets = re.findall(r"(?:src|href)=\"(/assets/[^\"]+)\"", index.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        answer = httpx.get(f"{url}{asset}")
        assert answer.status_code == 200, asset
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{url}/package.json").status_code == 404, "sources are not served"
