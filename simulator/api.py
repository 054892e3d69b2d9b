"""The Python API, with the same behaviour as the command line.

>>> import simulator
>>> scenario = simulator.load_scenario("scenarios/baseline.yaml", ["monte_carlo.paths=20"])
>>> run = simulator.run(scenario, out="results/try")      # doctest: +SKIP
>>> run.paths.to_pandas()                                  # doctest: +SKIP
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import pyarrow as pa

from simulator._version import __version__
from simulator.analysis.summary import paths_table, quantiles_table
from simulator.book.collection import with_capacity
from simulator.book.inputs import KernelInputs, RunPlan, plan_run, resolve_chunk
from simulator.engine.local import run_local
from simulator.engine.tables import levels, timeseries_table, vintages_table
from simulator.engine.tasks import (
    DEFAULT_PATH_BLOCK,
    Task,
    TaskResult,
    add_exact,
    empty_aggregate,
    plan_tasks,
    task_borrower_paths,
)
from simulator.errors import InputError
from simulator.files import test_step
from simulator.interrupt import Interrupted
from simulator.kernels.jit import set_threads
from simulator.results import Run, default_run_dir, write_run
from simulator.results.checkpoint import SUFFIX as PARTIAL_SUFFIX
from simulator.results.checkpoint import (
    Checkpoint,
    latest_partial,
    remove_if_complete,
    run_key,
)
from simulator.results.destination import check_run_destination
from simulator.scenario import Scenario

ENGINES = ("local", "dask")
Progress = Callable[[int, int], None]  # (borrower-paths done, total)


def simulate(scenario: Scenario, *, threads: int | None = None, chunk_size: int | None = None,
             path_block: int | None = None, engine: str = "local",
             scheduler: str | None = None, progress: Progress | None = None,
             inputs: KernelInputs | RunPlan | None = None,
             checkpoint: Checkpoint | None = None) -> tuple[dict[str, pa.Table], dict]:
    """Simulate the scenario in memory: (tables by name, facts for the manifest).

    A synthetic book is drawn by the tasks, chunk by chunk (``inputs`` may instead give a
    whole book); ``progress`` receives (borrower-paths done, total).

    With ``checkpoint``, tasks it holds are not simulated again (their saved results are
    added), each task finished now is saved in it, and ``progress`` is called once before the
    first task with the work already done.

    A collection channel with a capacity needs its load: a first pass on the same draws with
    every channel at full strength measures it (``simulator.book.collection``), and the run
    is the second pass (its first is not checkpointed)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}",
                         path="--engine")
    t0 = time.perf_counter()
    source = inputs or plan_run(scenario, chunk_size)  # a tape is indexed by these chunks
    t_book = time.perf_counter()
    n_paths = scenario.monte_carlo.paths
    n_borrowers = (source.n_borrowers if isinstance(source, RunPlan)
                   else len(source.book.borrower_id))
    segments = source.inputs.segments if isinstance(source, RunPlan) else source.segments
    channels = (source.inputs if isinstance(source, RunPlan) else source).channels
    tasks = plan_tasks(n_paths, n_borrowers, chunk_size, path_block)
    passes = 2 if channels is not None and channels.limited else 1
    total = passes * sum(task_borrower_paths(t) for t in tasks)
    done = [0]
    # the book's counts: summed over the chunks of the first path block (each borrower once)
    counts = dict(borrowers=0, applicants_approved=0, drawdowns=0, drawdown_days=0)

    saved = checkpoint.finished(tasks, empty_aggregate(0, source).shape[1:]) if checkpoint else {}
    done[0] = sum(task_borrower_paths(t) for t in saved) * passes
    if progress is not None and checkpoint is not None:
        progress(done[0], total)  # where this run starts, for its ETA

    def on_task(task: Task, result: TaskResult, resumed: bool = False) -> None:
        if not resumed:
            done[0] += task_borrower_paths(task)
            if checkpoint is not None:
                checkpoint.save(task, result)
        counts["drawdown_days"] += result.drawdown_days
        if task.path_lo == 0:
            for key in ("borrowers", "applicants_approved", "drawdowns"):
                counts[key] += getattr(result, key)
        if progress is not None and not resumed:
            progress(done[0], total)

    n_threads = set_threads(threads)
    test_step("simulating")

    def simulate_tasks(source, tasks_now, on_task):
        if engine == "dask":
            from simulator.engine.dask import run_dask  # optional dependency

            return run_dask(source, tasks_now, n_paths, scheduler=scheduler, progress=on_task)
        return run_local(source, tasks_now, n_paths, n_threads, progress=on_task)

    if passes == 2:
        def on_first_pass(task: Task, result: TaskResult) -> None:
            done[0] += task_borrower_paths(task)
            if progress is not None:
                progress(done[0], total)

        source = with_capacity(scenario, source,
                               levels(simulate_tasks(source, tasks, on_first_pass)))
    tasks_now = [t for t in tasks if t not in saved]
    agg = simulate_tasks(source, tasks_now, on_task)
    simulated_days = counts["drawdown_days"]
    for task, path in saved.items():  # one saved aggregate in memory at a time
        part, task_counts = checkpoint.load(task, path)
        add_exact(agg[task.path_lo : task.path_hi], part)
        on_task(task, TaskResult(part, **task_counts), resumed=True)
    t_sim = time.perf_counter()
    timeseries = timeseries_table(agg, segments, channels)
    tables = {
        "timeseries": timeseries,
        "paths": paths_table(timeseries),
        "quantiles": quantiles_table(timeseries),
        "vintages": vintages_table(agg),
    }
    t_tables = time.perf_counter()
    facts = {
        "burn_in_months": scenario.book.burn_in_months,
        "factor_start": scenario.macro.factor_start,
        **({"collection_passes": passes} if passes > 1 else {}),
        "engine": engine,
        "threads": n_threads if engine == "local" else None,
        "chunk_size": tasks[0].b_hi - tasks[0].b_lo if tasks else 0,
        "path_block": tasks[0].path_hi - tasks[0].path_lo if tasks else 0,
        "tasks": len(tasks),
        **counts,
        "timings_s": {
            "book_and_macro": round(t_book - t0, 3),
            "simulate": round(t_sim - t_book, 3),
            "tables": round(t_tables - t_sim, 3),
        },
        "drawdown_days_per_s": round(simulated_days / max(t_sim - t_book, 1e-9)),
        **({"resumed_tasks": len(saved)} if checkpoint is not None else {}),
    }
    return tables, facts


