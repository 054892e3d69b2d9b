"""Reading scenario files: YAML with line numbers, ``--set`` overrides, plain error messages.

Every failure is an :class:`~simulator.errors.InputError` carrying the dotted key path
(``book.segments[1].share``) and, when the key is in the file, its 1-based line.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from simulator.errors import InputError
from simulator.scenario.schema import LocatedError, Scenario
from simulator.scenario.schema import describe_value as _got
from simulator.scenario.yaml_io import Loc, load_yaml, show_key

# --------------------------------------------------------------------------------------------
# Paths in the schema


def format_loc(loc: Sequence[str | int]) -> str:
    """``("book", "segments", 1, "share")`` -> ``book.segments[1].share``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        containers = [a for a in args if typing.get_origin(a) in (list, dict)]
        if models:
            return models[0]
        if containers:
            return containers[0]
        return args[0] if len(args) == 1 else annotation
    return annotation


_NOT_FOUND = object()


def _step(annotation: Any, part: str | int) -> tuple[Any, list[str]]:
    """The annotation one step down ``part``, or ``_NOT_FOUND`` and the keys that are valid."""
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields
        if isinstance(part, str) and part in fields:
            return fields[part].annotation, []
        return _NOT_FOUND, list(fields)
    if origin is list:
        return (typing.get_args(annotation)[0], []) if isinstance(part, int) else (_NOT_FOUND, [])
    if origin is dict:
        key_type, value_type = typing.get_args(annotation)
        if typing.get_origin(key_type) is Literal:
            keys = [str(k) for k in typing.get_args(key_type)]
            return (value_type, []) if part in keys else (_NOT_FOUND, keys)
        return (value_type, []) if isinstance(part, str) else (_NOT_FOUND, [])
    return _NOT_FOUND, []


def _default_raw(parent: Any, key: str, annotation: Any) -> Any:
    """A fresh raw value for a missing section an override reaches into: the schema's default
    for it when there is one (so ``--set ...principal.lognormal.median=5000`` keeps the default
    sigma, min and max), else an empty mapping or list."""
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        field = parent.model_fields[key]
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            return default.model_dump(mode="python")
        if isinstance(default, dict) and default:
            return dict(default)
    return [] if typing.get_origin(_strip_optional(annotation)) is list else {}


def _keys_at(loc: Loc) -> list[str]:
    """The keys the schema allows in the mapping at ``loc`` (empty if not a mapping)."""
    annotation: Any = Scenario
    for part in loc:
        annotation, _ = _step(annotation, part)
        if annotation is _NOT_FOUND:
            return []
    return _step(annotation, "\0")[1]


def _unknown_key_message(key: Any, allowed: Sequence[str]) -> str:
    message = f"unknown key {show_key(key)}"
    close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.7)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    elif allowed:
        message += " (expected one of " + ", ".join(allowed) + ")"
    return message


# --------------------------------------------------------------------------------------------
# Overrides


