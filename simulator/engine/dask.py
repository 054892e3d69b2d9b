"""The Dask engine: the same tasks as the local engine, run on a Dask cluster.

The run's plan (the scenario, contract, behaviour and macro paths: no book; for a loan tape its
index of parts and chunks, no rows) travels to the workers once; each task draws its own chunk
of a synthetic book, or reads its borrowers' rows from the tape (at the same path on every
worker), on the worker, so neither the client nor a worker holds more of the book than one
chunk per worker thread, and sends back only
its int64 aggregate and counts, which the client adds into the total as results arrive. Integer
addition makes the merge exact in any order, and the random draws are counter-based (keyed by
seed, path and borrower, not by which process runs them), so a run on any number of workers
gives the same bits as the local engine. A task that was running on a worker that dies is
recomputed on another; a task that raises is retried, and if it keeps failing the run raises
before anything is written.

``dask`` and ``distributed`` are optional dependencies (``pip install 'overdue[dask]'``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from simulator.book.inputs import KernelInputs, RunPlan
from simulator.engine.tasks import Task, TaskResult, add_exact, empty_aggregate, run_task
from simulator.errors import InputError

Progress = Callable[[Task, TaskResult], None]

RETRIES = 2  # a task that raises is tried this many more times before the run fails
LOCAL_WORKERS = 2
# A finished task's result normally arrives in well under a second. One that was lost with its
# worker is recomputed by the scheduler, but distributed can miss telling the client, which then
# waits forever; after this long (doubling per attempt) the task is submitted again.
RESULT_WAIT_S = 30.0
MAX_RESUBMITS = 3


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise InputError("the dask engine needs the optional dependencies: "
                         "pip install 'overdue[dask]'", path="--engine") from None
    return distributed


@contextmanager
def _client(distributed, scheduler: str | None, connect_timeout: float) -> Iterator:
    """A client of the cluster at ``scheduler``, or of a loopback cluster started (and always
    closed) here when ``scheduler`` is None."""
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
            host="127.0.0.1", dashboard_address=None)
        try:
            client = distributed.Client(cluster)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()
        return

    address = str(scheduler).strip()
    if not address:
        raise InputError("the Dask scheduler address is empty; give it as tcp://HOST:PORT",
                         path="--scheduler")
    try:
        client = distributed.Client(address, timeout=connect_timeout)
    except (OSError, TimeoutError) as exc:  # refused, unresolvable, or no answer in time
        raise InputError(f"cannot reach the Dask scheduler at {address} within "
                         f"{connect_timeout:g} s ({type(exc).__name__})",
                         path="--scheduler") from None
    except ValueError as exc:  # an address distributed cannot parse
        raise InputError(f"bad Dask scheduler address {address!r}: {exc}; give it as "
                         "tcp://HOST:PORT", path="--scheduler") from None
    try:
        yield client
    finally:
        client.close()


def run_dask(source: KernelInputs | RunPlan, tasks: list[Task], n_paths: int,
             scheduler: str | None, progress: Progress | None = None,
             connect_timeout: float = 10.0) -> np.ndarray:
    """Run every task on a Dask cluster and return the merged aggregate.

    ``scheduler`` is the address of a running scheduler (``tcp://HOST:PORT``); with None a
    cluster of two single-threaded worker processes is started on 127.0.0.1 for this run and
    closed afterwards. The result equals :func:`simulator.engine.local.run_local`'s bit for bit.
    """
    distributed = _import_distributed()
    total = empty_aggregate(n_paths, source)
    if not tasks:
        return total
    with _client(distributed, scheduler, connect_timeout) as client:
        # Once to every worker, not once per task. A RunPlan holds no book (tasks draw or
        # read their chunks); KernelInputs carry a whole one.
        [shared] = client.scatter([source], broadcast=True, hash=False)
        run_id = uuid.uuid4().hex  # distinct keys: never confused with another run's tasks
        attempts: dict[int, int] = {}

        def submit(i: int):
            attempts[i] = attempts.get(i, 0) + 1
            return client.submit(run_task, shared, tasks[i], retries=RETRIES, pure=False,
                                 key=f"overdue-task-{run_id}-{i}-{attempts[i]}")

        futures = {submit(i): i for i in range(len(tasks))}
        try:
            # Waited for on this client's own event loop, not on whichever client is the
            # caller's current one: a result lost with a worker is then waited for again here.
            pending = distributed.as_completed(futures, loop=client.loop)
            for future in pending:
                i = futures.pop(future)
                task = tasks[i]
                try:
                    # raises the task's error once its retries are spent
                    result = future.result(timeout=RESULT_WAIT_S * 2 ** (attempts[i] - 1))
                except TimeoutError:
                    # Finished, then lost with its worker before it reached us, and not
                    # reported again: run it once more (the same bits) under a new key.
                    future.release()
                    if attempts[i] > MAX_RESUBMITS:
                        raise RuntimeError(f"task {task} finished but its result could not "
                                           "be fetched from the cluster") from None
                    again = submit(i)
                    futures[again] = i
                    pending.add(again)
                    continue
                want = (task.path_hi - task.path_lo, *total.shape[1:])
                part = getattr(result, "aggregate", None)
                if getattr(part, "shape", None) != want:
                    raise RuntimeError(f"task {task} returned no aggregate of shape {want}: "
                                       "do the workers run this overdue version?")
                # exact: any order, same bits
                add_exact(total[task.path_lo : task.path_hi], part)
                future.release()  # the worker may drop it; the client holds only the total
                if progress is not None:
                    progress(task, result)
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            shared.release()
    return total
