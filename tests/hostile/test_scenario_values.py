"""Hostile values in every numeric key of every shipped scenario, one test per case.

Each shipped file's YAML tree is walked; every numeric leaf is replaced, in the text itself (so
the YAML parser, its tags and its line numbers are exercised), by non-finite, negative, zero,
enormous, wrong-type and explicitly tagged values. The expectation comes from the schema's own
declared bounds for that key: a value outside them must exit 2 naming the key path and its line;
a value inside them may be accepted (exit 0, then a tiny run must show no negative money) or
refused by a cross-field rule (exit 2 naming the key or a key above it). No case may exit 1,
print a traceback or write anything.
"""

from __future__ import annotations

import math
import re
import sys
import types
import typing
from pathlib import Path

import annotated_types as at
import numpy as np
import pytest
import typer
import yaml
from pydantic import BaseModel

import simulator
import simulator.cli as cli
from simulator.scenario import bounds as B
from simulator.scenario.schema import Scenario
from tests.cli_helpers import exit_code

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))

# (id, YAML text, the number it stands for when it is one, else None: never acceptable)
VARIANTS = [
    ("nan", ".nan", None),
    ("inf", ".inf", None),
    ("minus_inf", "-.inf", None),
    ("negative", "-1", -1),
    ("zero", "0", 0),
    ("huge_int", "1" + "0" * 400, None),
    ("thousands_of_digits", "9" * 5000, None),
    ("float_max", "1e308", None),
    ("string", "'12'", None),
    ("list", "[1]", None),
    ("tag_int", "!!int x", None),
    ("tag_float_nan", "!!float nan", None),
    ("tag_float", "!!float x", None),
    ("tag_bool", "!!bool maybe", None),
    ("tag_timestamp", "!!timestamp 2026-02-30", None),
]


