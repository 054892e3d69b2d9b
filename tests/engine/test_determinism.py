"""The Parquet data of a run do not depend on threads, chunk size or path block: the same
scenario and seed give the same bytes (integer aggregates merged by exact addition)."""

import json

import pytest

import simulator
from simulator.results.writer import sha256_file

PARQUET = ("timeseries.parquet", "paths.parquet", "quantiles.parquet",
           "vintages.parquet")


@pytest.fixture(scope="module")
def scenario():
    return simulator.load_scenario("scenarios/baseline.yaml",
                                   ["monte_carlo.paths=6", "book.borrowers=2500",
                                    "book.burn_in_months=2"])


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "reference"
    simulator.run(scenario, out=out, threads=1)
    return out


@pytest.mark.parametrize(("threads", "chunk_size", "path_block"), [
    (2, None, None),   # threads only
    (1, 300, None),    # borrower chunks, one thread
    (2, 777, 1),       # uneven chunks, one path per task, two threads
    (2, 100_000, 4),   # one chunk, path blocks not dividing the paths
])
def test_parquet_bytes_identical(scenario, reference, tmp_path, threads, chunk_size, path_block):
    out = tmp_path / "other"
    simulator.run(scenario, out=out, threads=threads, chunk_size=chunk_size,
                  path_block=path_block)
    ref_manifest = json.loads((reference / "manifest.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tasks"] != ref_manifest["tasks"] or threads != 1
    for name in PARQUET:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
        assert sha256_file(out / name) == manifest["files"][name]
        assert manifest["files"][name] == ref_manifest["files"][name]


def test_a_different_seed_changes_the_bytes(scenario, reference, tmp_path):
    # The comparison above can fail: another seed gives other data.
    other = scenario.model_copy(update={"monte_carlo": scenario.monte_carlo.model_copy(
        update={"seed": scenario.monte_carlo.seed + 1})})
    simulator.run(other, out=tmp_path / "seed", threads=1)
    assert ((tmp_path / "seed" / "timeseries.parquet").read_bytes()
            != (reference / "timeseries.parquet").read_bytes())
