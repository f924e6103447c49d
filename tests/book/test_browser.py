"""Open the built book in headless Chromium: no console errors, no broken images, no remote fetch.

The static checks of ``test_book_build.py`` and ``test_offline.py`` read the HTML; this test
loads pages the way a reader does, from disk (``file://``), in Debian's Chromium, and fails on
JavaScript exceptions, console errors (failed resource loads included), requests to anything but
local files, images that did not decode (``naturalWidth`` 0), and math that MathJax did not
typeset. It saves a full-page screenshot of each page to ``book/_build/screenshots/`` of the
repository, for a person to look at.

Driver: the Chrome DevTools Protocol over a websocket, with a few lines of client code below and
the ``websockets`` package (already in the environment). No WebDriver binary, no browser
download: selenium would need Debian's ``chromium-driver`` matched to the browser, playwright its
own browser builds (or a private protocol over our ``/usr/bin/chromium``).

Chromium is required: ``make`` installs it as root (``apt-get install -y chromium``); without it
the test fails with instructions. ``MASSINCIDENTS_SKIP_BROWSER=1`` skips it on purpose. It uses
the session build of ``conftest.py`` and is marked ``slow``.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "book" / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("MASSINCIDENTS_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
# (page to open, page it must end on: index.html redirects to the landing page)
PAGES = [
    ("index.html", "intro.html"),
    ("chapters/03_causes.html", "chapters/03_causes.html"),
    ("chapters/06_validation.html", "chapters/06_validation.html"),
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")
TIMEOUT = 60.0


class CDP:
    """A minimal Chrome DevTools Protocol client: send commands, collect events."""

    def __init__(self, ws_url: str):
        self.ws_url = ws_url
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def __enter__(self) -> CDP:
        from websockets.sync.client import connect

        self._connection = connect(self.ws_url, max_size=None, open_timeout=TIMEOUT)
        self.ws = self._connection.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._connection.__exit__(*exc)

    def send(self, method: str, params: dict | None = None, timeout: float = TIMEOUT) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                return
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str, timeout: float = TIMEOUT):
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")


def _require_browser() -> Path:
    if os.environ.get("MASSINCIDENTS_SKIP_BROWSER") == "1":
        pytest.skip("MASSINCIDENTS_SKIP_BROWSER=1: the headless Chromium check is switched off")
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; the browser test needs it. Install it with "
            "`sudo apt-get install -y chromium` (Debian/Ubuntu; `make` does this as root), "
            "point MASSINCIDENTS_CHROMIUM to another Chromium binary, or set "
            "MASSINCIDENTS_SKIP_BROWSER=1 to skip this test on purpose."
        )
    try:
        import websockets.sync.client  # noqa: F401
    except ImportError:
        pytest.fail("the browser test needs the websockets package: pip install -e '.[dev]'")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with a new empty profile; yields the DevTools HTTP endpoint."""
    chromium = _require_browser()
    profile = Path(tempfile.mkdtemp(prefix="massincidents-chromium-"))
    proc = subprocess.Popen(
        [str(chromium), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.is_file() and port_file.read_text().strip()):
            if proc.poll() is not None:
                pytest.fail(f"Chromium exited with code {proc.returncode} before it was ready")
            if time.monotonic() > deadline:
                pytest.fail("Chromium did not open its DevTools port within a minute")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _new_tab(endpoint: str) -> tuple[str, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    request = urllib.request.Request(f"{endpoint}/json/new?about:blank", method="PUT")
    with opener.open(request, timeout=TIMEOUT) as response:
        target = json.load(response)
    return target["webSocketDebuggerUrl"], target["id"]


def _close_tab(endpoint: str, target_id: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{endpoint}/json/close/{target_id}", timeout=TIMEOUT):
        pass


def _problems(events: list[dict]) -> list[str]:
    """Console errors, JS exceptions, failed and remote requests among the collected events."""
    out = []
    for e in events:
        method, p = e["method"], e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            out.append(f"JavaScript exception: {text} ({d.get('url', '')}:{d.get('lineNumber')})")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            out.append(f"console.{p['type']}: {args}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            entry = p["entry"]
            out.append(f"console error ({entry['source']}): {entry['text']} {entry.get('url', '')}")
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"failed to load: {p.get('errorText')} ({p.get('type')})")
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith(LOCAL_SCHEMES):
                out.append(f"remote request: {url}")
    return out


def _open(endpoint: str, page: Path, expected: Path, shot: Path) -> dict:
    ws_url, target_id = _new_tab(endpoint)
    try:
        with CDP(ws_url) as cdp:
            return _inspect(cdp, page, expected, shot)
    finally:
        _close_tab(endpoint, target_id)


def _inspect(cdp: CDP, page: Path, expected: Path, shot: Path) -> dict:
    """Load the page, wait for images and MathJax, screenshot it, return what went wrong."""
    for domain in ("Runtime", "Log", "Network", "Page"):
        cdp.send(f"{domain}.enable")
    cdp.send("Page.navigate", {"url": page.as_uri()})
    deadline = time.monotonic() + TIMEOUT
    while True:  # until the final page (after any redirect) has loaded
        cdp.pump(0.3)
        state = cdp.evaluate("[document.readyState, location.href]")
        if state[0] == "complete" and state[1].split("#")[0] == expected.as_uri():
            break
        if time.monotonic() > deadline:
            pytest.fail(f"{page.name}: did not finish loading ({state})")
    # images: load lazy ones, then wait until every image has loaded or failed
    cdp.evaluate(
        "Promise.all(Array.from(document.images).map(i => { i.loading = 'eager';"
        " return i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }); }))"
    )
    # MathJax typesets after load; wait for it when the page has math
    has_math = cdp.evaluate("document.querySelectorAll('.math').length") > 0
    if has_math:
        cdp.evaluate(
            "new Promise((resolve, reject) => { const t0 = Date.now(); (function wait() {"
            " if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            "   MathJax.startup.promise.then(resolve, reject);"
            " else if (Date.now() - t0 > 30000) reject('MathJax did not start');"
            " else setTimeout(wait, 100); })(); })"
        )
    cdp.pump(1.0)  # late requests, font loads
    broken = cdp.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    n_images = cdp.evaluate("document.images.length")
    typeset = cdp.evaluate("document.querySelectorAll('mjx-container').length")
    # full-page screenshot: a viewport as tall as the page (capped), scrolled to the top left
    cdp.evaluate("window.scrollTo(0, 0)")
    height = int(min(cdp.evaluate("document.documentElement.scrollHeight"), 30000))
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    cdp.pump(0.5)  # relayout at the new size
    shot_data = cdp.send("Page.captureScreenshot", {"format": "png"})["data"]
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(shot_data))
    return {
        "problems": _problems(cdp.events),
        "broken": broken,
        "n_images": n_images,
        "has_math": has_math,
        "typeset": typeset,
    }


@pytest.mark.parametrize(("page", "final"), PAGES, ids=[p for p, _ in PAGES])
def test_page_loads_cleanly_in_chromium(built, browser, page, final) -> None:
    html = built["html"]
    assert (html / page).is_file(), f"{page} was not built"
    shot = SCREENSHOTS / (final.replace("/", "_").removesuffix(".html") + ".png")
    shot.unlink(missing_ok=True)
    seen = _open(browser, html / page, html / final, shot)
    assert not seen["problems"], f"{page}:\n" + "\n".join(seen["problems"])
    assert not seen["broken"], f"{page}: images that did not load: {seen['broken']}"
    if seen["has_math"]:
        assert seen["typeset"] > 0, f"{page}: MathJax typeset no math"
    if page == "chapters/03_causes.html":  # the image check must have something to check
        assert seen["n_images"] >= 2 and seen["has_math"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_problem_filter_catches_what_it_must() -> None:
    events = [
        {
            "method": "Network.requestWillBeSent",
            "params": {"request": {"url": "https://cdn.x/y.js"}},
        },
        {"method": "Network.requestWillBeSent", "params": {"request": {"url": "file:///a.js"}}},
        {
            "method": "Log.entryAdded",
            "params": {
                "entry": {"level": "error", "source": "network", "text": "Failed to load resource"}
            },
        },
        {
            "method": "Log.entryAdded",
            "params": {"entry": {"level": "warning", "source": "other", "text": "deprecated"}},
        },
        {
            "method": "Runtime.exceptionThrown",
            "params": {
                "exceptionDetails": {"text": "Uncaught", "exception": {"description": "TypeError"}}
            },
        },
        {
            "method": "Network.loadingFailed",
            "params": {"errorText": "net::ERR_FILE_NOT_FOUND", "type": "Image", "canceled": False},
        },
    ]
    problems = _problems(events)
    assert len(problems) == 4
    assert problems[0] == "remote request: https://cdn.x/y.js"
