"""The run-folder reader: verified on open, lazy, and refusing altered or partial folders."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from simulator.analysis.summary import summary
from simulator.errors import InputError
from simulator.results import Run, write_run
from simulator.results.registry import SCHEMA_VERSION, conform
from tests.results.synthetic_tables import random_run_tables

SCENARIO = "name: reader_test\nhorizon_days: 3\n"
MANIFEST = {"overdue_version": "0.1.0", "seed": 11, "engine": "local"}


def small_tables(seed: int = 1, n_paths: int = 6, n_days: int = 4) -> dict[str, pa.Table]:
    """A random but valid timeseries and its derived tables."""
    return random_run_tables(seed, n_paths, n_days, ["a", "b", "c"], 10**7, dictionary=False)


@pytest.fixture
def run_dir(tmp_path):
    tables = small_tables()
    return write_run(tmp_path / "run", tables, SCENARIO, MANIFEST), tables


def test_open_and_read(run_dir):
    folder, tables = run_dir
    run = Run.open(folder)
    assert run.folder == folder
    assert run.manifest["seed"] == 11 and run.manifest["schema_version"] == SCHEMA_VERSION
    assert run.scenario_yaml == SCENARIO
    assert run._tables == {}  # nothing read until asked
    for name, t in tables.items():
        assert getattr(run, name).equals(conform(name, t)), name
    assert run.paths is run.paths  # read once
    assert _nan_equal(run.summary(), summary(tables["paths"]))
    assert run.summary(confidence=0.9)["confidence"] == 0.9
    assert repr(run) == f"Run({str(folder)!r})"
    with pytest.raises(KeyError):
        run.table("nope")


def _nan_equal(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_open_accepts_a_string(run_dir):
    folder, _ = run_dir
    assert Run.open(str(folder)).folder == folder


def test_to_pandas(run_dir):
    folder, tables = run_dir
    run = Run.open(folder)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            run.to_pandas("paths")
    else:
        df = run.to_pandas("paths")
        assert list(df.columns) == tables["paths"].schema.names
        assert len(df) == tables["paths"].num_rows


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        Run.open(tmp_path / "nope")


def test_missing_manifest_is_incomplete(run_dir):
    folder, _ = run_dir
    (folder / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"run/manifest.json: damaged run folder: missing"):
        Run.open(folder)


@pytest.mark.parametrize(
    "fname", ["timeseries.parquet", "paths.parquet", "quantiles.parquet", "scenario.yaml"]
)
def test_a_changed_byte_is_detected(run_dir, fname):
    folder, _ = run_dir
    data = bytearray((folder / fname).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / fname).write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"{fname}: damaged run folder: does not match its sha256"):
        Run.open(folder)
    Run.open(folder, verify=False)  # an explicit opt-out still opens


def test_a_missing_file_is_detected(run_dir):
    folder, _ = run_dir
    (folder / "quantiles.parquet").unlink()
    with pytest.raises(InputError, match="quantiles.parquet: damaged run folder: missing"):
        Run.open(folder)


def test_a_rewritten_file_is_detected(run_dir):
    folder, _ = run_dir
    write_run(folder.parent / "other", small_tables(seed=2), SCENARIO, MANIFEST)
    (folder / "paths.parquet").write_bytes((folder.parent / "other/paths.parquet").read_bytes())
    with pytest.raises(InputError, match="paths.parquet: damaged run folder: does not match"):
        Run.open(folder)


def _edit_manifest(folder, change):
    m = json.loads((folder / "manifest.json").read_text())
    change(m)
    (folder / "manifest.json").write_text(json.dumps(m))


def test_manifest_problems(run_dir):
    folder, _ = run_dir
    _edit_manifest(folder, lambda m: m.update(schema_version="0"))
    with pytest.raises(InputError, match="schema version '0'"):
        Run.open(folder)
    _edit_manifest(
        folder, lambda m: m.update(schema_version=SCHEMA_VERSION) or m["files"].pop("paths.parquet")
    )
    with pytest.raises(InputError, match="does not list paths.parquet"):
        Run.open(folder)
    _edit_manifest(folder, lambda m: m.pop("files"))
    with pytest.raises(InputError, match='"files" is not a mapping'):
        Run.open(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="manifest.json: damaged run folder: not valid JSON"):
        Run.open(folder)


def test_manifest_cannot_point_outside_the_folder(run_dir, tmp_path):
    folder, _ = run_dir
    _edit_manifest(folder, lambda m: m["files"].update({"../escape.txt": "0" * 64}))
    (tmp_path / "escape.txt").write_text("x")
    with pytest.raises(InputError, match="lists '../escape.txt', which is not a file"):
        Run.open(folder)


def test_a_table_that_no_longer_matches_the_registry(run_dir):
    """A file whose hash was updated along with it still has to match the registry."""
    import pyarrow.parquet as pq

    from simulator.results.writer import sha256_file

    folder, tables = run_dir
    pq.write_table(tables["paths"].drop_columns(["recoveries"]), folder / "paths.parquet")
    _edit_manifest(
        folder,
        lambda m: m["files"].update({"paths.parquet": sha256_file(folder / "paths.parquet")}),
    )
    run = Run.open(folder)
    with pytest.raises(InputError, match="missing column 'recoveries'"):
        run.table("paths")
