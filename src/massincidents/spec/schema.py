"""The JSON Schema of an analysis specification, and readable messages from it.

:data:`SCHEMA` is a JSON Schema (draft 2020-12) that the YAML document must
satisfy: it fixes every key (unknown keys are errors), the closed vocabulary
of transforms, model families and variance choices, and the form of column
names -- plain identifiers (letters, digits and underscores, Chinese
characters allowed, not starting with a digit or a double underscore, not a
Python keyword), so that no text in a specification is ever evaluated as
code. :func:`schema_problems` turns the validator's errors into
:class:`~massincidents.spec.errors.SpecProblem` objects with line numbers.
"""

from __future__ import annotations

import copy
import keyword
from typing import Any

import jsonschema

from massincidents.registry import models as registered_models
from massincidents.spec._yaml import Located
from massincidents.spec.errors import SpecProblem, did_you_mean

#: Pattern every column name in a specification must match.
COLUMN_PATTERN = r"^(?!__)[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*$"

#: Bounds of every number and list of a specification (a number outside them is an error).
#: A bootstrap of 1e26 draws would try to allocate hundreds of GiB; a lag of a billion
#: periods means nothing. The bounds are far beyond any sensible analysis.
MAX_BOOTSTRAP_REPS = 99_999
MAX_SEED = 2**32 - 1
MAX_PERIOD = 99_999_999  # the largest period a window names (yyyymmdd fits)
MAX_LAG = 1_000
MAX_MAGNITUDE = 1e15  # constants of transforms and shifts
MAX_WITHIN_SD = 100
MAX_COLUMNS = 1_000  # columns of one group, terms of one specification
MAX_SPECIFICATIONS = 200
MAX_TEXT = 2_000  # characters of a name, title or reason
MAX_NAME = 200  # characters of a column name

#: Names a column may not have: Python keywords and the formula helpers.
RESERVED = tuple(sorted({*keyword.kwlist, "C", "I", "Q", "np"}))

#: The thesis's four groups of causes and six measures, in its order.
CAUSES = ("social", "solving", "legal", "system")
MEASURES = (
    "rule_of_law",
    "government_functions",
    "system_construction",
    "cadre_quality",
    "responsibility_system",
    "livelihood",
)
#: The count models a specification may name: the registry's ``count`` family
#: (:mod:`massincidents.registry`), read each time a document is checked.
COUNT_FAMILY = "count"
TRANSFORMS = ("log", "ratio", "share", "per_million", "lag", "scale", "sum", "first")
LEVELS = ("province", "prefecture", "county", "other")

_COLUMN: dict[str, Any] = {
    "type": "string",
    "pattern": COLUMN_PATTERN,
    "maxLength": MAX_NAME,
    "not": {"enum": list(RESERVED)},
}
_COLUMNS: dict[str, Any] = {
    "type": "array",
    "items": {"$ref": "#/$defs/column"},
    "uniqueItems": True,
    "maxItems": MAX_COLUMNS,
}
_CONSTANT: dict[str, Any] = {
    "type": "number",
    "minimum": -MAX_MAGNITUDE,
    "maximum": MAX_MAGNITUDE,
}
# the M or Mbar values of timing.honest (massincidents.honest_did)
_HONEST_GRID: dict[str, Any] = {
    "type": "array",
    "items": {"type": "number", "minimum": 0, "maximum": 1e6},
    "minItems": 1,
    "maxItems": 50,
    "uniqueItems": True,
}
_DIVISOR: dict[str, Any] = {**_CONSTANT, "not": {"const": 0}}
_NUMBER_OR_COLUMN: dict[str, Any] = {
    "if": {"type": "string"},
    "then": {"$ref": "#/$defs/column"},
    "else": _DIVISOR,
}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": MAX_TEXT}
_WINDOW: dict[str, Any] = {
    "if": {"type": "null"},
    "then": {"type": "null"},
    "else": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": MAX_PERIOD},
        "minItems": 2,
        "maxItems": 2,
    },
}


