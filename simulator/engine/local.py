"""The local engine: tasks on a pool of threads running the nogil kernel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from simulator.book.inputs import KernelInputs, RunPlan
from simulator.engine.tasks import Task, TaskResult, add_exact, empty_aggregate, run_task

Progress = Callable[[Task, TaskResult], None]


def run_local(source: KernelInputs | RunPlan, tasks: list[Task], n_paths: int, threads: int,
              progress: Progress | None = None) -> np.ndarray:
    """Run every task on ``threads`` threads and return the merged aggregate. With a
    :class:`RunPlan` each task draws (or reads from a tape) its own chunk: memory holds one
    chunk per thread."""
    total = empty_aggregate(n_paths, source)
    lock = threading.Lock()

    def work(task: Task) -> None:
        result = run_task(source, task)
        with lock:  # integer addition: the order tasks finish in cannot change the bits
            add_exact(total[task.path_lo : task.path_hi], result.aggregate)
        if progress is not None:
            progress(task, result)

    if threads <= 1:
        for task in tasks:
            work(task)
    else:
        # Not a with-block: its exit waits for every queued task, so an interrupted or failed
        # run would go on simulating to the end. Cancel the queue instead; running tasks finish.
        pool = ThreadPoolExecutor(max_workers=threads)
        try:
            for future in [pool.submit(work, t) for t in tasks]:
                future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    return total