def _leaves(node: yaml.Node, loc: tuple = ()):
    """(key path, scalar node) of every int or float scalar under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _leaves(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _leaves(item, (*loc, i))
    elif node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        yield loc, node


def _field_bounds(loc: tuple) -> tuple[float, float, bool, bool]:
    """(low, high, low open, high open) the schema declares for the key at ``loc``."""
    annotation: typing.Any = Scenario
    info = None
    for part in loc:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            containers = [a for a in args if typing.get_origin(a) in (list, dict)]
            annotation = (models or containers or args)[0]
            origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields[part]
            annotation = info.annotation
        elif origin in (list, dict):
            annotation = typing.get_args(annotation)[-1]
            info = ("item", loc)  # bounds of items are written in validators, not metadata
    return _bounds_of(info, loc)


_ITEM_BOUNDS = {  # keys whose items' bounds live in validators (see schema.py, policy.py)
    "drawdowns": (0, 1, False, False), "initial_buckets": (0, 1, False, False),
    "cure_daily": (0, 1, False, False), "partial_daily": (0, 1, False, False),
    "grade_rates": (0, B.DAILY_RATE_MAX, True, False),
}


def _bounds_of(info, loc) -> tuple[float, float, bool, bool]:
    if isinstance(info, tuple):
        named = next(str(p) for p in reversed(loc) if str(p) in _ITEM_BOUNDS or p == "path")
        if named == "path":  # a shock's monthly path takes its change key's bounds
            spec = {"income": "change", "unemployment": "change_pp", "rate": "change_bp",
                    "factor": "change_sd"}
            kind = next(str(p) for p in loc if str(p) in spec)
            from simulator.scenario import schema

            model = {"income": schema.IncomeShock, "unemployment": schema.UnemploymentShock,
                     "rate": schema.RateShock, "factor": schema.FactorShock}[kind]
            info = model.model_fields[spec[kind]]
        else:
            return _ITEM_BOUNDS[named]
    low, high, low_open, high_open = -math.inf, math.inf, False, False
    for m in info.metadata:
        if isinstance(m, at.Ge):
            low = m.ge
        elif isinstance(m, at.Gt):
            low, low_open = m.gt, True
        elif isinstance(m, at.Le):
            high = m.le
        elif isinstance(m, at.Lt):
            high, high_open = m.lt, True
    name = str(loc[-1])
    if name == "schedule_period":
        low, high = B.PERIOD_DAYS_MIN, B.PERIOD_DAYS_MAX
    return low, high, low_open, high_open


def _inside(value: float, bounds) -> bool:
    low, high, low_open, high_open = bounds
    return (value > low if low_open else value >= low) and (value < high if high_open else
                                                             value <= high)


def _fmt(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def _cases():
    """Every variant at the first occurrence of each key (list indices aside) among the shipped
    files; one variant, taken in turn, at every other occurrence, so that every numeric leaf
    of every shipped file meets a hostile value and the family stays fast."""
    seen: set[str] = set()
    turn = 0
    for file in SHIPPED:
        text = file.read_text(encoding="utf-8")
        root = yaml.compose(text)
        for loc, node in _leaves(root):
            key = re.sub(r"\[\d+\]", "[]", _fmt(loc))
            if key in seen:
                chosen = [VARIANTS[turn % len(VARIANTS)]]
                turn += 1
            else:
                seen.add(key)
                chosen = VARIANTS
            for name, literal, number in chosen:
                yield pytest.param(file, text, loc, node.start_mark.index, node.end_mark.index,
                                   node.start_mark.line + 1, literal, number,
                                   id=f"{file.stem}:{_fmt(loc)}:{name}")


CASES = list(_cases())
_COMMAND = typer.main.get_command(cli.app)  # built once: building it is most of a call's time


def _overdue(argv: list[str], monkeypatch) -> int:
    """Exit code of ``overdue ARGV`` through the console entry point and its error mapping,
    with the click command built once rather than on every call."""
    monkeypatch.setattr(cli, "app", lambda **kw: _COMMAND.main(args=sys.argv[1:],
                                                               prog_name="overdue", **kw))
    return exit_code(argv, monkeypatch)
_RAN: set[tuple] = set()  # (key path without indices, variant): one tiny run each


@pytest.mark.parametrize(("file", "text", "loc", "start", "end", "line", "literal", "number"),
                         CASES)
def test_hostile_value(tmp_path, capsys, monkeypatch, file, text, loc, start, end, line,
                       literal, number):
    hostile = tmp_path / file.name
    hostile.write_text(text[:start] + literal + text[end:], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = _overdue(["validate", str(hostile)], monkeypatch)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [file.name], "something was written"
    path = _fmt(loc)
    inside = number is not None and _inside(number, _field_bounds(loc))
    if not inside:
        assert code == 2, err
        assert path in err and f"{hostile}:{line}:" in err, err
        return
    assert code in (0, 2), err
    if code == 2:  # a cross-field rule: it names this key or one above it, with a line
        named = re.search(r"yaml:\d+: ([^:]+):", err)
        assert named and path.startswith(named.group(1)), err
        return
    key = (re.sub(r"\[\d+\]", "[]", path), literal)
    if key in _RAN:
        return
    _RAN.add(key)
    _tiny_run_has_no_negative_money(hostile)


def _tiny_run_has_no_negative_money(file: Path) -> None:
    scenario = simulator.load_scenario(file, ["monte_carlo.paths=2", "book.borrowers=40"])
    scenario = scenario.model_copy(update={"horizon_days": min(scenario.horizon_days, 90)})
    tables, _ = simulator.simulate(scenario, threads=1)
    ts = tables["timeseries"]
    for name in ts.column_names:
        if name in ("path", "day", "segment"):
            continue
        values = ts.column(name).to_numpy()
        assert (values >= 0).all(), f"{name} goes negative"
        assert np.isfinite(values).all(), f"{name} is not finite"


def test_every_leaf_of_every_shipped_file_is_a_case():
    assert len(SHIPPED) >= 9
    leaves = {(f, loc) for f in SHIPPED
              for loc, _ in _leaves(yaml.compose(f.read_text(encoding="utf-8")))}
    assert {(c.values[0], c.values[2]) for c in CASES} == leaves
