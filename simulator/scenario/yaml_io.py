"""YAML text for scenarios: reading with the line of every key, writing in schema order.

The lowest layer of :mod:`simulator.scenario`: it knows YAML and :class:`InputError`, nothing of
the schema, so both the schema (``Scenario.to_yaml``) and the loader build on it.
"""

from __future__ import annotations

from typing import Any

import yaml

from simulator.errors import InputError

Loc = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _BadScalar(yaml.constructor.ConstructorError):
    """A scalar its tag cannot read: ``!!int x``, ``!!bool maybe``, a date that does not exist
    (``2026-02-30``), an integer of thousands of digits."""

    def __init__(self, node: yaml.ScalarNode, problem: str) -> None:
        super().__init__(None, None, problem, node.start_mark)
        self.node = node


_TAG_WORDS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "a date that exists, like 2026-01-01",
}


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (the YAML spec forbids them; PyYAML keeps the
    last one silently) and reports scalars its tags cannot read as YAML errors at their node
    (PyYAML lets Python's ValueError or KeyError escape)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            if not isinstance(node, yaml.ScalarNode):
                raise
            text = str(node.value)
            shown = repr(text) if len(text) <= 40 else (
                repr(text[:37]) + f"... ({len(text)} characters)")
            word = _TAG_WORDS.get(node.tag, f"a value of tag {node.tag}")
            reason = "too many digits" if "digits" in str(exc) else None
            problem = f"cannot read {shown} as {word}" + (f" ({reason})" if reason else "")
            raise _BadScalar(node, problem) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if first is not None:
                raise _DuplicateKey(
                    None, None, f"duplicate key {show_key(key)} (first at line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def show_key(key: Any) -> str:
    return repr(key) if isinstance(key, str) else str(key)


def _path_to(root: yaml.Node, target: yaml.Node) -> Loc:
    """The key path of ``target`` in the node tree under ``root`` (``()`` if not found)."""
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if node is target:
            return loc
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, (*loc, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))
    return ()


def _format(loc: Loc) -> str | None:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or None


def _yaml_error(exc: yaml.YAMLError, source: str | None,
                root: yaml.Node | None = None) -> InputError:
    if isinstance(exc, yaml.reader.ReaderError):
        return InputError(
            f"not YAML text: character {chr(exc.character)!r} is not allowed", source=source
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    if isinstance(exc, _DuplicateKey):
        return InputError(problem, line=line, source=source)
    if isinstance(exc, _BadScalar):
        return InputError(problem, path=_format(_path_to(root, exc.node)) if root else None,
                          line=line, source=source)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return InputError(message, line=line, source=source)


def load_yaml(text: str, source: str | None = None) -> tuple[Any, dict[Loc, int]]:
    """Parse one YAML document; return the data and the line of every key and list item.

    Returns
    -------
    data, lines
        ``lines`` maps a key path such as ``("book", "segments", 1, "share")`` to its 1-based
        line; ``()`` maps to the document's first line.
    """
    try:
        loader = _LineLoader(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    node = None
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("the file is empty: a scenario needs at least a name and a book",
                             source=source)
        data = loader.construct_document(node)
        lines: dict[Loc, int] = {}
        _record_lines(loader, node, (), lines, set())
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, node) from None
    except RecursionError:
        raise InputError("the YAML is nested too deeply", source=source) from None
    finally:
        loader.dispose()
    return data, lines


def _record_lines(
    loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, lines: dict[Loc, int], seen: set[int]
) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if id(node) in seen:  # an alias: its lines are those of the anchor; also stops cycles
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = loader.construct_object(key_node)
            if isinstance(key, (str, int)) and not isinstance(key, bool):
                lines[(*loc, key)] = key_node.start_mark.line + 1
                _record_lines(loader, value_node, (*loc, key), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _record_lines(loader, item, (*loc, i), lines, seen)


class _Dumper(yaml.SafeDumper):
    """Block style, keys in schema order, unicode kept, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def dump_yaml(data: Any) -> str:
    """YAML text for plain data (dicts, lists, scalars, dates) that :func:`load_yaml` reads back."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
        width=100,
    )
