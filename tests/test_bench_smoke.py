"""`overdue bench --quick`: the suite runs every case and writes a well-formed results JSON;
the regression gate compares kernel/numpy ratios, like with like. No timing thresholds: this
machine is shared and noisy."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import simulator
from simulator.bench import numpy_peer
from simulator.bench import suite as bench
from simulator.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
CASES = ("kernel_1m", "kernel_100k_x100", "burn_in", "thread_scaling", "numpy_peer",
         "large_memory", "cold_start", "warm_small_run", "cache_fallback")


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = subprocess.run([sys.executable, "-c", "from simulator.cli import main; main()",
                           "bench", "--quick", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    return json.loads(out.read_text())


def _positive(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x > 0


def test_quick_structure_and_positive_numbers(quick):
    assert quick["schema"] == bench.SCHEMA and quick["mode"] == "quick"
    assert set(CASES) <= set(quick["cases"])
    m = quick["machine"]
    assert m["cpu_model"] and _positive(m["cores"]) and m["host"]
    assert {"python", "numpy", "numba", "pyarrow", "overdue"} <= set(quick["versions"])
    c = quick["cases"]
    for name in ("kernel_1m", "kernel_100k_x100", "large_memory", "warm_small_run"):
        for key in ("drawdown_days", "drawdown_days_per_s", "ns_per_drawdown_day"):
            assert _positive(c[name][key]), (name, key, c[name][key])
    assert c["kernel_1m"]["threads"] == 2 and c["kernel_100k_x100"]["paths"] > 1
    assert c["burn_in"]["with_s"] > c["burn_in"]["without_s"] > 0  # months more to step
    for key in ("threads_1_drawdown_days_per_s", "threads_2_drawdown_days_per_s",
                "ratio_2_to_1"):
        assert _positive(c["thread_scaling"][key])
    for key in ("kernel_drawdown_days_per_s", "numpy_drawdown_days_per_s",
                "ratio_kernel_to_numpy", "drawdowns"):
        assert _positive(c["numpy_peer"][key])
    assert quick["gate"]["ratio_kernel_to_numpy"] == c["numpy_peer"]["ratio_kernel_to_numpy"]
    assert _positive(c["large_memory"]["peak_rss_mb"])
    assert _positive(c["cold_start"]["wall_s"]) and c["cold_start"]["compile_s"] >= 0
    assert c["cold_start"]["cache_index_files"] > 0  # the fresh cache folder was filled
    assert all(v >= 0 for v in c["warm_small_run"]["phases_s"].values())
    assert c["cache_fallback"]["ok"] is True and _positive(c["cache_fallback"]["wall_s"])
    assert len(bench.table_rows(quick)) == len(CASES)
    assert bench.markdown_table(quick).count("\n") == len(CASES) + 2


def _with_ratio(doc: dict, ratio: float) -> dict:
    doc = copy.deepcopy(doc)
    doc["cases"]["numpy_peer"]["ratio_kernel_to_numpy"] = ratio
    return doc


def test_gate_allows_25_percent_and_fails_beyond(quick):
    base = _with_ratio(quick, 4.0)
    assert bench.compare(_with_ratio(quick, 3.01), base)[0]
    assert bench.compare(_with_ratio(quick, 8.0), base)[0]
    ok, msg = bench.compare(_with_ratio(quick, 2.99), base)
    assert not ok and "REGRESSION" in msg
    full = dict(base, mode="full")
    with pytest.raises(simulator.errors.InputError, match="like with like"):
        bench.compare(quick, full)


def test_cli_compare_exit_codes(quick, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "run_suite", lambda **kw: copy.deepcopy(quick))
    runner = CliRunner()
    base = tmp_path / "base.json"
    out = tmp_path / "out.json"
    now = quick["cases"]["numpy_peer"]["ratio_kernel_to_numpy"]

    base.write_text(json.dumps(_with_ratio(quick, now * 1.2)))  # 17% below: passes
    res = runner.invoke(app, ["bench", "--quick", "--compare", str(base), "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["gate"]["ok"] is True

    base.write_text(json.dumps(_with_ratio(quick, now * 1.5)))  # 33% below: fails
    res = runner.invoke(app, ["bench", "--quick", "--compare", str(base), "--output", str(out)])
    assert res.exit_code == 1 and "REGRESSION" in res.output
    assert json.loads(out.read_text())["gate"]["ok"] is False

    base.write_text(json.dumps(dict(quick, mode="full")))  # refused before measuring
    res = runner.invoke(app, ["bench", "--quick", "--compare", str(base), "--output", str(out)])
    assert isinstance(res.exception, simulator.errors.InputError)


def test_committed_baseline_is_quick_and_well_formed():
    doc = json.loads((ROOT / "benchmarks" / "baseline.json").read_text())
    assert doc["schema"] == bench.SCHEMA and doc["mode"] == "quick"
    assert "quick" in doc["note"]
    assert _positive(doc["cases"]["numpy_peer"]["ratio_kernel_to_numpy"])


def test_numpy_peer_counts_every_live_drawdown_once():
    sc = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml",
                                 ["monte_carlo.paths=1", "book.burn_in_months=0"])
    book = numpy_peer.peer_book(sc, 2_000)
    out = numpy_peer.simulate_numpy(book, 120, seed=1)
    counts = out["buckets"].sum(axis=1)
    assert counts[0] <= len(book.principal) and np.all(np.diff(counts) <= 0)
    assert np.all(out["buckets"] >= 0) and np.all(out["paid"] >= 0)
    assert out["buckets"][:, 1:].sum() > 0  # some drawdowns are past due


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


def test_git_commit_only_for_the_checkout_the_code_runs_from(tmp_path):
    # An installed package has no commit of its own, even when its site-packages lies inside
    # some other repository (a virtual environment in a project folder).
    other = tmp_path / "project"
    site = other / ".venv" / "site-packages"
    site.mkdir(parents=True)
    _git(other, "init", "-q")
    (other / "README").write_text("another project\n")
    _git(other, "add", "README")
    _git(other, "commit", "-q", "-m", "first")
    assert bench._git_state(site) == (None, None)
    assert bench._git_state(tmp_path) == (None, None)  # no repository at all
    commit, _ = bench._git_state(other)
    assert commit and len(commit) >= 7
