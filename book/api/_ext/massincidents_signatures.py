"""Readable signatures for dataclasses in the API reference (chapter 8).

A dataclass field with ``default_factory`` shows as ``= <factory>`` in the
signature that ``inspect`` gives, which Sphinx cannot parse (it then prints
the raw text, ``~pandas.core.series.Series`` included). This replaces each
``<factory>`` with the repr of what the factory makes (``{}``, ``[]``) and
leaves out private fields (leading underscore), which users do not pass.
"""

from __future__ import annotations

import dataclasses
import re


def _signature(app, what, name, obj, options, signature, return_annotation):
    if what != "class" or not signature or not dataclasses.is_dataclass(obj):
        return None
    for field in dataclasses.fields(obj):
        if field.default_factory is not dataclasses.MISSING:
            default = repr(field.default_factory())
            signature = re.sub(
                rf"(\b{re.escape(field.name)}: [^=]*?= )<factory>", rf"\g<1>{default}", signature
            )
    # private fields are last (they have defaults): drop ", _name: ... = ..." up to ")"
    signature = re.sub(r", _\w+:.*\)$", ")", signature)
    return signature, return_annotation


def setup(app):
    app.connect("autodoc-process-signature", _signature)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