_OVERRIDE_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def _parse_key_path(key: str, item: str) -> Loc:
    parts: list[str | int] = []
    for piece in key.split("."):
        match = _OVERRIDE_PART.fullmatch(piece.strip())
        if not match:
            raise InputError(
                f"bad key path {key!r} in --set {item!r}: use dotted keys with [i] for list "
                "items, e.g. book.segments[0].share=0.5"
            )
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def parse_override(item: str) -> tuple[Loc, Any]:
    """Split ``key.path=value`` into a key path and a YAML-parsed value."""
    if "=" not in item:
        raise InputError(
            f"--set {item!r} has no '=': write key.path=value, e.g. monte_carlo.seed=7"
        )
    key, _, raw = item.partition("=")
    if not key.strip():
        raise InputError(f"--set {item!r} has no key before '='")
    loc = _parse_key_path(key.strip(), item)
    try:
        value, _ = load_yaml(raw, None) if raw.strip() else (None, {})
    except InputError as exc:
        raise InputError(f"cannot read the value in --set {item!r}: {exc.message}") from None
    return loc, value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[Loc, str]:
    """Apply ``key.path=value`` overrides to a raw scenario mapping, in place, before validation.

    Each key must exist in the schema; list items are addressed with ``[i]`` and must exist in
    the data; missing mappings on the way are created. Values are YAML (``off`` and ``null``
    switch a day count off, ``[a, b]`` is a list).

    Returns
    -------
    dict
        The key path of each override and the ``--set`` text that made it, for error messages.
    """
    applied: dict[Loc, str] = {}
    for item in overrides:
        loc, value = parse_override(item)
        annotation: Any = Scenario
        node: Any = data
        for depth, part in enumerate(loc):
            here = format_loc(loc[:depth]) or "the scenario"
            parent = _strip_optional(annotation)
            if isinstance(part, str) and typing.get_origin(parent) is list:
                raise InputError(
                    f"--set {item!r}: {here} is a list: pick an item with [i], e.g. {here}[0]",
                    path=format_loc(loc),
                )
            annotation, allowed = _step(annotation, part)
            if annotation is _NOT_FOUND:
                if isinstance(part, int):
                    raise InputError(f"--set {item!r}: {here} is not a list", path=format_loc(loc))
                if allowed:
                    reason = _unknown_key_message(part, allowed) + f" in {here}"
                else:
                    reason = f"{here} has no keys below it"
                raise InputError(f"--set {item!r}: {reason}", path=format_loc(loc))
            last = depth == len(loc) - 1
            if isinstance(part, int):
                if not isinstance(node, list):
                    raise InputError(f"--set {item!r}: {here} is not a list in the file",
                                     path=format_loc(loc))
                if part >= len(node):
                    raise InputError(
                        f"--set {item!r}: index {part} is out of range ({here} has "
                        f"{len(node)} item{'s' if len(node) != 1 else ''})",
                        path=format_loc(loc),
                    )
            elif not isinstance(node, dict):
                raise InputError(f"--set {item!r}: {here} is not a mapping in the file",
                                 path=format_loc(loc))
            if last:
                node[part] = value
            else:
                if isinstance(part, str) and node.get(part) is None:
                    node[part] = _default_raw(parent, part, annotation)
                node = node[part]
        applied[loc] = item
    return applied


# --------------------------------------------------------------------------------------------
# Validation errors in plain words


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date like 2026-01-01",
    "date_parsing": "a date like 2026-01-01",
    "date_from_datetime_inexact": "a date like 2026-01-01 (no time of day)",
    "none_required": "null",
}

_BOUND_WORDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}


