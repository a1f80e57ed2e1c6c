"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Each test gets a fresh browser context (its own cookies) at desktop size; `shoot()` saves the key pages
at desktop and phone widths to /tmp/e2e-shots/ for a person to look at. Data is made with the factories
in a transactional database, so the live server thread sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

# Playwright's sync API keeps an asyncio loop running in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is safe (it is: the calls are synchronous here).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("FINBRIDGE_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SHOTS_DIR = Path(os.environ.get("FINBRIDGE_E2E_SHOTS", "/tmp/e2e-shots"))
PASSWORD = "correct-horse-battery"  # the factories' password (finbridge/accounts/tests/factories.py)
TIMEOUT_MS = 15_000
# Resolves after two animation frames: the layout has settled after a change of viewport.
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture
def chinese_catalog() -> None:
    """Fail (never skip) a test that reads Chinese page text while the translations are not compiled."""
    catalogs = [Path(folder) / "zh_Hans" / "LC_MESSAGES" / "django.mo" for folder in settings.LOCALE_PATHS]
    if not any(catalog.exists() for catalog in catalogs):
        pytest.fail("no compiled Chinese catalog (locale/zh_Hans/LC_MESSAGES/django.mo): run `make compilemessages`")


@pytest.fixture(params=["en", "zh-hans"])
def language(request: pytest.FixtureRequest) -> str:
    """Run the journey in English and in Simplified Chinese."""
    if request.param == "zh-hans":
        request.getfixturevalue("chinese_catalog")
    return request.param


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: the asyncio loop Playwright runs stops before the next module's (non-browser) tests.
    with sync_playwright() as runner:
        yield runner


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db) -> None:
    """The live server runs in another thread: test data must be committed to be seen there."""


def new_context(browser: Browser, base_url: str, language: str = "en") -> BrowserContext:
    """A fresh browser profile on the live server, with the interface language chosen by cookie."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-US", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}])
    return context


@pytest.fixture
def page_in(browser: Browser, live_server) -> Iterator:
    """`page_in(language)` → a new page in its own browser context; all are closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page(language: str = "en") -> Page:
        context = new_context(browser, live_server.url, language)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_in) -> Page:
    return page_in("en")


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login page and wait for the home page."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect(page.get_by_test_id("user-menu")).to_be_visible()


@pytest.fixture
def login():
    """`login(page, username, password=PASSWORD)`: sign in through the login page."""
    return sign_in


@pytest.fixture
def shoot(request: pytest.FixtureRequest):
    """`shoot(page, name)`: save the page, whole length, at desktop and phone widths.

    Files are /tmp/e2e-shots/<test>-<name>-desktop.png and ...-phone.png.
    """

    def save(page: Page, name: str) -> None:
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.]+", "-", f"{request.node.name}-{name}").strip("-")
        size = page.viewport_size or DESKTOP
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.evaluate(SETTLED)
            page.screenshot(path=str(SHOTS_DIR / f"{stem}-{label}.png"), full_page=True)
        page.set_viewport_size(size)

    return save
