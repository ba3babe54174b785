"""Browser fixtures: Debian's Chromium driven by Playwright, against a real ``gotong web``.

Never a downloaded browser: Chromium comes from the system (``.ci/run`` installs it).
The journeys run on one stack only (SQLite); the pages are the same on PostgreSQL.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.settings import REPO_ROOT
from tests.support.kafka_fixtures import free_ports
from tests.support.site_fixtures import PASSWORD, load_demo_once
from tests.support.stack import Stack, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def site_url(stack: Stack) -> Iterator[str]:
    """A ``gotong web`` process of its own, with cookies usable over plain HTTP."""
    if stack.name != "sqlite":
        pytest.skip("browser journeys run against the SQLite stack only")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    load_demo_once(stack)
    (port,) = free_ports(1)
    env = {**stack.env, "GOTONG_COOKIE_SECURE": "0", "GOTONG_HTTP_PORT": str(port)}
    web = stack._spawn(["web"], "site-web.log", env=env)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(answers, timeout=120, what="the site's web process")
        yield url
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    # Module-scoped: Playwright's sync API keeps an event loop running in this thread while
    # it is open, which would break later tests that call asyncio.run().
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale="id-ID")
    context.set_default_timeout(15000)
    tab = context.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked: nothing should be
    tab.on("console", lambda message: refused.append(message.text) if (
        message.type == "error" and "Content Security Policy" in message.text) else None)
    yield tab
    context.close()
    assert not refused, f"blocked by the Content-Security-Policy: {refused}"


def log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/")


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