def _plain_message(error: dict[str, Any]) -> tuple[str, Loc]:
    """A user's wording of one pydantic error, and any more precise location below its loc."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    loc: Loc = tuple(error["loc"])
    if kind == "value_error" and isinstance(ctx.get("error"), LocatedError):
        return str(ctx["error"]), ctx["error"].where
    if kind in ("value_error", "assertion_error") and ctx.get("error") is not None:
        return str(ctx["error"]), ()
    if kind == "extra_forbidden":
        return _unknown_key_message(loc[-1], _keys_at(loc[:-1])), ()
    if kind == "missing":
        return f"missing required key {show_key(loc[-1])}", ()
    if kind in _TYPE_WORDS:
        message = f"expected {_TYPE_WORDS[kind]}, got {_got(value)}"
        if kind == "string_type" and not isinstance(value, (dict, list)) and value is not None:
            message += " (quote it: YAML reads yes/no/on/off as true/false and digits as numbers)"
        return message, ()
    if kind in _BOUND_WORDS:
        key, sign = _BOUND_WORDS[kind]
        bound = ctx.get(key)  # a date bound arrives as its ISO text: show it unquoted
        shown = bound if isinstance(bound, str) else _got(bound)
        return f"must be {sign} {shown}, got {_got(value)}", ()
    if kind == "finite_number":
        return f"must be a finite number, got {_got(value)}", ()
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {_got(value)}", ()
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"must have at least {n} item{'s' if n != 1 else ''}", ()
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"must have at most {n} items, got {ctx.get('actual_length')}", ()
    if kind == "invalid_key":
        return f"keys must be text, got {_got(value)}", ()
    message = str(error.get("msg", "invalid value"))
    return message[0].lower() + message[1:] if message else "invalid value", ()


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def validation_error(
    exc: ValidationError,
    lines: dict[Loc, int],
    source: str | None = None,
    overridden: dict[Loc, str] | None = None,
) -> InputError:
    """One :class:`InputError` for a pydantic ValidationError: the first error, in plain words,
    with its dotted key path and line."""
    errors = exc.errors(include_url=False)
    # A misspelt key also makes the right one "missing": the unknown key says more.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    message, below = _plain_message(first)
    loc = tuple(p for p in first["loc"] if p != "[key]") + tuple(below)
    line = _line_for(loc, lines)
    for set_loc, item in (overridden or {}).items():
        if loc[: len(set_loc)] == set_loc or set_loc[: len(loc)] == loc:
            message += f" (from --set {item})"
            line = None
            break
    if len(errors) > 1:
        more = len(errors) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return InputError(message, path=format_loc(loc) or None, line=line, source=source)


# --------------------------------------------------------------------------------------------
# The public entry points


def parse_scenario(
    text: str,
    source: str = "<string>",
    overrides: Sequence[str] = (),
    base_dir: Path | None = None,
) -> Scenario:
    """Validate scenario YAML text.

    Parameters
    ----------
    text
        The YAML.
    source
        Where it came from, for messages.
    overrides
        ``key.path=value`` items applied before validation.
    base_dir
        Folder a relative ``book.tape`` is resolved against (default: the current folder).

    Raises
    ------
    InputError
        For any problem, with the key path and line where known.
    """
    if not isinstance(text, str):
        raise InputError("scenario text must be a string", source=source)
    data, lines = load_yaml(text, source)
    if data is None:
        raise InputError("the file is empty: a scenario needs at least a name and a book",
                         source=source)
    if not isinstance(data, dict):
        raise InputError(
            f"a scenario must be a mapping of keys (name: ..., book: ...), got {_got(data)}",
            line=lines.get(()), source=source,
        )
    overridden = apply_overrides(data, overrides)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lines, source, overridden) from None
    except RecursionError:
        raise InputError("the YAML is nested too deeply", source=source) from None
    return _resolve_tape(scenario, lines, source, base_dir, overridden)


def _resolve_tape(
    scenario: Scenario,
    lines: dict[Loc, int],
    source: str | None,
    base_dir: Path | None,
    overridden: dict[Loc, str],
) -> Scenario:
    tape = scenario.book.tape
    if tape is None:
        return scenario
    path = Path(tape).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    path = path.resolve()
    loc = ("book", "tape")
    line = None if loc in overridden else lines.get(loc)
    # a folder is a Parquet dataset (its files read in order); a CSV tape is one file
    if not (path.is_file() or (path.is_dir() and path.suffix.lower() != ".csv")):
        what = "is a folder, not a CSV file" if path.is_dir() else "does not exist"
        raise InputError(f"loan tape {str(path)!r} {what}", path="book.tape", line=line,
                         source=source)
    book = scenario.book.model_copy(update={"tape": str(path)})
    return scenario.model_copy(update={"book": book})


def read_scenario_text(path: str | Path) -> str:
    """The text of a scenario file; InputError if it is missing, a folder, unreadable or binary."""
    p = Path(path)
    shown = str(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=shown) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a scenario file", source=shown) from None
    except PermissionError:
        raise InputError("permission denied", source=shown) from None
    except OSError as exc:
        if p.is_dir():
            raise InputError("is a folder, not a scenario file", source=shown) from None
        raise InputError(f"cannot read: {exc.strerror or exc}", source=shown) from None
    if b"\x00" in raw:
        raise InputError("is a binary file, not YAML text", source=shown)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (undecodable byte at offset {exc.start}); save it as UTF-8",
            source=shown,
        ) from None


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        ``key.path=value`` items, e.g. ``book.borrowers=5000`` or ``contract.acceleration_dpd=off``.

    Raises
    ------
    InputError
        For any problem, with the key path and line where known.
    """
    text = read_scenario_text(path)
    return parse_scenario(text, source=str(path), overrides=overrides,
                          base_dir=Path(path).resolve().parent)
