"""Browser fixtures: Debian's chromium driven by Playwright, and a live forms server.

Playwright's own browser downloads are never used (`playwright install` fetches builds from a
CDN): the tests drive the distribution's ``/usr/bin/chromium``, installed by
``scripts/install-browser``. Without it every browser test is skipped with a message saying so.

Screenshots of every page a test visits go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BAPAS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}  # a common phone (CSS pixels)
DESKTOP = {"width": 1280, "height": 900}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless chromium per test module (each test opens its own context)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install-browser (Debian's chromium) for the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page screenshot as test-artifacts/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class RequestLog:
    """Every URL a page asked for, to prove nothing is loaded from outside the server."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))

    def outside(self) -> list[str]:
        """Requests to a host other than this machine (data: and about: URLs are local)."""
        found = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                found.append(url)
        return found


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


def no_horizontal_scroll(page: Any) -> dict[str, int]:
    """Widths that show whether the page fits the screen: scrollWidth must not exceed innerWidth."""
    return page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,"
        " bodyScrollWidth: document.body.scrollWidth})"
    )


async def _refuse_admin(request: Any) -> str:
    from bapas_sop.web.app import AdminLoginRequired

    raise AdminLoginRequired()


@pytest.fixture
def forms_server(project: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The forms app under /bapas, served by a real uvicorn on a free port in a thread.

    Links in emails point at it (``BAPAS_PUBLIC_URL``), so a test can open them in chromium
    exactly as a member of staff opens them on a phone. Yields the server's base URL.
    """
    import uvicorn
    from fastapi import FastAPI

    from bapas_sop.devstack import free_port
    from bapas_sop.web.app import create_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("BAPAS_PUBLIC_URL", f"{base}/bapas")
    started_runs: list[str] = []
    root = FastAPI()
    root.mount("/bapas", create_app(admin_dependency=_refuse_admin, start_run=lambda dag_id, run_id, conf: started_runs.append(conf["case_number"])))
    server = uvicorn.Server(
        uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="forms-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the forms server did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
