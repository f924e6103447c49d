"""Load YAML safely and remember where every key and value sits.

PyYAML's ``SafeLoader`` composes the document into nodes (no Python objects,
no tags beyond the YAML core schema); this module walks the nodes itself,
building plain dicts, lists and scalars and recording the line and column of
every key and value, so that a problem found later (by the schema or by the
checks of :mod:`massincidents.spec.core`) can name its line. Duplicate keys,
non-string keys, documents that expand to more than :data:`MAX_NODES` nodes
(alias bombs) and documents nested deeper than :data:`MAX_DEPTH` (which would
exhaust Python's recursion) are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

#: Largest number of nodes a specification may expand to (aliases included).
MAX_NODES = 100_000

#: Deepest nesting of lists and mappings a specification may have (the book's has 5).
MAX_DEPTH = 32

Path = tuple[str | int, ...]

_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class Located:
    """A loaded document and the positions (1-based line, column) of its parts.

    Attributes
    ----------
    data
        The document as plain dicts, lists, strings, numbers, booleans and None.
    values
        Path (keys and list indices from the root) -> position of the value.
    keys
        Path -> position of the mapping key that names it.
    """

    data: object
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int] | None:
        """Position of the value at ``path`` (of its key with ``key=True``), else of a parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), None)


class LoadProblem(Exception):
    """A YAML syntax or structure problem, with its position."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_located(text: str) -> Located:
    """Parse YAML text into plain data with positions.

    Parameters
    ----------
    text
        One YAML document.

    Returns
    -------
    Located

    Raises
    ------
    LoadProblem
        On a syntax error, a duplicate key, a non-string key, an unknown tag
        or a document that expands to too many nodes.

    Examples
    --------
    >>> doc = load_located("a: 1\\nb:\\n  - x\\n  - y\\n")
    >>> doc.data, doc.values[("b", 1)], doc.keys[("b",)]
    ({'a': 1, 'b': ['x', 'y']}, (4, 5), (2, 1))
    """
    loader = yaml.SafeLoader(text)
    try:
        try:
            _check_depth(text)
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            where = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            raise LoadProblem(f"YAML syntax error: {err.problem or err}", *where) from None
        except yaml.YAMLError as err:  # pragma: no cover - other PyYAML failures
            raise LoadProblem(f"YAML error: {err}") from None
        located = Located(data=None)
        if node is None:
            return located
        count = [0]
        located.data = _walk(loader, node, (), located, count)
        return located
    finally:
        loader.dispose()


def _check_depth(text: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH`, before it is composed.

    PyYAML's composer (and any walk of the result) recurses once per level, so
    a document of ten thousand nested ``[`` would end in a ``RecursionError``.
    The parser's events are read iteratively and the depth counted first.

    Examples
    --------
    >>> _check_depth("a: [[1]]")
    >>> _check_depth("[" * 40 + "]" * 40)
    Traceback (most recent call last):
    ...
    massincidents.spec._yaml.LoadProblem: the document is nested more than 32 levels deep
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise LoadProblem(
                    f"the document is nested more than {MAX_DEPTH} levels deep",
                    mark.line + 1,
                    mark.column + 1,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _walk(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path, located: Located, count: list[int]
) -> object:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise LoadProblem(
            f"the document expands to more than {MAX_NODES:,} values (aliases nested too deep)",
            *_mark(node),
        )
    located.values.setdefault(path, _mark(node))
    if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
        raise LoadProblem(f"tag {node.tag!r} is not allowed in a specification", *_mark(node))
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves "<<" merge keys
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node)
            if not isinstance(key, str):
                raise LoadProblem(
                    f"keys must be text, got {key!r} ({type(key).__name__}); quote it",
                    *_mark(key_node),
                )
            if key in out:
                raise LoadProblem(f"duplicate key {key!r}", *_mark(key_node))
            located.keys[(*path, key)] = _mark(key_node)
            out[key] = _walk(loader, value_node, (*path, key), located, count)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(loader, item, (*path, i), located, count) for i, item in enumerate(node.value)
        ]
    return _scalar(loader, node)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    if not isinstance(node, yaml.ScalarNode):
        raise LoadProblem("a mapping key must be a plain value", *_mark(node))
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as err:
        raise LoadProblem(f"YAML error: {err.problem}", *_mark(node)) from None
