"""Work split into (path block x borrower chunk) tasks, and one task's execution.

Aggregates are int64 micro-yuan and counts, so adding task results in any order gives the same
bits: the merge is exact, and results do not depend on thread count, chunk size or engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.book.inputs import KernelInputs
from simulator.kernels.layout import N_END_FIELDS, N_METRICS
from simulator.kernels.portfolio import simulate_block

DEFAULT_CHUNK = 50_000  # borrowers per task
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
    chunk = max(1, int(chunk_size or DEFAULT_CHUNK))
    block = max(1, int(path_block or DEFAULT_PATH_BLOCK))
    return [
        Task(p, min(p + block, n_paths), b, min(b + chunk, n_borrowers))
        for p in range(0, n_paths, block)
        for b in range(0, n_borrowers, chunk)
    ]


def empty_aggregate(n_paths: int, inputs: KernelInputs) -> np.ndarray:
    return np.zeros((n_paths, inputs.horizon + 1, len(inputs.segments), N_METRICS), np.int64)


_NO_PLAN = np.zeros((0, 0), np.int8)
_NO_AMOUNTS = np.zeros((0, 0), np.int64)
_NO_END = np.zeros((0, N_END_FIELDS), np.int64)


def run_task(inputs: KernelInputs, task: Task) -> np.ndarray:
    """One task's aggregates, shape (paths in block, days + 1, segments, metrics)."""
    agg = empty_aggregate(task.path_hi - task.path_lo, inputs)
    simulate_block(inputs.book, inputs.contract, inputs.behaviour, inputs.macro,
                   task.path_lo, task.path_hi, task.b_lo, task.b_hi, inputs.horizon,
                   _NO_PLAN, _NO_AMOUNTS, agg, _NO_END)
    return agg


def task_drawdown_days(inputs: KernelInputs, task: Task) -> int:
    """Drawdown-days a task simulates over the horizon (for progress and throughput): each
    drawdown from day 1, or from its disbursement for applicants arriving later."""
    start = inputs.book.borrower_start
    age = inputs.book.age[start[task.b_lo] : start[task.b_hi]]
    days = np.minimum(inputs.horizon, inputs.horizon + age.astype(np.int64)).clip(0).sum()
    return int(days) * (task.path_hi - task.path_lo)
