"""Reverse stress testing: how far must a knob move before a limit is breached?

The knob (a key path of the scenario; ``[*]`` sets every list item to the same value) moves from
``lo`` towards ``hi``; bisection, with the same seed in every run (common random numbers), finds
the first value at which ``METRIC@STAT OP VALUE`` holds. The search assumes the metric moves one
way along the knob; it reports the final bracket (last value not breached, first breached).

Uncertainty: the bracket says how precisely the breach point was found for this seed; the Monte
Carlo error says how far another seed could move it. It is given two ways: the statistic's
standard error at the breach point divided by the local slope of the statistic along the knob
(a least-squares line through the evaluations nearest the point), and, with ``seeds`` > 0, the
statistic re-evaluated at the breach point under other seeds, each turned into a shifted breach
point by the same slope (a linear approximation, cheaper than a bisection per seed).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.analysis import metrics as M
from simulator.errors import InputError
from simulator.studies.calibrate import (
    DEFAULT_BORROWERS,
    DEFAULT_PATHS,
    _Model,
    expand_key,
    fmt_value,
)

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
MAX_STEPS = 60


@dataclass(frozen=True)
class Condition:
    metric: str
    stat: str
    op: str
    value: float

    @property
    def label(self) -> str:
        return f"{self.metric}@{self.stat} {self.op} {self.value:g}"

    def breached(self, x: float) -> bool:
        return bool(OPS[self.op](x, self.value))


def parse_condition(text: str) -> Condition:
    """``"dpd90_end@p95>=0.02"``: breached when the statistic compares so with the value."""
    lhs, op, value = M.split_comparison(text)
    if op not in OPS:
        raise InputError(f"--target {text!r}: use one of >=, >, <=, < (a limit, not a target)")
    metric, st = M.parse_metric_stat(lhs)
    return Condition(metric, st, op, value)


@dataclass
class Point:
    knob: float
    stat: float
    se: float
    breached: bool


@dataclass
class ReverseResult:
    knob: str
    condition: Condition
    lo: float
    hi: float
    tol: float
    outcome: str  # "found", "breached_at_lo", "not_breached_at_hi"
    bracket: tuple[float, float] | None  # (last not breached, first breached)
    point: Point | None  # the first breached evaluation
    slope: float  # d stat / d knob near the point (nan if unknown)
    se_shift: float  # statistic s.e. / |slope|: how far one s.e. moves the breach point
    seed_stats: list[tuple[int, float]] = field(default_factory=list)
    seed_points: list[float] = field(default_factory=list)
    history: list[Point] = field(default_factory=list)
    runs: int = 0
    paths: int = 0
    borrowers: int = 0
    seed: int = 0


def _slope(history: list[Point], x0: float, width: float) -> float:
    near = sorted(history, key=lambda p: abs(p.knob - x0))
    pts = [p for p in near if abs(p.knob - x0) <= width] or near
    if len(pts) < 3:
        pts = near[:3]
    xs = np.array([p.knob for p in pts])
    ys = np.array([p.stat for p in pts])
    if len(xs) < 2 or np.ptp(xs) == 0:
        return math.nan
    return float(np.polyfit(xs, ys, 1)[0])


def reverse(path: str | Path, knob: str, condition: Condition, hi: float,
            lo: float | None = None, tol: float | None = None, sets: Sequence[str] = (),
            paths: int = DEFAULT_PATHS, borrowers: int | None = DEFAULT_BORROWERS,
            seeds: int = 3, threads: int | None = None, progress=None) -> ReverseResult:
    """Find the first knob value, going from ``lo`` (default: the scenario's) to ``hi``, at which
    ``condition`` holds. ``tol``: bracket width to stop at (default |hi - lo| / 100)."""
    if paths < 2:
        raise InputError("--paths must be at least 2", path="--paths")
    if seeds < 0:
        raise InputError("--seeds must be 0 or more", path="--seeds")
    sizing = [f"monte_carlo.paths={paths}"]
    if borrowers is not None:
        sizing.append(f"book.borrowers={borrowers}")
    model = _Model(path, sets, sizing)
    sc = model.scenario()
    found = expand_key(knob, sc, flag="--knob")
    keys = [k for k, _ in found]
    integer = all(isinstance(v, int) for _, v in found)
    if lo is None:
        starts = {float(v) for _, v in found}
        if len(starts) != 1:
            raise InputError(f"--knob {knob!r} has different values ({sorted(starts)}); give --lo",
                             path="--lo")
        lo = starts.pop()
    for name, v in (("--lo", lo), ("--hi", hi)):
        if not math.isfinite(v):
            raise InputError(f"{name} must be finite", path=name)
    if lo == hi:
        raise InputError("--lo and --hi are equal: nothing to search", path="--hi")
    if tol is None:
        tol = abs(hi - lo) / 100
    if not tol > 0:
        raise InputError("--tol must be positive", path="--tol")
    if integer:
        if lo != round(lo) or hi != round(hi):
            raise InputError(f"--knob {knob!r} is a whole number: give whole --lo and --hi")
        tol = max(tol, 1.0)

    def overrides(x: float, seed: int | None = None) -> list[str]:
        text = str(int(round(x))) if integer else fmt_value(x)
        extra = [f"{k}={text}" for k in keys]
        if seed is not None:
            extra.append(f"monte_carlo.seed={seed}")
        return extra

    for name, v in (("--lo", lo), ("--hi", hi)):
        try:
            model.scenario(overrides(v))
        except InputError as exc:
            raise InputError(f"{name} {v:g} is not a valid value of {knob}: {exc}",
                             path=name) from None

    history: list[Point] = []

    def evaluate(x: float, seed: int | None = None) -> Point:
        values = model.metrics(overrides(x, seed), [condition.metric], threads)
        s, e = M.stat_with_error(values[condition.metric], condition.stat)
        p = Point(x, s, e, condition.breached(s))
        if seed is None:
            history.append(p)
        if progress is not None:
            progress(p)
        return p

    base_seed = sc.monte_carlo.seed
    common = dict(knob=knob, condition=condition, lo=lo, hi=hi, tol=tol, history=history,
                  paths=sc.monte_carlo.paths, borrowers=int(sc.book.borrowers), seed=base_seed)
    at_lo = evaluate(lo)
    if at_lo.breached:
        return ReverseResult(outcome="breached_at_lo", bracket=None, point=at_lo,
                             slope=math.nan, se_shift=math.nan, runs=model.runs, **common)
    at_hi = evaluate(hi)
    if not at_hi.breached:
        return ReverseResult(outcome="not_breached_at_hi", bracket=None, point=None,
                             slope=math.nan, se_shift=math.nan, runs=model.runs, **common)
    a, b = at_lo, at_hi
    for _ in range(MAX_STEPS):
        if abs(b.knob - a.knob) <= tol * (1 + 1e-9):
            break
        mid = (a.knob + b.knob) / 2
        if integer:
            mid = float(math.floor(mid) if b.knob > a.knob else math.ceil(mid))
            if mid in (a.knob, b.knob):
                break
        p = evaluate(mid)
        if p.breached:
            b = p
        else:
            a = p
    slope = _slope(history, b.knob, max(abs(hi - lo) / 8, 4 * tol))
    se_shift = abs(b.se / slope) if math.isfinite(slope) and slope != 0 else math.nan
    seed_stats: list[tuple[int, float]] = []
    seed_points: list[float] = []
    for k in range(1, seeds + 1):
        seed = (base_seed + k) % (2 ** 63)
        p = evaluate(b.knob, seed)
        seed_stats.append((seed, p.stat))
        if math.isfinite(slope) and slope != 0:
            seed_points.append(b.knob + (condition.value - p.stat) / slope)
    return ReverseResult(outcome="found", bracket=(a.knob, b.knob), point=b, slope=slope,
                         se_shift=se_shift, seed_stats=seed_stats, seed_points=seed_points,
                         runs=model.runs, **common)


def _g(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.5g}"


def format_result(r: ReverseResult) -> str:
    c = r.condition
    lines = [f"knob {r.knob} from {_g(r.lo)} towards {_g(r.hi)}; limit {c.label}", ""]
    lines.append(f"{'knob':>12} {c.metric + '@' + c.stat:>22} {'MC s.e.':>10}  breached")
    for p in sorted(r.history, key=lambda p: (p.knob - r.lo) / (r.hi - r.lo)):
        lines.append(f"{_g(p.knob):>12} {_g(p.stat):>22} {_g(p.se):>10}  "
                     f"{'yes' if p.breached else 'no'}")
    lines.append("")
    size = (f"{r.runs} runs of {r.paths} paths x {r.borrowers} borrowers, seed {r.seed} "
            "(common random numbers)")
    if r.outcome == "breached_at_lo":
        lines.append(f"already breached at lo = {_g(r.lo)}: {c.metric}@{c.stat} = "
                     f"{_g(r.point.stat)} (the breach point lies at or before lo)")
        lines.append(size)
        return "\n".join(lines)
    if r.outcome == "not_breached_at_hi":
        last = r.history[-1]
        lines.append(f"not breached at hi = {_g(r.hi)}: {c.metric}@{c.stat} = {_g(last.stat)} "
                     f"(MC s.e. {_g(last.se)}); the breach point, if any, lies beyond hi")
        lines.append(size)
        return "\n".join(lines)
    assert r.bracket is not None and r.point is not None
    a, b = r.bracket
    lines.append(f"breach point: {_g(b)}  (bracket: not breached at {_g(a)}, breached at "
                 f"{_g(b)}; tolerance {_g(r.tol)})")
    lines.append(f"{c.metric}@{c.stat} there: {_g(r.point.stat)} (MC s.e. {_g(r.point.se)}); "
                 f"slope {_g(r.slope)} per unit of knob")
    lines.append(f"Monte Carlo band: one s.e. moves the breach point by about +/-{_g(r.se_shift)}")
    if r.seed_stats:
        stats = ", ".join(f"{_g(s)}" for _, s in r.seed_stats)
        lines.append(f"other seeds ({', '.join(str(s) for s, _ in r.seed_stats)}): "
                     f"{c.metric}@{c.stat} = {stats} at {_g(b)}")
        if r.seed_points:
            pts = ", ".join(_g(x) for x in r.seed_points)
            lines.append(f"  -> breach points about {pts} (linear in the slope); spread "
                         f"{_g(min(r.seed_points))} .. {_g(max(r.seed_points))}")
    lines.append(size)
    return "\n".join(lines)
