"""Work split into (path block x borrower chunk) tasks, and one task's execution: a task
draws (or reads) its own chunk of borrowers, so the book is never held whole.

Aggregates are int64 micro-yuan and counts, so adding task results in any order gives the same
bits: the merge is exact, and results do not depend on thread count, chunk size or engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from simulator.book.inputs import KernelInputs, RunPlan, chunk_inputs, resolve_chunk
from simulator.errors import InputError
from simulator.kernels.layout import N_END_FIELDS, N_METRICS, vintage_columns
from simulator.kernels.merge import add_wrapping
from simulator.kernels.portfolio import simulate_block

DEFAULT_PATH_BLOCK = 8  # paths per task


@dataclass(frozen=True)
class Task:
    path_lo: int
    path_hi: int
    b_lo: int
    b_hi: int


def plan_tasks(n_paths: int, n_borrowers: int, chunk_size: int | None = None,
               path_block: int | None = None) -> list[Task]:
    """Tasks covering every (path, borrower) once, path blocks outermost."""
    chunk = resolve_chunk(chunk_size)
    block = max(1, int(path_block or DEFAULT_PATH_BLOCK))
    return [
        Task(p, min(p + block, n_paths), b, min(b + chunk, n_borrowers))
        for p in range(0, n_paths, block)
        for b in range(0, n_borrowers, chunk)
    ]


def empty_aggregate(n_paths: int, inputs: KernelInputs) -> np.ndarray:
    if isinstance(inputs, RunPlan):
        inputs = inputs.inputs
    n_segments = len(inputs.segments)
    columns = N_METRICS + vintage_columns(inputs.horizon, n_segments)  # the vintage block
    return np.zeros((n_paths, inputs.horizon + 1, n_segments, columns), np.int64)


_NO_PLAN = np.zeros((0, 0), np.int8)
_NO_AMOUNTS = np.zeros((0, 0), np.int64)
_NO_END = np.zeros((0, N_END_FIELDS), np.int64)


class TaskResult(NamedTuple):
    """One task's aggregates, shape (paths in block, days + 1, segments, metrics), and what
    its chunk of the book held (summed over the borrower chunks of one path block, the book's
    counts)."""

    aggregate: np.ndarray
    borrowers: int  # seasoned borrowers and approved applicants
    applicants_approved: int
    drawdowns: int
    drawdown_days: int  # over the block's paths


def run_task(source: KernelInputs | RunPlan, task: Task) -> TaskResult:
    """Simulate one task. With a :class:`RunPlan` the task draws its own chunk of a synthetic
    book, or reads its borrowers' rows from a tape (memory: the chunk, not the book); with
    :class:`KernelInputs` it takes its borrowers from the whole book they hold."""
    if isinstance(source, RunPlan):
        inputs, b_lo, b_hi = chunk_inputs(source, task.b_lo, task.b_hi)
    else:
        inputs, b_lo, b_hi = source, task.b_lo, task.b_hi
    agg = empty_aggregate(task.path_hi - task.path_lo, inputs)
    simulate_block(inputs.book, inputs.contract, inputs.behaviour, inputs.macro,
                   task.path_lo, task.path_hi, b_lo, b_hi, inputs.horizon,
                   _NO_PLAN, _NO_AMOUNTS, agg, _NO_END)
    book = inputs.book
    start = book.borrower_start
    first_age = book.age[start[b_lo:b_hi]]  # a borrower's first drawdown: negative if new
    return TaskResult(agg, b_hi - b_lo, int((first_age < 0).sum()),
                      int(start[b_hi] - start[b_lo]),
                      _drawdown_days(book.age[start[b_lo] : start[b_hi]], inputs.horizon)
                      * (task.path_hi - task.path_lo))


def _drawdown_days(age: np.ndarray, horizon: int) -> int:
    """Drawdown-days simulated over the horizon (for throughput): each drawdown from day 1,
    or from its disbursement for applicants arriving later."""
    return int(np.minimum(horizon, horizon + age.astype(np.int64)).clip(0).sum())


def task_borrower_paths(task: Task) -> int:
    """A task's share of the run's work, for progress: borrowers x paths (its applicants and
    their drawdowns are known only once the task has drawn them)."""
    return (task.b_hi - task.b_lo) * (task.path_hi - task.path_lo)


def add_exact(total: np.ndarray, part: np.ndarray) -> None:
    """``total += part`` in int64, refusing a sum that wrapped: each task's chunk was checked to
    fit (book/money.py), but the whole book's total is only known as the tasks add up."""
    if not total.flags.c_contiguous or total.dtype != np.int64 or part.shape != total.shape:
        raise ValueError("add_exact adds an aggregate into a contiguous int64 total of its shape")
    # one compiled pass: the sum and its wrap check (numpy took five over the block)
    if add_wrapping(total.reshape(-1), np.ascontiguousarray(part, np.int64).reshape(-1)):
        raise InputError("the book's money does not fit the simulator's exact arithmetic: an "
                         "aggregate summed over the book's chunks passed int64 micro-yuan; "
                         "lower book.borrowers or shorten horizon_days", path="book.borrowers")
