"""End-to-end helpers: seeded accounts, machine-client tokens, officers signed in with
password + TOTP + PKCE, and the demo EPEs (all through the gateway); the stack's environment.

Every request goes to `stack.url` (the gateway), as a customs system or EPE vendor software
would send it; nothing here reaches a service directly.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devkit.simulator.cameras import CameraSite
from devkit.testing.http import bearer
from devkit.testing.officers import OfficerSession
from devkit.testing.ports import free_port
from devkit.testing.stack import DemoAccount, Stack
from devkit.testing.totp import fresh_code
from servicekit.settings import project_root


def demo_account(stack: Stack, name: str) -> DemoAccount:
    """A seeded account by its seed name, or a failure listing what the seed printed."""
    account = stack.demo.get(name)
    if account is None:
        pytest.fail(
            f"the demo seed printed no {name!r} account; it printed {sorted(stack.demo)}:\n"
            + "\n".join(stack.seed_output.values()),
            pytrace=False,
        )
    return account


def client_credentials_token(stack: Stack, account: DemoAccount) -> dict[str, Any]:
    """The token response for a machine client (client_secret_basic at the token endpoint)."""
    response = httpx.post(
        f"{stack.url}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["client_id"], account["client_secret"]),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="session")
def account(stack: Stack) -> Callable[[str], DemoAccount]:
    """`account("officer")`: a seeded account by its seed name."""
    return functools.partial(demo_account, stack)


@pytest.fixture(scope="session")
def machine_token(stack: Stack) -> Callable[[str], dict[str, Any]]:
    """`machine_token("customs_system")`: a fresh token response for a seeded machine client."""
    return lambda name: client_credentials_token(stack, demo_account(stack, name))


@pytest.fixture(scope="session")
def demo_epes(stack: Stack) -> dict[str, dict[str, Any]]:
    """The registry's records of every EPE the access seed refers to (read by the customs
    system through the gateway): the two services' demo data must agree."""
    epe_ids = {account["epe_id"] for account in stack.demo.values() if account.get("epe_id")} | set(
        demo_account(stack, "officer")["assigned_epes"].split(",")
    )
    assert len(epe_ids) >= 2, f"the demo seed names too few EPEs: {epe_ids}"
    token = client_credentials_token(stack, demo_account(stack, "customs_system"))
    records = {}
    with httpx.Client(base_url=stack.url, headers=bearer(token), timeout=30) as api:
        for epe_id in sorted(epe_ids):
            found = api.get(f"/api/registry/epes/{epe_id}")
            assert found.status_code == 200, f"registry has no demo EPE {epe_id}: {found.text}"
            records[epe_id] = found.json()
    return records


@pytest.fixture(scope="session")
def stack_env(camera_site: CameraSite, simulator_camera_port: int) -> dict[str, str]:
    """The e2e stack detects a reported camera fault within seconds: a fault grace of 3 s and
    a detector pass every second (the defaults, 30 s and 5 s, would make the incident flow
    wait half a minute). The silence threshold keeps its default."""
    return {
        "REGISTRY_FAULT_GRACE": "3",
        "REGISTRY_DETECTOR_TICK": "1",
        # The simulated cameras of `camera_site` listen on loopback, on a port of their own.
        "ACCESS_CAMERA_VIEW_ALLOW_LOOPBACK": "true",
        "ACCESS_CAMERA_VIEW_ALLOWED_PORTS": json.dumps(
            [80, 443, camera_site.bound_port, simulator_camera_port]
        ),
        "ACCESS_CAMERA_VIEW_TIMEOUT": "2",
        # The gateway's 5xx counts reach the log digest within seconds, not a minute.
        "GATEWAY_SERVER_ERRORS_FLUSH_SECONDS": "1",
    }


@pytest.fixture(scope="session")
def simulator_camera_port() -> int:
    """The port the simulator's own cameras listen on when a test runs it with `--cameras`."""
    return free_port()


@pytest.fixture(scope="session")
def camera_site() -> Iterator[CameraSite]:
    """Simulated cameras (digest auth) for the whole session; accounts are added per test."""
    site = CameraSite({}, port=free_port()).start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def officer_session(stack: Stack) -> Iterator[Callable[[str], OfficerSession]]:
    """`officer_session("officer")`: that seeded officer signed in (once per test session);
    `fresh=True` gives a sign-in of its own, for a test that ends it (revocation)."""
    sessions: dict[str, OfficerSession] = {}
    own: list[OfficerSession] = []

    def signed_in(name: str, *, fresh: bool = False) -> OfficerSession:
        if fresh:
            own.append(OfficerSession(stack, demo_account(stack, name)))
            return own[-1]
        if name not in sessions:
            sessions[name] = OfficerSession(stack, demo_account(stack, name))
        return sessions[name]

    yield signed_in
    for session in [*sessions.values(), *own]:
        session.close()


# -- the officer SPA in Debian's Chromium ------------------------------------------------------

# Assertions wait for the page up to 15 s (Playwright's default is 5 s): lazily loaded pages
# render later when the other half of the suite shares the cores.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = project_root() / "test-artifacts"
AXE = project_root() / "gateway" / "spa" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (`executable_path`; no browser download)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/system-packages.sh (apt-get install chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def spa_sign_in(page: Page, stack: Stack, account: DemoAccount) -> None:
    """Sign in through the SPA's form: password, then a fresh TOTP code."""
    page.goto(f"{stack.url}/signin")
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(account.password)
    page.locator("form button[type=submit]").click()
    page.locator("#code").wait_for()
    spa_submit_fresh_totp(page, account)


def spa_submit_fresh_totp(page: Page, account: DemoAccount) -> None:
    """Submit, on the SPA's second step, a TOTP code no other sign-in in this process has used
    (`devkit.testing.totp`: a refused guess would count toward the account's lockout)."""
    page.locator("#code").fill(fresh_code(account["totp_secret"]))
    page.locator("form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/(signin|callback)(\?|$)"), timeout=30_000)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now. axe-core comes
    from the SPA's node_modules (an init script: no CDN, and the page's CSP stays on)."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ['violations']});
            return result.violations
              .filter((v) => ['serious', 'critical'].includes(v.impact))
              .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
        }"""
    )
    return found


@pytest.fixture
def spa_context(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`spa_context()`: a fresh browser context's page, with axe-core loaded and every
    uncaught page error or CSP violation collected (and failing the test at the end)."""
    contexts = []
    failures: list[str] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            timezone_id="America/New_York",
            locale="en-US",
            **options,
        )
        context.set_default_timeout(30_000)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.on(
            "console",
            lambda message: (
                failures.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not failures, f"errors in the page: {failures}"


@pytest.fixture
def vendor_api(stack, account, machine_token) -> Iterator[tuple[httpx.Client, str]]:
    """The vendor of an EPE the demo officer is assigned to, on the gateway's API (`/api`)."""
    officer_epes = set(account("officer")["assigned_epes"].split(","))
    for name in ("epe_vendor_1", "epe_vendor_2"):
        if account(name)["epe_id"] in officer_epes:
            token = machine_token(name)
            with httpx.Client(
                base_url=f"{stack.url}/api", headers=bearer(token), timeout=30
            ) as client:
                yield client, account(name)["epe_id"]
            return
    pytest.fail("the demo officer is assigned to no demo vendor's EPE", pytrace=False)
