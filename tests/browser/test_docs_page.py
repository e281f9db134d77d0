"""The docs page in a real browser: Debian's headless Chromium driven by Playwright against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Schemes that never touch the network: inline images and the page's own blobs.
LOCAL_SCHEMES = ("data", "blob", "about")
TIMEOUT_MS = 20_000


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; a missing Chromium fails the test (.ci/run installs it)."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`); .ci/run does. "
        "Never `playwright install`: browser downloads cannot reach this network."
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _operation(page: Page, method: str, path: str) -> Locator:
    """The Swagger UI block of one operation."""
    return page.locator(f".opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def _is_error(message: ConsoleMessage) -> bool:
    """A console error other than the favicon the browser asks for on its own (we serve none)."""
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


def test_docs_page_renders_and_tries_healthz_without_leaving_the_machine(live_server: str) -> None:
    """/api/docs renders the operations; Try it out on GET /healthz shows 200 ok; nothing leaves 127.0.0.1."""
    with headless_chromium() as browser:
        requested, console_errors = _try_healthz(browser, live_server)
    assert any(urlsplit(url).path == "/healthz" for url in requested), requested
    remote = [
        url
        for url in requested
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert remote == [], f"the docs page reached beyond the machine: {remote}"
    assert console_errors == [], f"the browser reported errors (CSP?): {console_errors}"


def _try_healthz(browser: Browser, base_url: str) -> tuple[list[str], list[str]]:
    """Open the docs, check what renders, run GET /healthz; return the URLs requested and console errors."""
    requested: list[str] = []
    console_errors: list[str] = []
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: _is_error(message) and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    answer = page.goto(f"{base_url}/api/docs", wait_until="load")
    assert answer is not None and answer.status == 200
    assert "script-src 'self' 'unsafe-inline'" in answer.headers["content-security-policy"]
    expect(_operation(page, "post", "/api/v1/auth/login")).to_be_visible(timeout=TIMEOUT_MS)
    tags = page.locator(".opblock-tag-section .opblock-tag").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-tag'))"
    )
    assert {"auth", "influencers", "campaigns", "offers", "ops"} <= set(tags), tags

    healthz = _operation(page, "get", "/healthz")
    healthz.locator(".opblock-summary").first.click()
    healthz.get_by_role("button", name="Try it out").click()
    healthz.get_by_role("button", name="Execute").click()
    live = healthz.locator(".live-responses-table tbody")
    expect(live.locator(".response-col_status")).to_have_text("200", timeout=TIMEOUT_MS)
    expect(live.locator(".response-col_description")).to_contain_text('"status": "ok"', timeout=TIMEOUT_MS)
    page.close()
    return requested, console_errors
