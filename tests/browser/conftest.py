"""Browser tests: Debian's headless chromium driven by Playwright against the live test server."""

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import ensure_regions

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def watched_page(browser):
    """A page in a fresh browser context (its own cookies) recording console errors and requests to other hosts."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.outside_requests = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: (
            page.outside_requests.append(r.url)
            if urlparse(r.url).hostname not in (None, "127.0.0.1", "localhost") and not r.url.startswith("data:")
            else None
        ),
    )
    return page


@pytest.fixture
def page(browser, live_server):
    page = watched_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def live_demo(transactional_db, live_server, media_tmp):
    ensure_regions()
    from django.core.management import call_command

    call_command("load_demo", force=True, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return live_server


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
