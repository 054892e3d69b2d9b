"""The column registry: schema building, validation, generated docs and `overdue schema`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import simulator.cli  # noqa: F401  (registers every command)
from simulator.cli.app import app
from simulator.results.registry import (
    BUCKETS,
    PATHS,
    QUANTILES,
    SCHEMA_VERSION,
    TABLES,
    TIMESERIES,
    arrow_schema,
    conform,
    json_reference,
    markdown_reference,
    validate_table,
)

ROOT = Path(__file__).resolve().parents[2]


def zero_table(name: str, n: int = 2) -> pa.Table:
    cols = {}
    for c in TABLES[name]:
        if pa.types.is_string(c.type):
            cols[c.name] = pa.array(["x"] * n, c.type)
        else:
            cols[c.name] = pa.array([0] * n, c.type)
    return pa.table(cols)


def test_every_table_has_unique_documented_columns():
    for name, cols in TABLES.items():
        names = [c.name for c in cols]
        assert len(names) == len(set(names)), name
        for c in cols:
            assert c.unit and c.meaning, (name, c.name)


def test_timeseries_columns():
    names = [c.name for c in TIMESERIES]
    assert names[:3] == ["path", "day", "segment"]
    for b in BUCKETS:
        assert f"n_{b}" in names and f"principal_{b}" in names
    for n in (
        "n_CO",
        "n_closed",
        "cum_paid_principal",
        "cum_prepaid_principal",
        "cum_charged_off_principal",
        "cum_recoveries",
        "nonaccrual_charges",
        "borrowers_dpd30",
        "borrowers_dpd90",
    ):
        assert n in names
    types = {c.name: c.type for c in TIMESERIES}
    assert types["path"] == pa.int32() and types["day"] == pa.int32()
    assert types["n_M3"] == pa.int64() and types["principal_M3"] == pa.float64()
    money = [c for c in TIMESERIES + PATHS if c.unit == "yuan"]
    assert money and all(c.type == pa.float64() for c in money)
    assert [c.name for c in QUANTILES] == ["day", "metric", "stat", "value"]


def test_arrow_schema_carries_metadata():
    s = arrow_schema("paths")
    assert s.names == [c.name for c in PATHS]
    assert s.metadata[b"overdue.table"] == b"paths"
    assert s.metadata[b"overdue.schema_version"] == SCHEMA_VERSION.encode()
    f = s.field("net_loss")
    assert f.metadata[b"unit"] == b"yuan"
    assert b"charged off" in f.metadata[b"meaning"]
    assert not f.nullable
    with pytest.raises(KeyError, match="unknown results table"):
        arrow_schema("nope")


def test_validate_accepts_dictionary_segment():
    t = zero_table("timeseries")
    validate_table("timeseries", t)
    i = t.schema.get_field_index("segment")
    t2 = t.set_column(i, "segment", t.column("segment").dictionary_encode())
    validate_table("timeseries", t2)
    out = conform("timeseries", t2)
    assert out.schema == arrow_schema("timeseries")
    assert out.column("segment").to_pylist() == ["x", "x"]


def test_validate_rejects_and_names_the_column():
    t = zero_table("paths")
    with pytest.raises(ValueError, match="missing column 'recoveries'"):
        validate_table("paths", t.drop_columns(["recoveries"]))
    with pytest.raises(ValueError, match="unexpected column 'extra'"):
        validate_table("paths", t.append_column("extra", pa.array([1, 2])))
    swapped = t.select([1, 0] + list(range(2, t.num_columns)))
    with pytest.raises(ValueError, match="'path' expected at position 0"):
        validate_table("paths", swapped)
    i = t.schema.get_field_index("net_loss")
    with pytest.raises(ValueError, match="'net_loss' has type float"):
        validate_table("paths", t.set_column(i, "net_loss", pa.array([0, 0], pa.float32())))
    with pytest.raises(ValueError, match="'net_loss' has 1 null"):
        validate_table("paths", t.set_column(i, "net_loss", pa.array([0.0, None])))
    j = t.schema.get_field_index("path")
    with pytest.raises(ValueError, match="'path' has type int64"):
        validate_table("paths", t.set_column(j, "path", pa.array([0, 1], pa.int64())))
    q = zero_table("quantiles")
    k = q.schema.get_field_index("metric")
    with pytest.raises(ValueError, match="'metric' has type dictionary<values=int64"):
        validate_table("quantiles", q.set_column(k, "metric", pa.array([0, 1]).dictionary_encode()))


def test_markdown_reference_lists_every_column():
    md = markdown_reference()
    for name, cols in TABLES.items():
        assert f"## `{name}.parquet`" in md
        for c in cols:
            assert f"| `{c.name}` | {c.type} | {c.unit} |" in md


def test_committed_schema_doc_is_up_to_date():
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == markdown_reference() + "\n", (
        "docs/schema.md is stale: regenerate it with `overdue schema > docs/schema.md`"
    )


def _invoke(args: list[str]):
    """Run the app; while `schema` is its only command typer runs it without the name."""
    import typer.main

    command = typer.main.get_command(app)
    argv = args if hasattr(command, "commands") else args[1:]
    return CliRunner().invoke(app, argv)


def test_cli_schema_markdown_lists_every_column():
    result = _invoke(["schema"])
    assert result.exit_code == 0, result.output
    assert result.output == markdown_reference() + "\n"


def test_cli_schema_json_lists_every_column():
    result = _invoke(["schema", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc == json.loads(json_reference())
    assert doc["schema_version"] == SCHEMA_VERSION
    for name, cols in TABLES.items():
        assert [c["name"] for c in doc["tables"][name]] == [c.name for c in cols]
        assert all(c["unit"] and c["meaning"] and c["type"] for c in doc["tables"][name])


def test_cli_schema_rejects_unknown_format():
    result = _invoke(["schema", "--format", "xml"])
    assert result.exit_code == 2
