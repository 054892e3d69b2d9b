"""Every number in the schema has both a lower and an upper bound, so no value reaches the
arithmetic unbounded (the hostile suite relies on these declared bounds)."""

from __future__ import annotations

import types
import typing

import annotated_types as at
from pydantic import BaseModel

from simulator.scenario.schema import Scenario

# numbers kept in lists or mappings: their bounds are checked item by item in validators
ITEM_CHECKED = {"drawdowns", "initial_buckets", "cure_daily", "partial_daily", "grade_rates",
                "path", "schedule_period"}


def _models(model: type[BaseModel], seen: set) -> None:
    seen.add(model)
    for field in model.model_fields.values():
        for arg in typing.get_args(field.annotation) + (field.annotation,):
            for sub in (arg, *typing.get_args(arg)):
                if isinstance(sub, type) and issubclass(sub, BaseModel) and sub not in seen:
                    _models(sub, seen)


def _numeric(annotation) -> bool:
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (
        typing.Union, types.UnionType) else (annotation,)
    return any(a in (int, float) for a in args)


def test_every_numeric_key_has_both_bounds():
    models: set = set()
    _models(Scenario, models)
    unbounded = []
    for model in models:
        for name, field in model.model_fields.items():
            if name in ITEM_CHECKED or not _numeric(field.annotation):
                continue
            kinds = {type(m) for m in field.metadata}
            if not (kinds & {at.Ge, at.Gt}) or not (kinds & {at.Le, at.Lt}):
                unbounded.append(f"{model.__name__}.{name}")
    assert not unbounded, unbounded
    assert len(models) > 15  # the walk reached the nested models
