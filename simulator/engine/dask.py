"""The Dask engine: the same tasks as the local engine, run on a Dask cluster.

The kernel inputs travel to the workers once (scattered and broadcast); each task then sends
back only its int64 aggregate, which the client adds into the total as results arrive. Integer
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

from simulator.engine.inputs import KernelInputs
from simulator.engine.tasks import Task, empty_aggregate, run_task
from simulator.errors import InputError

Progress = Callable[[Task], None]

RETRIES = 2  # a task that raises is tried this many more times before the run fails
LOCAL_WORKERS = 2


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


def run_dask(inputs: KernelInputs, tasks: list[Task], n_paths: int, scheduler: str | None,
             progress: Progress | None = None, connect_timeout: float = 10.0) -> np.ndarray:
    """Run every task on a Dask cluster and return the merged aggregate.

    ``scheduler`` is the address of a running scheduler (``tcp://HOST:PORT``); with None a
    cluster of two single-threaded worker processes is started on 127.0.0.1 for this run and
    closed afterwards. The result equals :func:`simulator.engine.local.run_local`'s bit for bit.
    """
    distributed = _import_distributed()
    total = empty_aggregate(n_paths, inputs)
    if not tasks:
        return total
    with _client(distributed, scheduler, connect_timeout) as client:
        # Once to every worker, not once per task: the book is the bulk of what a task reads.
        [shared] = client.scatter([inputs], broadcast=True, hash=False)
        run_id = uuid.uuid4().hex  # distinct keys: never confused with another run's tasks
        futures = {
            client.submit(run_task, shared, task, key=f"overdue-task-{run_id}-{i}",
                          retries=RETRIES, pure=False): task
            for i, task in enumerate(tasks)
        }
        try:
            # Waited for on this client's own event loop, not on whichever client is the
            # caller's current one: a result lost with a worker is then waited for again here.
            for future in distributed.as_completed(futures, loop=client.loop):
                task = futures[future]
                part = future.result()  # raises the task's error once its retries are spent
                if part.shape != (task.path_hi - task.path_lo, *total.shape[1:]):
                    raise RuntimeError(f"task {task} returned an aggregate of shape {part.shape}")
                total[task.path_lo : task.path_hi] += part  # exact: any order, same bits
                future.release()  # the worker may drop it; the client holds only the total
                if progress is not None:
                    progress(task)
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            shared.release()
    return total
