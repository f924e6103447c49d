"""Sphinx extension of this book: keep every page's inline scripts clean for offline reading.

* sphinx-thebe (loaded by Jupyter Book 1.x whatever the configuration) adds its inline
  configuration, ``const THEBE_JS_URL = "https://unpkg.com/thebe@.../lib/index.js"; ...``, twice
  to every page: the second copy is a ``SyntaxError`` in the browser, and the URL points to a
  CDN. The book has no live-code (thebe) buttons, so its inline configuration and
  ``sphinx-thebe.js`` are removed from every page.
* Inline scripts added twice with the same body (sphinx-togglebutton's selector) are kept once.
"""

from __future__ import annotations


def _clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        filename = getattr(js, "filename", js)
        body = getattr(js, "attributes", {}).get("body") if hasattr(js, "attributes") else None
        if (body and "THEBE_JS_URL" in body) or str(filename).endswith("sphinx-thebe.js"):
            continue
        key = (str(filename), body)
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
