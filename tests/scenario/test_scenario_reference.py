"""docs/scenario.md is generated from the schema and must match it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from simulator.scenario import reference
from simulator.scenario.schema import Scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"


def test_committed_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == reference.generate(), (
        "docs/scenario.md is stale: run python -m simulator.scenario.reference > docs/scenario.md"
    )


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    seen.add(model)
    for field in model.model_fields.values():
        for sub in reference._nested(field.annotation):
            if sub not in seen:
                _models(sub, seen)


def test_every_key_is_described_and_listed() -> None:
    text = reference.generate()
    seen: set[type[BaseModel]] = set()
    _models(Scenario, seen)
    assert len(seen) >= 15
    for model in seen:
        assert f"## {model.__name__}" in text or model is Scenario
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert f"| `{name}` |" in text
