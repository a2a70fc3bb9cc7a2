"""The watch wall and a camera's live view in Chromium against the real stack (issue 17).

The vendor points the officer's gate camera at a simulated one and releases the account; the
officer opens the wall: the camera's snapshot appears (a decoded, non-empty image, fetched
with the bearer token into an object URL) and is refreshed; the live view (MJPEG read through
fetch streaming) shows frames that change. Screenshots in Vietnamese and English, axe-core
finds no serious or critical violation, and the token is in no image URL.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, axe_violations, spa_sign_in
from .test_e2e_camera_views import _release_camera

pytestmark = pytest.mark.browser

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _image_size(page: Page, selector: str) -> tuple[int, int, str]:
    """Width, height and src of the first loaded image matching `selector`."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
        timeout=30_000,
    )
    return page.eval_on_selector(selector, "i => [i.naturalWidth, i.naturalHeight, i.src]")


def test_officer_watches_the_wall_and_a_live_view(
    stack, account, machine_token, camera_site, spa_context
) -> None:
    officer = account("officer")
    epe_id = officer["assigned_epes"].split(",")[0]
    vendor = next(
        name
        for name, a in stack.demo.items()
        if a.get("epe_id") == epe_id and "client_id" in a.fields
    )
    camera_id, number = _release_camera(
        stack, machine_token(vendor), epe_id, camera_site, f"cam-{secrets.token_hex(12)}"
    )
    page = spa_context()
    spa_sign_in(page, stack, officer)
    page.get_by_role("navigation").get_by_role("link", name="Tường camera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tường giám sát camera")
    tile = f'li[data-camera="{camera_id}"]'
    # The camera reaches access's projection through the registry's event: reload until then.
    for _ in range(30):
        if page.locator(tile).count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    snapshot = f'{tile} img[data-testid="camera-snapshot"]'
    width, height, first_src = _image_size(page, snapshot)
    assert width > 0 and height > 0
    assert first_src.startswith("blob:")
    # refreshed every few seconds: a new object URL replaces the old one
    page.wait_for_function(
        "([s, old]) => { const i = document.querySelector(s); return i && i.src !== old }",
        arg=[snapshot, first_src],
        timeout=20_000,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    for language, button in LANGUAGES.items():
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        _image_size(page, snapshot)
        page.screenshot(path=str(ARTIFACTS / f"spa-officer-wall-{language}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"wall ({language}): {violations}"

    # the live view, from the tile's link (English now)
    page.locator(tile).get_by_role("link", name="Live view").click()
    expect(page.get_by_role("heading", level=2, name="Live: ")).to_contain_text(number)
    live = '.live-panel img[data-testid="camera-live"]'
    _, _, live_src = _image_size(page, live)
    page.wait_for_function(
        "([s, old]) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 && i.src !== old }",
        arg=[live, live_src],
        timeout=20_000,
    )
    expect(page.locator(".live-panel")).to_contain_text("Live MJPEG stream")
    for language, button in reversed(LANGUAGES.items()):
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.screenshot(path=str(ARTIFACTS / f"spa-officer-live-{language}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"live view ({language}): {violations}"
    page.get_by_role("link", name="Đóng xem trực tiếp").click()
    expect(page.locator(".live-panel")).to_have_count(0)
    assert camera_site.cameras[camera_site.key_of(epe_id, number)].frames > 0
