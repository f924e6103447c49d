"""Open the built book in headless Chromium: no console errors, no broken images, no remote fetch.

The static checks of ``test_book_build.py`` and ``test_offline.py`` read the HTML; this test
loads pages the way a reader does, from disk (``file://``), in Debian's Chromium, and fails on
JavaScript exceptions, console errors (failed resource loads included), failed requests,
requests to anything but local files, images that did not decode (``naturalWidth`` 0), and math
that MathJax did not typeset. It saves a full-page screenshot of each page to
``book/_build/screenshots/`` of the repository, for a person to look at.

Driver: Playwright (PyPI ``playwright``, in the ``dev`` extra) driving the system Chromium
(``/usr/bin/chromium``) through ``executable_path``. Playwright's Python wheel carries its own
driver, so nothing is downloaded at test time (``playwright install`` is never run) and no
WebDriver binary matched to the browser is needed (Selenium would need Debian's
``chromium-driver`` at the browser's exact version).

Chromium is required: ``make`` installs it as root (``apt-get install -y chromium``); without it
the test fails with instructions. ``MASSINCIDENTS_CHROMIUM`` points to another Chromium binary;
``MASSINCIDENTS_SKIP_BROWSER=1`` skips the test on purpose. It uses the session build of
``conftest.py`` and is marked ``slow``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "book" / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("MASSINCIDENTS_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]
VIEWPORT = {"width": 1280, "height": 900}
MAX_SHOT_HEIGHT = 30_000
# (page to open, page it must end on: index.html redirects to the landing page)
PAGES = [
    ("index.html", "intro.html"),
    ("chapters/03_causes.html", "chapters/03_causes.html"),
    ("chapters/04b_grassroots.html", "chapters/04b_grassroots.html"),
    ("chapters/06_validation.html", "chapters/06_validation.html"),
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")
REMOTE = re.compile(r"^(?!(" + "|".join(LOCAL_SCHEMES) + "))")
TIMEOUT_MS = 60_000
# a request the page itself dropped (navigation away, a superseded load): not a failure
CANCELED = "net::ERR_ABORTED"


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
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the browser test needs Playwright: pip install -e '.[dev]'")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system binary) under Playwright, closed after the module."""
    chromium = _require_browser()
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=FLAGS, timeout=TIMEOUT_MS
            )
        except Error as err:
            pytest.fail(f"Chromium at {chromium} did not start under Playwright: {err}")
        try:
            yield launched
        finally:
            launched.close()


def _record(page) -> list[dict[str, Any]]:
    """Collect, as plain dicts, what the page reports while it loads."""
    events: list[dict[str, Any]] = []
    page.on("pageerror", lambda err: events.append({"kind": "pageerror", "text": str(err)}))
    page.on(
        "console",
        lambda msg: events.append(
            {"kind": "console", "type": msg.type, "text": msg.text, "url": msg.location["url"]}
        ),
    )
    page.on(
        "requestfailed",
        lambda req: events.append(
            {
                "kind": "requestfailed",
                "url": req.url,
                "error": req.failure,
                "type": req.resource_type,
            }
        ),
    )
    page.on("request", lambda req: events.append({"kind": "request", "url": req.url}))
    return events


