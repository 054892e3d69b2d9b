"""Property: whatever the text, parse_scenario either returns a Scenario or raises InputError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import InputError
from simulator.scenario import Scenario, parse_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
BASE_DATA = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

KEYS = st.sampled_from(
    ["name", "book", "segments", "share", "tape", "shocks", "income", "rate", "path",
     "contract", "acceleration_dpd", "M1", "policy", "collection", "x", "", "工薪"]
) | st.text(max_size=8)

SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20) | st.dates()
)

DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def _check(text: str, overrides: tuple[str, ...] = ()) -> None:
    try:
        result = parse_scenario(text, overrides=overrides, base_dir=Path("/nonexistent"))
    except InputError as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert isinstance(result, Scenario)
    assert parse_scenario(result.to_yaml()) == result


@FUZZ
@given(DOCUMENTS)
def test_arbitrary_documents(doc: Any) -> None:
    _check(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _check(text)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


BASE_PATHS = _paths(BASE_DATA)


@FUZZ
@given(st.sampled_from(BASE_PATHS), DOCUMENTS, st.booleans())
def test_baseline_with_one_value_changed_or_removed(path: tuple, value: Any, remove: bool) -> None:
    doc = copy.deepcopy(BASE_DATA)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if remove:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    _check(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(st.lists(st.text(max_size=40) | st.sampled_from(
    ["book.segments[0].share=", "contract.charge_off_dpd=off", "shocks=[{rate: {path: [1]}}]",
     "book.segments[9].x=1", "a.b.c=[", "monte_carlo=5", "policy.collection=null"]),
    max_size=3))
def test_arbitrary_overrides(overrides: list[str]) -> None:
    _check(BASELINE.read_text(encoding="utf-8"), tuple(overrides))