def _group(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A cause or measure: a list of columns, or a mapping with ``columns``."""
    properties: dict[str, Any] = {
        "columns": {"$ref": "#/$defs/columns"},
        "missing_reason": _TEXT,
    }
    properties.update(extra or {})
    return {
        "if": {"type": "array"},
        "then": {"$ref": "#/$defs/columns"},
        "else": {
            "type": "object",
            "properties": properties,
            "required": ["columns"],
            "additionalProperties": False,
        },
    }


def _pair(second: dict[str, Any], third: dict[str, Any] | None = None) -> dict[str, Any]:
    items = [{"$ref": "#/$defs/column"}, second] + ([third] if third else [])
    return {
        "type": "array",
        "prefixItems": items,
        "items": False,
        "minItems": 2,
        "maxItems": len(items),
    }


def families() -> tuple[str, ...]:
    """The model names a specification may use (``models:``, ``families:``), from the registry."""
    return registered_models(COUNT_FAMILY)


def build_schema() -> dict[str, Any]:
    """The JSON Schema with the model families registered now (see :func:`families`)."""
    schema = copy.deepcopy(SCHEMA)
    schema["$defs"]["family"] = {"enum": list(families())}
    return schema


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "massincidents analysis specification",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "data", "outcome", "causes", "measures", "models"],
    "$defs": {
        "column": _COLUMN,
        "columns": _COLUMNS,
        "family": {"enum": list(registered_models(COUNT_FAMILY))},
        "nullable_column": {
            "if": {"type": "null"},
            "then": {"type": "null"},
            "else": {"$ref": "#/$defs/column"},
        },
    },
    "properties": {
        "version": {"const": 1},
        "title": _TEXT,
        "description": {"type": "string", "maxLength": 20 * MAX_TEXT},
        "data": {
            "type": "object",
            "additionalProperties": False,
            "required": ["unit", "time"],
            "properties": {
                "unit": {"$ref": "#/$defs/column"},
                "time": {"$ref": "#/$defs/column"},
                "level": {"enum": list(LEVELS)},
                "sheet": {
                    "if": {"type": "string"},
                    "then": {"type": "string", "maxLength": MAX_NAME},
                    "else": {"type": "integer", "minimum": 0, "maximum": 10_000},
                },
            },
        },
        "outcome": {
            "type": "object",
            "additionalProperties": False,
            "required": ["count"],
            "properties": {
                "count": {"$ref": "#/$defs/column"},
                "exposure": {"$ref": "#/$defs/nullable_column"},
                "window": _WINDOW,
            },
        },
        "causes": {
            "type": "object",
            "additionalProperties": False,
            "required": list(CAUSES),
            "properties": {name: _group() for name in CAUSES},
        },
        "measures": {
            "type": "object",
            "additionalProperties": False,
            "required": list(MEASURES),
            "properties": {
                name: _group(
                    {
                        "shift": {
                            "type": "object",
                            "propertyNames": {"$ref": "#/$defs/column"},
                            "additionalProperties": {
                                "if": {"type": "object"},
                                "then": {
                                    "type": "object",
                                    "required": ["within_sd"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "within_sd": {
                                            "type": "number",
                                            "minimum": -MAX_WITHIN_SD,
                                            "maximum": MAX_WITHIN_SD,
                                            "not": {"const": 0},
                                        }
                                    },
                                },
                                "else": _DIVISOR,
                            },
                        }
                    }
                )
                for name in MEASURES
            },
        },
        "transforms": {
            "type": "object",
            "maxProperties": MAX_COLUMNS,
            "propertyNames": {"$ref": "#/$defs/column"},
            "additionalProperties": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "log": {"$ref": "#/$defs/column"},
                    "ratio": _pair(_NUMBER_OR_COLUMN),
                    "share": _pair(_NUMBER_OR_COLUMN),
                    "per_million": _pair(
                        {"$ref": "#/$defs/column"},
                        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MAGNITUDE},
                    ),
                    "lag": _pair({"type": "integer", "minimum": 1, "maximum": MAX_LAG}),
                    "scale": _pair(_CONSTANT),
                    "sum": {**_COLUMNS, "minItems": 2},
                    "first": {"$ref": "#/$defs/column"},
                },
            },
        },
        "specifications": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SPECIFICATIONS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "terms"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                    "terms": {**_COLUMNS, "minItems": 1},
                    "families": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/family"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                },
            },
        },
        "models": {
            "type": "array",
            "items": {"$ref": "#/$defs/family"},
            "minItems": 1,
            "uniqueItems": True,
        },
        "fixed_effects": _COLUMNS,
        "vcov": {
            "if": {"type": "string"},
            "then": {"enum": ["iid", "hetero"]},
            "else": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "CRV1": {
                        "type": "string",
                        "pattern": r"^[A-Za-z_\u4e00-\u9fff][\w+]*$",
                        "maxLength": 2 * MAX_NAME + 1,
                    },
                    "CRV0": {
                        "type": "string",
                        "pattern": r"^[A-Za-z_\u4e00-\u9fff][\w+]*$",
                        "maxLength": 2 * MAX_NAME + 1,
                    },
                    "DK": {"type": "integer", "minimum": 0, "maximum": MAX_LAG},
                    "CV3": {  # cluster jackknife: one column
                        "type": "string",
                        "pattern": r"^[A-Za-z_\u4e00-\u9fff]\w*$",
                        "maxLength": MAX_NAME,
                    },
                },
            },
        },
        "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "bootstrap": {
            "if": {"type": "null"},
            "then": {"type": "null"},
            "else": {
                "type": "object",
                "additionalProperties": False,
                "required": ["reps", "seed"],
                "properties": {
                    "reps": {"type": "integer", "minimum": 9, "maximum": MAX_BOOTSTRAP_REPS},
                    "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                    "weights": {"enum": ["rademacher", "webb"]},
                },
            },
        },
        "multiple_testing": {
            "if": {"type": "null"},
            "then": {"type": "null"},
            "else": {
                "type": "object",
                "additionalProperties": False,
                "required": ["method"],
                "properties": {
                    "method": {"enum": ["romano_wolf", "holm", "bh", "bonferroni"]},
                    "reps": {"type": "integer", "minimum": 9, "maximum": MAX_BOOTSTRAP_REPS},
                    "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                    "weights": {"enum": ["rademacher", "webb"]},
                },
            },
        },
        "timing": {
            "if": {"type": "null"},
            "then": {"type": "null"},
            "else": {
                "type": "object",
                "additionalProperties": False,
                "required": ["cohort"],
                "properties": {
                    "cohort": {"$ref": "#/$defs/column"},
                    "outcome": {"$ref": "#/$defs/column"},
                    "control_group": {"enum": ["notyet", "never"]},
                    "method": {"enum": ["dr", "ipw", "reg"]},
                    "honest": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["method"],
                        "properties": {
                            "method": {"enum": ["relative_magnitudes", "smoothness"]},
                            "mbar": _HONEST_GRID,
                            "m": _HONEST_GRID,
                            "target": {
                                "anyOf": [{"type": "integer", "minimum": 0}, {"const": "average"}]
                            },
                            "window": {
                                "type": "array",
                                "items": {"type": "integer", "minimum": -1000, "maximum": 1000},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                        "if": {"properties": {"method": {"const": "smoothness"}}},
                        "then": {"required": ["m"], "not": {"required": ["mbar"]}},
                        "else": {"not": {"required": ["m"]}},
                    },
                },
            },
        },
        "mapping": {
            "type": "object",
            "maxProperties": 10 * MAX_COLUMNS,
            "propertyNames": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "additionalProperties": {"$ref": "#/$defs/column"},
        },
        "multiverse": {
            "if": {"type": "null"},
            "then": {"type": "null"},
            "else": {
                "type": "object",
                "additionalProperties": False,
                "required": ["indicators"],
                "properties": {
                    "indicators": {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": MAX_COLUMNS,
                        "propertyNames": {"$ref": "#/$defs/column"},
                        "additionalProperties": {**_COLUMNS, "minItems": 1},
                    },
                    "families": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/family"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                    "fixed_effects": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "items": {"enum": ["unit", "time"]},
                            "uniqueItems": True,
                        },
                    },
                    "exposure": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_COLUMNS,
                        "items": {"$ref": "#/$defs/nullable_column"},
                    },
                    "windows": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_COLUMNS,
                        "items": _WINDOW,
                    },
                    "standardize": {"type": "boolean"},
                },
            },
        },
    },
}
_VALIDATORS: dict[tuple[str, ...], jsonschema.Draft202012Validator] = {}


def _validator() -> jsonschema.Draft202012Validator:
    """The validator of :func:`build_schema`, compiled once per set of registered families."""
    key = families()
    if key not in _VALIDATORS:
        _VALIDATORS[key] = jsonschema.Draft202012Validator(build_schema())
    return _VALIDATORS[key]


def json_schema() -> dict[str, Any]:
    """A copy of the JSON Schema, e.g. to give to an editor.

    Returns
    -------
    dict
        :data:`SCHEMA` (draft 2020-12), deep-copied, with the model families
        registered now.

    Examples
    --------
    >>> s = json_schema()
    >>> s["required"][:3], "famlies" in s["properties"]["multiverse"]["else"]["properties"]
    (['version', 'data', 'outcome'], False)
    """
    return build_schema()


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def _under(path: tuple[str | int, ...]) -> str:
    return f"under {_dotted(path)!r}" if path else "at the top level"


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


_Path = tuple[str | int, ...]
_Messages = list[tuple[_Path, str, bool]]


def _message(error: jsonschema.ValidationError) -> _Messages:
    """(path, message, at_key) triples for one validator error.

    Each explainer below words one kind of violation, or passes (``None``);
    the first that answers wins, so their order matters.
    """
    path = tuple(error.absolute_path)
    for explain in (
        _key_messages,
        _column_name_message,
        _number_messages,
        _length_messages,
        _choice_message,
        _shape_messages,
        _entry_messages,
    ):
        found = explain(error, path)
        if found is not None:
            return found
    return [(path, f"{_dotted(path) or 'the document'}: {error.message}", False)]


def _key_messages(error: jsonschema.ValidationError, path: _Path) -> _Messages | None:
    """Unknown keys (with a did-you-mean) and missing keys, each at its key."""
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        return [
            ((*path, k), f"unknown key {k!r} {_under(path)}{did_you_mean(k, allowed)}", True)
            for k in extra
        ]
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
        return [(path, f"missing key {k!r} {_under(path)}", True) for k in missing]
    return None


def _column_name_message(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """A column name that is not a plain identifier, or a reserved word."""
    kind, value = error.validator, error.instance
    if kind not in ("pattern", "not") or not isinstance(value, str):
        return None
    where = f" ({_dotted(path)})" if path else ""
    if kind == "not":
        reason = "is a reserved word"
    else:
        reason = "is not a plain column name"
    return [
        (
            path,
            f"{value!r}{where} {reason}: column names are letters, digits and underscores "
            "(Chinese characters allowed), not starting with a digit or '__', and not a "
            "Python keyword; rename the column with `mapping:` or --map old=new. Nothing in "
            "a specification is evaluated as code",
            False,
        )
    ]


def _number_messages(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """A number outside its bounds, or a zero where zero is not allowed."""
    kind, value = error.validator, error.instance
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = error.validator_value
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }[kind]
        shown = f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"
        return [(path, f"{_dotted(path)} is {value!r}; it must be {words} {shown}", False)]
    if kind == "not" and isinstance(value, int | float) and not isinstance(value, bool):
        return [(path, f"{_dotted(path)} is {value!r}; it must not be zero", False)]
    return None


def _length_messages(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """Lists, mappings and texts longer than the limits that guard against runaway input."""
    kind, value = error.validator, error.instance
    if (
        kind in ("maxItems", "maxProperties")
        and isinstance(value, list | dict)
        and error.validator_value > 2
    ):
        return [
            (
                path,
                f"{_dotted(path) or 'the document'} has {len(value):,} entries; at most "
                f"{error.validator_value:,} are allowed",
                False,
            )
        ]
    if kind == "maxLength" and isinstance(value, str):
        return [
            (
                path,
                f"{_dotted(path)} is {len(value):,} characters long; at most "
                f"{error.validator_value:,} are allowed",
                False,
            )
        ]
    return None


def _choice_message(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """A value that is not one of the allowed choices, with a did-you-mean."""
    kind, value = error.validator, error.instance
    if kind not in ("enum", "const"):
        return None
    choices = error.validator_value if kind == "enum" else [error.validator_value]
    listing = ", ".join(repr(c) for c in choices)
    hint = did_you_mean(value, [str(c) for c in choices]) if isinstance(value, str) else ""
    return [(path, f"{value!r} is not allowed at {_dotted(path)}: use {listing}{hint}", False)]


def _shape_messages(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """A value of the wrong type: cause and measure groups, year windows, then any value."""
    kind, value = error.validator, error.instance
    if len(path) == 2 and path[0] in ("causes", "measures") and kind in ("type", "required"):
        return [
            (
                path,
                f"{_dotted(path)} must be a list of columns, or a mapping with 'columns' (and "
                "optionally 'missing_reason'); got " + _type_name(value),
                False,
            )
        ]
    is_window = path[-1:] == ("window",) or (len(path) >= 2 and path[-2] == "windows")
    if is_window and kind in ("type", "minItems", "maxItems"):
        return [(path, f"{_dotted(path)} must be [start, end] (two whole years) or null", False)]
    if kind == "type":
        kinds = error.validator_value
        kinds = " or ".join(kinds) if isinstance(kinds, list) else kinds
        type_words = {
            "object": "a mapping",
            "array": "a list",
            "string": "text",
            "integer": "a whole number",
        }
        wanted = " or ".join(type_words.get(w, w) for w in str(kinds).split(" or "))
        return [
            (
                path,
                f"{_dotted(path) or 'the document'} must be {wanted}, got {_type_name(value)}",
                False,
            )
        ]
    return None


def _entry_messages(
    error: jsonschema.ValidationError, path: _Path
) -> _Messages | None:
    """Mappings and lists with too few or too many entries, and repeated entries."""
    kind, value, schema = error.validator, error.instance, error.schema
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        if path and path[0] == "transforms":
            choices = ", ".join(TRANSFORMS)
            return [
                (
                    path,
                    f"a transform has exactly one of the keys {choices}; got {len(value)}",
                    False,
                )
            ]
        if schema.get("maxProperties") != 1:
            return [(path, f"{_dotted(path)} is empty: name at least one entry", False)]
        return [(path, f"{_dotted(path)} needs exactly one key, got {len(value)}", False)]
    if kind in ("minItems", "maxItems", "items", "prefixItems") and isinstance(value, list):
        return [(path, f"{_dotted(path)}: {error.message}", False)]
    if kind == "uniqueItems":
        return [(path, f"{_dotted(path)} lists the same entry twice", False)]
    return None

def schema_problems(data: object, located: Located | None, source: str) -> list[SpecProblem]:
    """Every schema violation of ``data`` as a problem with its position.

    Parameters
    ----------
    data
        The loaded document.
    located
        Positions from :func:`massincidents.spec._yaml.load_located`
        (``None`` for a dict given in Python).
    source
        Name of the file for messages.

    Returns
    -------
    list of SpecProblem
        Sorted by position; empty when the document is valid.

    Examples
    --------
    >>> from massincidents.spec._yaml import load_located
    >>> doc = load_located("version: 1\\nmultiverse:\\n  famlies: [poisson]\\n")
    >>> for p in schema_problems(doc.data, doc, "spec.yaml")[-1:]:
    ...     print(p)
    spec.yaml, line 3, column 3: unknown key 'famlies' under 'multiverse' (did you mean 'families'?)
    """
    problems: list[SpecProblem] = []
    seen: set[tuple[object, str]] = set()
    for error in _validator().iter_errors(data):
        for path, message, at_key in _message(error):
            if (path, message) in seen:
                continue
            seen.add((path, message))
            pos = located.where(path, key=at_key) if located is not None else None
            line, column = pos if pos is not None else (None, None)
            problems.append(SpecProblem(message, source, line, column, _dotted(path)))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.path, p.message))
    return problems
