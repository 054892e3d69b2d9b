"""`overdue check twin`: the engine against the behaviour twin, cell by cell.

Both read the same kernel inputs; the engine's merged aggregate (after ``levels``) and the
twin's (:mod:`simulator.validation.twin`) must agree exactly on every metric, path, day and
segment. A difference is reported at the first cell in (path, day, segment, metric) order:
the earliest day on which the two stories part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from simulator.book.inputs import KernelInputs
from simulator.engine.local import run_local
from simulator.engine.tables import levels, vintage_block
from simulator.engine.tasks import plan_tasks
from simulator.validation.checks import METRICS
from simulator.validation.twin import METRIC_NAMES, VINTAGE_METRICS, simulate_twin


@dataclass(frozen=True)
class Difference:
    metric: str
    path: int
    day: int
    segment: str
    kernel: int
    twin: int


@dataclass
class Comparison:
    """Cell-by-cell agreement of two sets of aggregates."""

    cells: int
    n_differences: int = 0
    first: Difference | None = None
    by_metric: dict[str, int] = field(default_factory=dict)  # differing cells per metric

    @property
    def ok(self) -> bool:
        return self.n_differences == 0


@dataclass
class TwinCheck:
    scenario: str
    paths: int
    days: int
    segments: int
    borrowers: int
    drawdowns: int
    comparison: Comparison
    kernel_seconds: float
    twin_seconds: float

    @property
    def ok(self) -> bool:
        return self.comparison.ok


def kernel_aggregates(inputs: KernelInputs, n_paths: int, threads: int | None = None
                      ) -> dict[str, np.ndarray]:
    """The engine's aggregates of ``inputs`` by metric name (levels for state metrics, daily
    amounts for flows), each int64 ``[path, day, segment]``."""
    lv = kernel_levels(inputs, n_paths, threads)
    return {name: lv[:, :, :, METRICS[name]] for name in METRIC_NAMES} | {
        "vintages": vintage_block(lv)}


def kernel_levels(inputs: KernelInputs, n_paths: int, threads: int | None = None) -> np.ndarray:
    """The engine's aggregate levels of ``inputs``, ``[path, day, segment, metric]``."""
    from simulator.kernels.jit import set_threads

    n_threads = set_threads(threads)
    tasks = plan_tasks(n_paths, len(inputs.book.borrower_id))
    return levels(run_local(inputs, tasks, n_paths, n_threads))


def compare(kernel: dict[str, np.ndarray], twin: dict[str, np.ndarray],
            segments: tuple[str, ...]) -> Comparison:
    """Every cell of every metric; the first difference in (path, day, segment, metric)
    order. Both must hold the same metrics, each of the same shape."""
    if set(kernel) != set(twin):
        raise ValueError(f"metrics differ: {sorted(set(kernel) ^ set(twin))}")
    names = [n for n in METRIC_NAMES if n in kernel]
    vintages = _compare_vintages(kernel.get("vintages"), twin.get("vintages"))
    k = np.stack([kernel[n] for n in names], axis=-1)  # [path, day, segment, metric]
    w = np.stack([twin[n] for n in names], axis=-1)
    if k.shape != w.shape:
        raise ValueError(f"shapes differ: kernel {k.shape}, twin {w.shape}")
    out = _cells(k, w, names, lambda path, day, seg, name, kv, tv: Difference(
        name, path, day, segments[seg], kv, tv))
    if vintages is not None:
        out.cells += vintages.cells
        out.n_differences += vintages.n_differences
        out.first = out.first or vintages.first
        out.by_metric |= vintages.by_metric
    return out


def _compare_vintages(kernel: np.ndarray | None, twin: np.ndarray | None
                      ) -> Comparison | None:
    """Every cell of the vintage block ``[path, vintage, month, metric]``; a difference names
    the vintage and month in its metric (day -1, book-wide)."""
    if kernel is None:
        return None
    if kernel.shape != twin.shape:
        raise ValueError(f"vintage shapes differ: kernel {kernel.shape}, twin {twin.shape}")
    return _cells(kernel, twin, [f"vintage {n}" for n in VINTAGE_METRICS],
                  lambda path, v, m, name, kv, tv: Difference(
                      f"{name} of vintage {v} month {m}", path, -1, "all", kv, tv))


def _cells(k: np.ndarray, w: np.ndarray, names: list[str], where) -> Comparison:
    """Cell-by-cell agreement of two arrays whose last axis is ``names``; ``where(*index,
    name, kernel value, twin value)`` makes the first difference's :class:`Difference`."""
    differ = k != w
    out = Comparison(cells=int(k.size), n_differences=int(differ.sum()))
    if out.n_differences:
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(differ), differ.shape))
        out.first = where(*idx[:-1], names[idx[-1]], int(k[idx]), int(w[idx]))
        per = differ.reshape(-1, differ.shape[-1]).sum(axis=0)
        out.by_metric = {n: int(c) for n, c in zip(names, per, strict=True) if c}
    return out


def check_twin(scenario, threads: int | None = None) -> TwinCheck:
    """Run ``scenario`` through the engine and through the twin and compare every cell."""
    from simulator.book.inputs import kernel_inputs

    inputs = kernel_inputs(scenario)
    n_paths = scenario.monte_carlo.paths
    if inputs.channels.limited:  # both run the second pass, on the kernel's first pass's loads
        from simulator.book.collection import with_capacity

        inputs = with_capacity(scenario, inputs, kernel_levels(inputs, n_paths, threads))
    t0 = time.perf_counter()
    kernel = kernel_aggregates(inputs, n_paths, threads)
    t1 = time.perf_counter()
    twin = simulate_twin(inputs, n_paths)
    t2 = time.perf_counter()
    return TwinCheck(
        scenario=scenario.name, paths=n_paths, days=inputs.horizon,
        segments=len(inputs.segments), borrowers=len(inputs.book.borrower_id),
        drawdowns=len(inputs.book.principal),
        comparison=compare(kernel, twin, inputs.segments),
        kernel_seconds=t1 - t0, twin_seconds=t2 - t1,
    )
