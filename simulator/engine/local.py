"""The local engine: tasks on a pool of threads running the nogil kernel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from simulator.book.inputs import KernelInputs
from simulator.engine.tasks import Task, empty_aggregate, run_task

Progress = Callable[[Task], None]


def run_local(inputs: KernelInputs, tasks: list[Task], n_paths: int, threads: int,
              progress: Progress | None = None) -> np.ndarray:
    """Run every task on ``threads`` threads and return the merged aggregate."""
    total = empty_aggregate(n_paths, inputs)
    lock = threading.Lock()

    def work(task: Task) -> None:
        part = run_task(inputs, task)
        with lock:  # integer addition: the order tasks finish in cannot change the bits
            total[task.path_lo : task.path_hi] += part
        if progress is not None:
            progress(task)

    if threads <= 1:
        for task in tasks:
            work(task)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(work, t) for t in tasks]:
                future.result()
    return total
