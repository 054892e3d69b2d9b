"""The Dask engine: the local engine's bits on one or two worker processes, a lost worker
recomputed elsewhere, a failing task or an unreachable scheduler raising before anything is
written. Every cluster here listens on 127.0.0.1 only and is closed by the test that starts it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import simulator  # noqa: E402
from simulator.book.inputs import plan_run  # noqa: E402
from simulator.engine.dask import run_dask  # noqa: E402
from simulator.engine.local import run_local  # noqa: E402
from simulator.engine.tasks import plan_tasks  # noqa: E402
from simulator.errors import InputError  # noqa: E402
from tests.quick_book import QUICK  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ["monte_carlo.paths=8", "book.borrowers=4000", *QUICK]
TABLES = ("timeseries.parquet", "paths.parquet", "quantiles.parquet",
          "vintages.parquet")


def _cluster(n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> set[int]:
    """Live child processes, but multiprocessing's resource tracker (it lives as long as we do)."""
    import psutil

    alive = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and \
                    "resource_tracker" not in " ".join(p.cmdline()):
                alive.add(p.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def small():
    scenario = simulator.load_scenario(BASELINE, SMALL)
    return scenario, plan_run(scenario)  # no book: each task draws its chunk on its worker


@pytest.fixture(scope="module")
def local_run(small, tmp_path_factory):
    scenario, _ = small
    folder = tmp_path_factory.mktemp("local") / "run"
    simulator.run(scenario, out=folder, engine="local", chunk_size=1000, path_block=4)
    return json.loads((folder / "manifest.json").read_text())


def _table_digests(manifest: dict) -> dict[str, str]:
    return {name: manifest["files"][name] for name in TABLES}


@pytest.mark.slow
def test_same_bits_on_two_workers_of_a_default_cluster(small, local_run, tmp_path):
    """scheduler=None starts two loopback worker processes for the run and closes them."""
    scenario, _ = small
    before = _children()
    folder = tmp_path / "run"
    simulator.run(scenario, out=folder, engine="dask", chunk_size=1000, path_block=4)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["engine"] == "dask"
    assert _table_digests(manifest) == _table_digests(local_run)
    deadline = time.monotonic() + 10
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _children() - before, "the run's local cluster left processes behind"


def test_same_bits_on_one_worker_of_an_existing_cluster(small, local_run, tmp_path):
    scenario, _ = small
    folder = tmp_path / "run"
    with _cluster(1) as cluster:
        # different task sizes from the local run: the split cannot change the bits either
        simulator.run(scenario, out=folder, engine="dask", scheduler=cluster.scheduler_address,
                      chunk_size=1500, path_block=3)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert _table_digests(manifest) == _table_digests(local_run)


def test_run_dask_equals_run_local_and_reports_every_task(small):
    _, inputs = small
    tasks = plan_tasks(8, inputs.n_borrowers, 700, 3)
    expected = run_local(inputs, tasks, 8, threads=1)
    seen = []
    with _cluster(2) as cluster:
        got = run_dask(inputs, tasks, 8, scheduler=cluster.scheduler_address,
                       progress=lambda task, result: seen.append(task))
    assert got.dtype == np.int64 and np.array_equal(got, expected)
    assert sorted(seen, key=tasks.index) == tasks


@pytest.mark.slow
def test_a_killed_worker_is_recomputed_elsewhere_with_the_same_bits(small, monkeypatch):
    _, inputs = small
    import simulator.engine.dask as engine

    # distributed can lose track of a result that died with its worker; the engine then
    # resubmits the task after this wait (30 s by default: short here to keep the test quick)
    monkeypatch.setattr(engine, "RESULT_WAIT_S", 3.0)
    tasks = plan_tasks(8, inputs.n_borrowers, 250, 1)  # 128 small tasks
    expected = run_local(inputs, tasks, 8, threads=1)
    import psutil

    with _cluster(2) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        done = []

        def progress(task, result):
            done.append(task)
            if len(done) == 10:  # mid-run: most tasks still queued or running on both workers
                os.kill(victim, signal.SIGKILL)

        got = run_dask(inputs, tasks, 8, scheduler=cluster.scheduler_address, progress=progress)
        assert len(done) == len(tasks)
        assert not psutil.pid_exists(victim) or \
            psutil.Process(victim).status() == psutil.STATUS_ZOMBIE
        assert victim not in client.run(os.getpid).values()  # the nanny started a new one
    assert np.array_equal(got, expected)


def test_a_failing_task_raises_and_nothing_is_written(small, tmp_path, monkeypatch):
    scenario, _ = small
    import simulator.engine.dask as engine

    def broken(inputs, task):  # a local function: pickled by value, so it runs on the workers
        raise ArithmeticError(f"task {task.path_lo}:{task.b_lo} failed")

    monkeypatch.setattr(engine, "run_task", broken)
    folder = tmp_path / "run"
    with _cluster(1) as cluster:
        with pytest.raises(ArithmeticError, match="failed"):
            simulator.run(scenario, out=folder, engine="dask",
                          scheduler=cluster.scheduler_address)
        # the cluster is left clean for whoever shares it: no task of the run still queued
        with distributed.Client(cluster) as client:
            deadline = time.monotonic() + 5
            while client.who_has() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not client.who_has()
    assert not folder.exists()
    assert not list(tmp_path.iterdir())


def test_unreachable_scheduler_is_an_input_error_within_the_timeout(small):
    _, inputs = small
    tasks = plan_tasks(8, inputs.n_borrowers)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler") as info:
        run_dask(inputs, tasks, 8, scheduler=address, connect_timeout=2.0)
    elapsed = time.monotonic() - t0
    assert info.value.path == "--scheduler"
    assert address in str(info.value)
    assert elapsed < 2.0 + 3.0


def test_cli_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path):
    overdue = Path(sys.executable).with_name("overdue")
    if not overdue.exists():
        pytest.skip("the overdue console script is not installed in this environment")
    out = tmp_path / "run"
    t0 = time.monotonic()
    proc = subprocess.run(
        [str(overdue), "run", str(BASELINE), "--engine", "dask", "--scheduler",
         "tcp://127.0.0.1:1", "--set", "book.borrowers=500", "--set", "monte_carlo.paths=2",
         "--out", str(out)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 10 s" in proc.stderr
    assert "--scheduler" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not out.exists() and not list(tmp_path.iterdir())
    assert elapsed < 10 + 15  # the 10 s connect timeout plus interpreter and numba start-up


def test_without_distributed_the_engine_names_the_extra(small, monkeypatch):
    _, inputs = small
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r"pip install 'overdue\[dask\]'") as info:
        run_dask(inputs, plan_tasks(8, 10), 8, scheduler=None)
    assert info.value.path == "--engine"


def _worker_peak_mb(source, n_borrowers: int) -> float:
    """Peak resident memory (VmHWM) of a fresh single-threaded worker process that ran every
    task of a one-path, 30-day run of ``n_borrowers`` in chunks of 20,000."""
    tasks = plan_tasks(1, n_borrowers, 20_000, 1)
    with _cluster(1) as cluster, distributed.Client(cluster) as client:
        run_dask(source, tasks, 1, scheduler=cluster.scheduler_address)

        def peak_kb() -> int:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
            return -1

        [kb] = client.run(peak_kb).values()
    assert kb > 0
    return kb / 1024


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_workers_peak_memory_does_not_grow_with_the_book():
    # 200,000 and 400,000 borrowers (about 500,000 and 1,000,000 drawdowns): the tasks draw
    # their chunks on the worker, so the worker's peak is one chunk's, whatever the book.
    def scenario(n):
        return simulator.load_scenario(BASELINE, ["monte_carlo.paths=1", f"book.borrowers={n}",
                                                  "horizon_days=30"])

    small_peak = _worker_peak_mb(plan_run(scenario(200_000)), 200_000)
    double_peak = _worker_peak_mb(plan_run(scenario(400_000)), 400_000)
    assert double_peak - small_peak < 15.0, (small_peak, double_peak)
    # the measurement sees a book: the whole 400,000-borrower book sent to the worker (as the
    # engine once broadcast it) raises the same worker's peak by far more
    from simulator.book.inputs import kernel_inputs

    whole_peak = _worker_peak_mb(kernel_inputs(scenario(400_000)), 400_000)
    assert whole_peak - double_peak > 40.0, (double_peak, whole_peak)
