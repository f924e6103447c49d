"""The built book loads nothing from the network: no CDN MathJax, no remote fonts or themes.

Readers open ``book/_build/html`` from disk, often without a network (and the build machine has
none). These tests scan the fresh build of the session fixture ``built`` (``conftest.py``):

* every HTML page: every resource the browser fetches by itself (``<script src>``, ``<link
  href>`` other than navigation links, ``<img src/srcset>``, ``<source>``, ``<iframe>``,
  ``<video>``/``<audio>``, ``<object data>``, ``<embed>``, inline ``style`` ``url()``) must be a
  relative path to a file of the build, or a ``data:`` URI. Plain ``<a href>`` hyperlinks (to
  cite a source) are not loads and are allowed;
* every CSS file a page loads: ``url()`` and ``@import`` (comments removed) must be local and
  exist;
* every JavaScript file a page loads, and every inline script: a URL in a string literal is a
  potential fetch. Allowed are only XML namespace names (``http://www.w3.org/...``: identifiers,
  never fetched) and, by exact prefix, the fallback URLs inside MathJax's bundled speech-rule
  engine, which MathJax's loader points to its local ``sre/mathmaps`` instead (the ``[sre]``
  path); the browser test (``test_browser.py``), which records every request a page makes,
  checks that nothing remote is fetched when a page is read;
* math renders from the local MathJax: every page with math loads ``_static/mathjax/tex-chtml.js``
  of the build (``sphinx-mathjax-offline``), which exists with its fonts.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow

REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host
NAVIGATION_RELS = {"next", "prev", "index", "search", "canonical", "alternate", "author", "help"}
LOADING_ATTRS = {
    "script": ["src"],
    "img": ["src", "srcset"],
    "source": ["src", "srcset"],
    "iframe": ["src"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "track": ["src"],
    "object": ["data"],
    "embed": ["src"],
    "input": ["src"],
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
JS_URL = re.compile(
    r"""["'`]((?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:[/?#][^"'`\s]*)?)["'`/?#]?""",
    re.IGNORECASE,
)  # a string starting with a URL that names a host (not XPath "//*", not "//../")
# URLs in JavaScript strings that are not fetched: XML namespace names; MathJax's speech-rule
# engine defaults, which MathJax overrides with its local sre/ folder (3.2.x).
JS_ALLOWED_PREFIXES = (
    "http://www.w3.org/",
    "https://www.w3.org/",
    "https://cdn.jsdelivr.net/npm/speech-rule-engine@",
    "https://cdn.jsdelivr.net/npm/sre-mathmaps-ie@",
    "https://cdn.jsdelivr.net/npm/wicked-good-xpath@",
    "https://www.mathjax.org",  # the hyperlink in MathJax's About box
)


def _soup(path: Path):
    from bs4 import BeautifulSoup  # installed with jupyter-book (pydata-sphinx-theme)

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _pages(html: Path) -> list[Path]:
    """Every HTML page of the build (not the theme's template fragments under _static)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


def _srcset(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def _loaded(page: Path) -> list[tuple[str, str]]:
    """(what, URL) of every resource the page makes the browser fetch."""
    soup = _soup(page)
    out = []
    for tag, attrs in LOADING_ATTRS.items():
        for el in soup.find_all(tag):
            for attr in attrs:
                value = el.get(attr)
                if not value:
                    continue
                urls = _srcset(value) if attr == "srcset" else [value]
                out += [(f"<{tag} {attr}>", u) for u in urls]
    for el in soup.find_all("link", href=True):
        rels = {r.lower() for r in (el.get("rel") or [])}
        if rels and rels <= NAVIGATION_RELS:
            continue
        out.append((f"<link rel={' '.join(sorted(rels))}>", el["href"]))
    for el in soup.find_all(style=True):
        out += [
            (f"<{el.name} style>", m.group(2) or m.group(4)) for m in CSS_URL.finditer(el["style"])
        ]
    for el in soup.find_all("style"):
        text = CSS_COMMENT.sub("", el.get_text())
        out += [("<style>", m.group(2) or m.group(4)) for m in CSS_URL.finditer(text)]
    return out


def _local_file(base: Path, url: str) -> Path | None:
    """The file a relative URL points to, or None for data:/blob:/fragment-only URLs."""
    if url.startswith(("data:", "blob:", "#", "about:")):
        return None
    path = unquote(urlsplit(url).path)
    return (base.parent / path).resolve() if path else None


def _assets(html: Path) -> set[Path]:
    """Local CSS and JavaScript files loaded by any page."""
    files = set()
    for page in _pages(html):
        for what, url in _loaded(page):
            if REMOTE.match(url) or not what.startswith(("<script", "<link")):
                continue
            target = _local_file(page, url)
            if target is not None and target.suffix in {".css", ".js"}:
                files.add(target)
    return files


def test_pages_load_nothing_remote(built) -> None:
    html = built["html"]
    pages = _pages(html)
    assert (html / "index.html") in pages and len(pages) >= 5
    remote, missing = [], []
    for page in pages:
        for what, url in _loaded(page):
            name = page.relative_to(html)
            if REMOTE.match(url):
                remote.append(f"{name}: {what} {url}")
                continue
            target = _local_file(page, url)
            if target is not None and not target.exists():
                missing.append(f"{name}: {what} {url}")
    assert not remote, "pages load remote resources:\n" + "\n".join(remote)
    assert not missing, "pages load files that are not in the build:\n" + "\n".join(missing)


def test_css_loads_nothing_remote(built) -> None:
    css = sorted(f for f in _assets(built["html"]) if f.suffix == ".css")
    assert css, "no stylesheet found"
    remote, missing = [], []
    for f in css:
        text = CSS_COMMENT.sub("", f.read_text(encoding="utf-8", errors="replace"))
        for m in CSS_URL.finditer(text):
            url = m.group(2) or m.group(4)
            if REMOTE.match(url):
                remote.append(f"{f.name}: {url}")
            elif (target := _local_file(f, url)) is not None and not target.exists():
                missing.append(f"{f.name}: {url}")
    assert not remote, "stylesheets load remote resources:\n" + "\n".join(remote)
    assert not missing, "stylesheets load files that are not in the build:\n" + "\n".join(missing)


def test_javascript_names_no_remote_host(built) -> None:
    html = built["html"]
    js = sorted(f for f in _assets(html) if f.suffix == ".js")
    assert any(f.name == "tex-chtml.js" for f in js), "MathJax is not among the loaded scripts"
    sources = [
        (str(f.relative_to(html)), f.read_text(encoding="utf-8", errors="replace")) for f in js
    ]
    for page in _pages(html):  # inline scripts of every page
        for el in _soup(page).find_all("script", src=False):
            sources.append((f"{page.relative_to(html)} (inline <script>)", el.get_text()))
    remote = [
        f"{where}: {url[:120]}"
        for where, text in sources
        for url in JS_URL.findall(text)
        if not url.startswith(JS_ALLOWED_PREFIXES)
    ]
    assert not remote, "scripts name remote URLs:\n" + "\n".join(sorted(set(remote)))


def test_remote_detection() -> None:
    """The patterns catch what they must (and the test above can fail)."""
    assert REMOTE.match("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    assert REMOTE.match("//fonts.googleapis.com/css")
    assert not REMOTE.match("../_static/mathjax/tex-chtml.js")
    css = "/* https://x.org */ a{background:url('https://fonts.gstatic.com/f.woff')}"
    urls = [m.group(2) for m in CSS_URL.finditer(CSS_COMMENT.sub("", css))]
    assert urls == ["https://fonts.gstatic.com/f.woff"]
    assert JS_URL.findall('load("https://unpkg.com/thebe@0.8.2/lib/index.js")') == [
        "https://unpkg.com/thebe@0.8.2/lib/index.js"
    ]
    assert JS_URL.findall("s='//cdn.example.com/a.js'") == ["//cdn.example.com/a.js"]
    assert JS_URL.findall('x="//*[@data-id]"; y="//../../es5"; z="//"') == []
    assert not "https://unpkg.com/thebe".startswith(JS_ALLOWED_PREFIXES)


def test_math_renders_with_the_local_mathjax(built) -> None:
    html = built["html"]
    mathjax = html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax was not copied into the build (sphinx-mathjax-offline)"
    fonts = list(
        (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")
    )
    assert len(fonts) >= 10, "MathJax's CHTML fonts are missing"
    with_math = 0
    for page in _pages(html):
        soup = _soup(page)
        if not soup.select(".math"):
            continue
        with_math += 1
        scripts = [
            (page.parent / s["src"].split("?")[0]).resolve()
            for s in soup.find_all("script", src=True)
            if not REMOTE.match(s["src"])
        ]
        assert mathjax.resolve() in scripts, (
            f"{page.relative_to(html)} has math but not the local MathJax"
        )
        assert not any(
            "mathjax" in s.get("src", "").lower() and REMOTE.match(s["src"])
            for s in soup.find_all("script", src=True)
        )
    causes = _soup(html / "chapters" / "03_causes.html")
    assert causes.select(".math"), "chapter 3 has $...$ math: it should be marked for MathJax"
    assert with_math >= 1
