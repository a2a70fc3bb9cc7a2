"""The API documentation pages work on a closed network: every file they load is the gateway's.

The browser test drives Debian's Chromium (`scripts/system-packages.sh` installs it) with
Playwright's `executable_path`, and aborts every request to a host other than 127.0.0.1, so
a page that still needs a CDN (scripts, styles, fonts, the validator badge) shows up as a
recorded request and an empty page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_REFERENCE = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?([^"')\s>]+)""", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/api/registry/docs", "/api/registry/redoc", "/docs"])
def test_docs_pages_reference_only_the_gateway(gateway, page) -> None:
    response = httpx.get(f"{gateway}{page}")

    assert response.status_code == 200
    references = _REFERENCE.findall(response.text)
    assert references
    remote = [ref for ref in references if urlsplit(ref).netloc]
    assert remote == [], f"{page} loads from elsewhere: {remote}"


@pytest.mark.parametrize(
    "asset", ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"]
)
def test_docs_assets_are_served_by_the_gateway(gateway, asset) -> None:
    response = httpx.get(f"{gateway}/docs/assets/{asset}")

    assert response.status_code == 200
    assert len(response.content) > 1000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/system-packages.sh (apt-get install chromium)",
            pytrace=False,
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def offline_page(browser) -> Iterator[tuple[object, list[str]]]:
    """A page whose requests to any host but this machine are aborted (and recorded)."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    blocked: list[str] = []

    def route(handled_route) -> None:
        url = handled_route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            handled_route.continue_()
        else:
            blocked.append(url)
            handled_route.abort()

    context.route("**/*", route)
    yield context.new_page(), blocked
    context.close()


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_offline(gateway, offline_page) -> None:
    from playwright.sync_api import expect

    page, blocked = offline_page
    page.goto(f"{gateway}/api/registry/docs")

    expect(page.locator(".opblock-summary-path", has_text="/readyz").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/upload").first).to_be_visible()
    assert blocked == []


@pytest.mark.browser
def test_redoc_renders_the_operations_offline(gateway, offline_page) -> None:
    from playwright.sync_api import expect

    page, blocked = offline_page
    page.goto(f"{gateway}/api/registry/redoc")

    expect(page.get_by_role("heading", name="Readyz").first).to_be_visible()
    expect(page.get_by_text("/upload").first).to_be_attached()
    assert blocked == []


@pytest.mark.browser
def test_docs_index_loads_nothing_from_elsewhere(gateway, offline_page) -> None:
    from playwright.sync_api import expect

    page, blocked = offline_page
    page.goto(f"{gateway}/docs")

    expect(page.get_by_role("link", name="Swagger UI").first).to_be_visible()
    assert blocked == []