def _problems(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, JS exceptions, failed and remote requests among the collected events."""
    out = []
    for e in events:
        kind = e["kind"]
        if kind == "pageerror":
            out.append(f"JavaScript exception: {e['text']}")
        elif kind == "console" and e["type"] in ("error", "assert"):
            out.append(f"console.{e['type']}: {e['text']} {e.get('url', '')}".rstrip())
        elif kind == "requestfailed" and e["error"] != CANCELED:
            out.append(f"failed to load: {e['error']} ({e['type']}) {e['url']}")
        elif kind == "request" and not e["url"].startswith(LOCAL_SCHEMES):
            out.append(f"remote request: {e['url']}")
    return out


def _inspect(browser, page_file: Path, expected: Path, shot: Path) -> dict[str, Any]:
    """Load the page, wait for images and MathJax, screenshot it, return what went wrong."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    # nothing leaves the machine: a remote request is recorded, then aborted
    context.route(REMOTE, lambda route: route.abort())
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        events = _record(page)
        page.goto(page_file.as_uri(), wait_until="load")
        # until the final page (after any redirect) has loaded
        page.wait_for_url(expected.as_uri() + "*", wait_until="load")
        # images: load lazy ones, then wait until every image has loaded or failed
        page.evaluate(
            "Promise.all(Array.from(document.images).map(i => { i.loading = 'eager';"
            " return i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }); }))"
        )
        # MathJax typesets after load; wait for it when the page has math
        has_math = page.evaluate("document.querySelectorAll('.math').length") > 0
        if has_math:
            page.evaluate(
                "new Promise((resolve, reject) => { const t0 = Date.now(); (function wait() {"
                " if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                "   MathJax.startup.promise.then(resolve, reject);"
                " else if (Date.now() - t0 > 30000) reject('MathJax did not start');"
                " else setTimeout(wait, 100); })(); })"
            )
        page.wait_for_timeout(1000)  # late requests, font loads
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
        n_images = page.evaluate("document.images.length")
        typeset = page.evaluate("document.querySelectorAll('mjx-container').length")
        # full-page screenshot from the top left, capped in height
        page.evaluate("window.scrollTo(0, 0)")
        height = int(min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT))
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(shot),
            full_page=True,
            clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
        )
        return {
            "problems": _problems(events),
            "broken": broken,
            "n_images": n_images,
            "has_math": has_math,
            "typeset": typeset,
            "url": page.url,
        }
    finally:
        context.close()


@pytest.mark.parametrize(("page", "final"), PAGES, ids=[p for p, _ in PAGES])
def test_page_loads_cleanly_in_chromium(built, browser, page, final) -> None:
    html = built["html"]
    assert (html / page).is_file(), f"{page} was not built"
    shot = SCREENSHOTS / (final.replace("/", "_").removesuffix(".html") + ".png")
    shot.unlink(missing_ok=True)
    seen = _inspect(browser, html / page, html / final, shot)
    assert seen["url"].split("#")[0] == (html / final).as_uri()
    assert not seen["problems"], f"{page}:\n" + "\n".join(seen["problems"])
    assert not seen["broken"], f"{page}: images that did not load: {seen['broken']}"
    if seen["has_math"]:
        assert seen["typeset"] > 0, f"{page}: MathJax typeset no math"
    if page == "chapters/03_causes.html":  # the image check must have something to check
        assert seen["n_images"] >= 2 and seen["has_math"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_problem_filter_catches_what_it_must() -> None:
    events = [
        {"kind": "request", "url": "https://cdn.x/y.js"},
        {"kind": "request", "url": "file:///a.js"},
        {"kind": "console", "type": "error", "text": "Failed to load resource", "url": ""},
        {"kind": "console", "type": "warning", "text": "deprecated", "url": ""},
        {"kind": "pageerror", "text": "TypeError: x is undefined"},
        {
            "kind": "requestfailed",
            "url": "file:///b.png",
            "error": "net::ERR_FILE_NOT_FOUND",
            "type": "image",
        },
        {"kind": "requestfailed", "url": "file:///c.png", "error": CANCELED, "type": "image"},
    ]
    problems = _problems(events)
    assert len(problems) == 4
    assert problems[0] == "remote request: https://cdn.x/y.js"


def test_a_broken_page_is_caught(browser, tmp_path) -> None:
    """The whole chain on a page with every fault the book must not have."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><p>text</p><img src='missing.png'><img src='https://cdn.invalid/x.png'>"
        "<script>console.error('boom'); null.x;</script></body></html>",
        encoding="utf-8",
    )
    seen = _inspect(browser, page, page, tmp_path / "broken.png")
    text = "\n".join(seen["problems"])
    assert "JavaScript exception" in text
    assert "console.error: boom" in text
    assert "failed to load: net::ERR_FILE_NOT_FOUND" in text
    assert "remote request: https://cdn.invalid/x.png" in text
    assert "failed to load: net::ERR_FAILED (image) https://cdn.invalid/x.png" in text
    assert sorted(seen["broken"]) == ["https://cdn.invalid/x.png", "missing.png"]
