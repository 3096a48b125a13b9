"""Real headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright
(nothing downloads a browser), an app served by uvicorn in a thread, and pages that fail
the test on a script error or a request to another origin (every asset is the project's)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from bot.runner import ROOT, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "var" / "test-artifacts"
START_TIMEOUT_SECONDS = 20


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system's Chromium; skipped where it is missing, except in CI (.ci/run installs it)."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` (ASGI) on a free loopback port for as long as the block runs; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def watched_page(browser: Browser, base_url: str, **context_options: Any) -> Iterator[Page]:
    """A page of a new browser context; after the block, no script error and no request elsewhere."""
    context = browser.new_context(locale="zh-CN", **context_options)
    opened = context.new_page()
    errors: List[str] = []
    elsewhere: List[str] = []
    own = urlsplit(base_url).netloc
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # Refused requests the page explains (a 422) are logged by Chromium itself; anything else is a fault.
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )

    def check_origin(request: Any) -> None:
        if urlsplit(request.url).scheme in ("http", "https") and urlsplit(request.url).netloc != own:
            elsewhere.append(request.url)

    opened.on("request", check_origin)
    try:
        yield opened
    finally:
        context.close()
    assert errors == []
    assert elsewhere == []


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Kept as a test artifact (var/test-artifacts/), for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


AXE_SCRIPT = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 levels A and AA, as the accessibility checks residents' and staff's pages must pass.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> List[str]:
    """What axe-core (the npm package, installed by ``make test``) finds on the page as it is now,
    one line per rule and element, so that a failing test says what to fix."""
    if not AXE_SCRIPT.exists():
        reason = "axe-core is not installed (npm ci --prefix tests/a11y); make test installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy does not govern.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", WCAG_21_AA
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}"
        for violation in found
        for node in violation["nodes"]
    ]
