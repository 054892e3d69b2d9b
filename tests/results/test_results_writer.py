"""The run-folder writer: validated, deterministic, atomic, never overwriting without force."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.errors import ExistingOutputError, InputError
from simulator.results import default_run_dir, write_run
from simulator.results import writer as writer_mod
from simulator.results.registry import SCHEMA_VERSION, TABLES, arrow_schema
from tests.results.synthetic_tables import random_run_tables

SCENARIO = "name: unit_test\nhorizon_days: 4\nbook: {segments: [{name: 工薪}]}\n"
MANIFEST = {"overdue_version": "0.1.0", "seed": 7, "paths": 5, "timings": {"run_s": 1.5}}


def small_tables(seed: int = 1, n_paths: int = 5, n_days: int = 5) -> dict[str, pa.Table]:
    """A random but valid timeseries and its derived tables."""
    return random_run_tables(seed, n_paths, n_days, ["gig", "工薪"], 10**8, dictionary=True)


@pytest.fixture
def tables():
    return small_tables()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writes_a_complete_run_folder(tmp_path, tables):
    out = write_run(tmp_path / "runs" / "r1", tables, SCENARIO, MANIFEST)
    assert out == tmp_path / "runs" / "r1"
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "paths.parquet",
        "quantiles.parquet",
        "scenario.yaml",
        "timeseries.parquet",
        "vintages.parquet",
    ]
    assert sorted(p.name for p in out.parent.iterdir()) == ["r1"]  # no temp left
    assert (out / "scenario.yaml").read_text(encoding="utf-8") == SCENARIO
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    for k, v in MANIFEST.items():
        assert manifest[k] == v
    assert set(manifest["files"]) == {f"{t}.parquet" for t in TABLES} | {"scenario.yaml"}
    for fname, digest in manifest["files"].items():
        assert sha(out / fname) == digest
    assert manifest["tables"] == {name: t.num_rows for name, t in tables.items()}


def test_parquet_carries_the_registry_schema(tmp_path, tables):
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    for name in TABLES:
        f = pq.ParquetFile(out / f"{name}.parquet")
        schema = f.schema_arrow
        assert schema.equals(arrow_schema(name), check_metadata=True), name
        assert f.metadata.row_group(0).column(0).compression == "ZSTD"
        assert schema.field(0).metadata[b"unit"]
    ts = pq.read_table(out / "timeseries.parquet")
    assert ts.column("segment").type == pa.string()
    assert ts.column("segment").to_pylist() == tables["timeseries"].column("segment").to_pylist()
    assert ts.column("principal_M2").equals(tables["timeseries"].column("principal_M2"))


def test_rewrite_is_byte_identical(tmp_path, tables):
    a = write_run(tmp_path / "a", tables, SCENARIO, MANIFEST)
    b = write_run(tmp_path / "b", small_tables(), SCENARIO, MANIFEST)
    for name in [*(f"{t}.parquet" for t in TABLES), "scenario.yaml", "manifest.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    c = write_run(tmp_path / "c", small_tables(seed=2), SCENARIO, MANIFEST)
    assert (a / "paths.parquet").read_bytes() != (c / "paths.parquet").read_bytes()


def test_row_groups_are_bounded(tmp_path, tables, monkeypatch):
    monkeypatch.setitem(writer_mod.PARQUET_OPTIONS, "row_group_size", 16)
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    f = pq.ParquetFile(out / "timeseries.parquet")
    assert f.num_row_groups == -(-tables["timeseries"].num_rows // 16)
    assert pq.read_table(out / "timeseries.parquet").num_rows == tables["timeseries"].num_rows


def test_duckdb_reads_every_file(tmp_path, tables):
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    con = duckdb.connect()
    for name, t in tables.items():
        [(count,)] = con.sql(f"select count(*) from '{out / name}.parquet'").fetchall()
        assert count == t.num_rows
    segs = con.sql(
        f"select distinct segment from '{out}/timeseries.parquet' order by segment"
    ).fetchall()
    assert segs == [("gig",), ("工薪",)]
    [(loss,)] = con.sql(f"select sum(net_loss) from '{out}/paths.parquet'").fetchall()
    assert loss == pytest.approx(sum(tables["paths"].column("net_loss").to_pylist()))


def test_refuses_an_existing_folder_without_force(tmp_path, tables):
    out = tmp_path / "r"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExistingOutputError, match="use --force") as info:
        write_run(out, tables, SCENARIO, MANIFEST)
    assert isinstance(info.value, InputError)
    assert info.value.path == str(out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_force_replaces(tmp_path, tables):
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    (out / "stale.txt").write_text("old run")
    new = small_tables(seed=9)
    write_run(out, new, SCENARIO, {**MANIFEST, "seed": 9}, force=True)
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9
    assert pq.read_table(out / "paths.parquet").equals(new["paths"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no .old or .tmp left


def test_failure_mid_write_leaves_nothing(tmp_path, tables, monkeypatch):
    real = writer_mod.write_parquet
    calls = []

    def failing(name, table, path):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        real(name, table, path)

    monkeypatch.setattr(writer_mod, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    assert calls == ["timeseries", "paths"]
    assert list(tmp_path.iterdir()) == []


def test_failure_with_force_keeps_the_old_run(tmp_path, tables, monkeypatch):
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing(path, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_mod, "_write_text", failing)
    with pytest.raises(KeyboardInterrupt):
        write_run(out, small_tables(seed=3), SCENARIO, MANIFEST, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_failed_swap_restores_the_old_run(tmp_path, tables, monkeypatch):
    out = write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_rename = os.rename

    def rename(src, dst):
        if ".tmp-" in Path(src).name and Path(dst) == out:
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        write_run(out, small_tables(seed=4), SCENARIO, MANIFEST, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_manifest_is_written_last(tmp_path, tables, monkeypatch):
    order = []
    real = writer_mod._write_text

    def spy(path, text):
        order.append(Path(path).name)
        real(path, text)

    real_parquet = writer_mod.write_parquet

    def spy_parquet(name, table, path):
        order.append(Path(path).name)
        real_parquet(name, table, path)

    monkeypatch.setattr(writer_mod, "_write_text", spy)
    monkeypatch.setattr(writer_mod, "write_parquet", spy_parquet)
    write_run(tmp_path / "r", tables, SCENARIO, MANIFEST)
    assert order[-1] == "manifest.json"
    assert len(order) == 6  # four tables, the scenario, the manifest


def test_invalid_table_writes_nothing(tmp_path, tables):
    bad = dict(tables)
    bad["paths"] = tables["paths"].drop_columns(["recoveries"])
    with pytest.raises(ValueError, match="'recoveries'"):
        write_run(tmp_path / "r", bad, SCENARIO, MANIFEST)
    assert list(tmp_path.iterdir()) == []


def test_table_set_and_reserved_keys(tmp_path, tables):
    with pytest.raises(ValueError, match="missing: quantiles"):
        write_run(tmp_path / "r", {k: tables[k] for k in ("timeseries", "paths")}, "", {})
    with pytest.raises(ValueError, match="unknown: extra"):
        write_run(tmp_path / "r", {**tables, "extra": tables["paths"]}, "", {})
    with pytest.raises(ValueError, match="'files'"):
        write_run(tmp_path / "r", tables, "", {"files": {}})
    assert list(tmp_path.iterdir()) == []


def test_manifest_accepts_numpy_scalars_and_paths(tmp_path, tables):
    m = {"seed": np.int64(5), "out": tmp_path / "x", "ratio": np.float64(0.5)}
    out = write_run(tmp_path / "r", tables, SCENARIO, m)
    got = json.loads((out / "manifest.json").read_text())
    assert got["seed"] == 5 and got["out"] == str(tmp_path / "x") and got["ratio"] == 0.5


def test_default_run_dir():
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert default_run_dir(Path("results"), "mild_recession", when) == Path(
        "results/mild_recession-20260304-050607"
    )
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 3, 4, 13, 6, 7, tzinfo=beijing)
    assert default_run_dir(Path("r"), "x", local).name == "x-20260304-050607"
    naive = datetime(2026, 3, 4, 5, 6, 7)
    assert default_run_dir(Path("r"), "x", naive).name == "x-20260304-050607"
    assert default_run_dir(Path("r"), "a b/c", when).name == "a_b_c-20260304-050607"
    assert default_run_dir(Path("r"), "温和衰退", when).name == "温和衰退-20260304-050607"
    assert default_run_dir(Path("r"), "..", when).name == "run-20260304-050607"
    now = default_run_dir(Path("r"), "x")
    assert now.name.startswith("x-20") and len(now.name) == len("x-20260304-050607")