def run(scenario: Scenario, *, out: str | Path | None = None, out_root: str | Path = "results",
        force: bool = False, threads: int | None = None, chunk_size: int | None = None,
        path_block: int | None = None, engine: str = "local", scheduler: str | None = None,
        progress: Progress | None = None, command: list[str] | None = None,
        resume: bool = False, notice: Callable[[str], None] | None = None) -> Run:
    """Simulate ``scenario`` and write its run folder (``out``, or a new folder under
    ``out_root`` named after the scenario and the time); return the :class:`Run`.

    The destination is checked before anything is simulated: InputError (exit 2) when it
    cannot hold a run folder, or exists and ``force`` is false or it is neither a run folder
    nor empty (see :mod:`simulator.results.destination`).

    In a run of several tasks each finished task is checkpointed in ``<folder>.partial``
    (kept if the run is stopped, removed once the run folder is written; see
    :mod:`simulator.results.checkpoint`).
    ``resume`` continues from those checkpoints (without ``out``: the newest under
    ``out_root`` for this scenario), refusing (InputError) checkpoints of another scenario,
    options or code; without ``resume`` existing checkpoints are refused unless ``force``
    discards them. ``notice`` receives one-line messages (starting from scratch, a damaged
    checkpoint computed again)."""
    folder = Path(out) if out is not None else default_run_dir(Path(out_root), scenario.name)
    if out is None and resume:  # the newest interrupted run of this scenario, if any
        prefix = default_run_dir(Path(out_root), scenario.name).name[: -len("-YYYYmmdd-HHMMSS")]
        folder = latest_partial(Path(out_root), prefix) or folder
    if folder.name.endswith(PARTIAL_SUFFIX):
        raise InputError(f"names a checkpoint folder ({PARTIAL_SUFFIX}); give the run folder "
                         "it belongs to", path=str(folder))
    remove_if_complete(folder, notice)  # checkpoints left behind by a run that completed
    check_run_destination(folder, force)  # fail before spending the compute
    chunk = resolve_chunk(chunk_size)  # as plan_tasks resolves them
    block = max(1, int(path_block or DEFAULT_PATH_BLOCK))
    checkpoint = Checkpoint(folder, run_key(scenario, chunk, block), notice).open(resume, force)
    t0 = time.perf_counter()
    try:
        tables, facts = simulate(scenario, threads=threads, chunk_size=chunk_size,
                                 path_block=path_block, engine=engine, scheduler=scheduler,
                                 progress=progress, checkpoint=checkpoint)
    except BaseException as exc:
        checkpoint.abandon(stopped=isinstance(exc, Interrupted | KeyboardInterrupt))
        raise
    resolved = scenario.to_yaml()
    manifest = {
        "overdue_version": __version__,
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.sha256(),
        "seed": scenario.monte_carlo.seed,
        "paths": scenario.monte_carlo.paths,
        "horizon_days": scenario.horizon_days,
        **facts,
        "command": command if command is not None else ["python-api"],
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "numba": numba.__version__,
            "pyarrow": pa.__version__,
        },
        "pid": os.getpid(),
    }
    t_write = time.perf_counter()
    manifest["timings_s"]["total_before_write"] = round(t_write - t0, 3)
    try:
        written = write_run(folder, tables, resolved, manifest, force=force)
    except BaseException as exc:
        checkpoint.abandon(stopped=isinstance(exc, Interrupted | KeyboardInterrupt))
        raise
    checkpoint.complete()
    return Run.open(written)
