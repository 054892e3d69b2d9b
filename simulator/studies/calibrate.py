"""Fit behaviour parameters so that a scenario's metrics hit published or observed targets.

Each evaluation simulates the scenario, with the fitted parameters applied as overrides, at the
scenario's own size unless a smaller one is asked for, and always with the same seed: common
random numbers make the metrics nearly smooth functions of the parameters, so a deterministic
solver can work on them. Parameters move on a log scale (a multiplier on their starting value),
as many parameters as targets, solved by :func:`scipy.optimize.least_squares` with bounds; the
Jacobian is a forward difference of 0.05 in log (5% moves, far above the discreteness of
threshold decisions). A target counts as reached when

    |achieved - target| <= tol x min(target, 1 - target)

(a relative tolerance for small rates, on the complement for rates near 1 such as cure rates).
The fit itself is exact for the seed used; the Monte Carlo standard error of each metric, and what
it implies for each fitted parameter through the Jacobian, say how far another seed could move it.
:func:`warnings` says when that makes the verdict a matter of luck: a target's miss within one
standard error, a tolerance finer than the noise, or runs smaller than the scenario they
calibrate (a figure met only in a small tuning run is not met, MODEL.md 7).

Parameter specs are key paths of the scenario (``behaviour.cure_daily.M1``) with two extensions:
``[*]`` for every item of a list (``book.segments[*].base_pd``: one common multiplier on every
segment's value) and a bucket range (``behaviour.cure_daily.M2..M3``: one multiplier on M2 and
M3).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.analysis import metrics as M
from simulator.contract.buckets import BUCKETS
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.scenario.loading import parse_scenario, read_scenario_text

PD_ALL = "book.segments[*].base_pd"
CURE_M1 = "behaviour.cure_daily.M1"
CURE_M2_M3 = "behaviour.cure_daily.M2..M3"
MAX_MULTIPLIER = 50.0
DIFF_STEP = 0.05  # forward-difference step in log multiplier
DEFAULT_TOL = 0.02
DEFAULT_PATHS = 32  # reverse and attribute; calibrate runs at the scenario's own size
DEFAULT_BORROWERS = 5000
DEFAULT_MAX_EVALS = 48

# Which parameter each kind of target moves first (then the next one not already taken).
# Families are assigned in this order, so the 30+ targets take base_pd before the 90+ ones.
_FAMILIES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("m1_cure_30d", "roll_m1_m2", "collection_30"), (CURE_M1, PD_ALL, CURE_M2_M3)),
    (("dpd30_end", "dpd30_peak", "dpd30_year_end", "day1_delinquency"),
     (PD_ALL, CURE_M2_M3, CURE_M1)),
    (("net_loss_rate", "loss_rate_avg_balance", "nine_quarter_loss_rate"),
     (PD_ALL, CURE_M2_M3, CURE_M1)),
    (("dpd90_end", "dpd90_peak", "dpd90_year_end", "npl_no_disposal_end",
      "npl_no_disposal_year_end"), (PD_ALL, CURE_M2_M3, CURE_M1)),
    (("roll_30_90",), (CURE_M2_M3, PD_ALL, CURE_M1)),
)


# --------------------------------------------------------------------------------------------
# Key paths with [*] and bucket ranges


_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d+|\*)\])*)$")
_BUCKET = "|".join(BUCKETS)
_RANGE = re.compile(rf"^({_BUCKET})\.\.({_BUCKET})$")


def _format(parts: Sequence[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def expand_key(spec: str, scenario: Scenario, flag: str = "--param") -> list[tuple[str, Any]]:
    """The concrete key paths ``spec`` names in ``scenario``, each with its current value."""
    spec = spec.strip()
    pieces = spec.split(".")
    tail: list[str] | None = None
    # a bucket range "M2..M3" splits into "M2", "", "M3" on dots
    ranged = _RANGE.match(".".join(pieces[-3:])) if len(pieces) >= 4 else None
    if ranged:
        a, b = (BUCKETS.index(x) for x in ranged.groups())
        if a > b:
            raise InputError(f"{flag} {spec!r}: bucket range must go up, e.g. M2..M3")
        tail = list(BUCKETS[a: b + 1])
        pieces = pieces[:-3]
    parts: list[str | int] = []
    for piece in pieces:
        match = _PART.match(piece.strip())
        if not match:
            raise InputError(
                f"{flag} {spec!r}: use dotted keys with [i] or [*] for list items and Ma..Mb "
                "for a range of buckets, e.g. book.segments[*].base_pd"
            )
        parts.append(match.group(1))
        parts.extend("*" if i == "*" else int(i)
                     for i in re.findall(r"\[(\d+|\*)\]", match.group(2)))
    suffixes: list[list[str | int]] = [[t] for t in tail] if tail else [[]]
    data = scenario.model_dump(mode="python")
    found: list[tuple[str, Any]] = []

    def walk(node: Any, rest: list[str | int], done: list[str | int]) -> None:
        if not rest:
            found.append((_format(done), node))
            return
        head, *more = rest
        if head == "*":
            if not isinstance(node, list):
                raise InputError(f"{flag} {spec!r}: {_format(done)} is not a list")
            for i, item in enumerate(node):
                walk(item, more, [*done, i])
            return
        if isinstance(head, int):
            if not isinstance(node, list) or head >= len(node):
                raise InputError(f"{flag} {spec!r}: {_format([*done, head])} does not exist")
            walk(node[head], more, [*done, head])
            return
        if not isinstance(node, dict) or head not in node:
            raise InputError(f"{flag} {spec!r}: {_format([*done, head])} is not a key of the "
                             "scenario (see docs/scenario.md)")
        walk(node[head], more, [*done, head])

    for suffix in suffixes:
        walk(data, [*parts, *suffix], [])
    if not found:
        raise InputError(f"{flag} {spec!r}: names no value (an empty list?)")
    for key, value in found:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{flag} {spec!r}: {key} is {value!r}, not a number")
    return found


def fmt_value(value: float) -> str:
    """A float as YAML reads it back as a float (PyYAML wants a dot before an exponent)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return repr(float(value))
    text = repr(float(value))
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _round(value: float, digits: int = 6) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


# --------------------------------------------------------------------------------------------
# Targets and parameters


@dataclass(frozen=True)
class Target:
    metric: str
    stat: str
    value: float

    @property
    def label(self) -> str:
        return f"{self.metric}@{self.stat}"

    @property
    def scale(self) -> float:
        """What the tolerance is relative to: min(target, 1 - target), floored."""
        return max(min(abs(self.value), abs(1.0 - self.value)), 1e-6)


def parse_target(text: str) -> Target:
    """``"dpd30_end=0.015"`` or ``"dpd90_end@p95=0.02"``."""
    lhs, op, value = M.split_comparison(text)
    if op != "=":
        raise InputError(f"--target {text!r}: write METRIC[@STAT]=VALUE (a target, not a bound)")
    metric, st = M.parse_metric_stat(lhs)
    if not 0.0 <= value <= 1.0:
        raise InputError(f"--target {text!r}: {metric} is a ratio; the target must be in [0, 1]")
    return Target(metric, st, value)


@dataclass(frozen=True)
class Param:
    """One fitted multiplier, applied to the starting value of each of its keys."""

    spec: str
    keys: tuple[str, ...]
    start: tuple[float, ...]
    lo: float = -math.log(MAX_MULTIPLIER)  # bounds of the log multiplier
    hi: float = math.log(MAX_MULTIPLIER)

    def values(self, x: float) -> tuple[float, ...]:
        m = math.exp(x)
        return tuple(_round(v * m, 12) for v in self.start)

    def overrides(self, x: float) -> list[str]:
        return [f"{k}={fmt_value(v)}" for k, v in zip(self.keys, self.values(x), strict=True)]


def default_params(targets: Sequence[Target]) -> list[str]:
    """The parameter spec each target moves by default (see the module docstring)."""
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for metrics, prefs in _FAMILIES:
        for i, t in enumerate(targets):
            if t.metric not in metrics:
                continue
            free = [p for p in prefs if p not in taken]
            if not free:
                raise InputError(
                    f"no default parameter left for target {t.label}: name the parameters to "
                    "fit with --param (as many as targets)"
                )
            chosen[i] = free[0]
            taken.add(free[0])
    return [chosen[i] for i in range(len(targets))]


class _Model:
    """The scenario text, the fixed overrides, and evaluation with a cache."""

    def __init__(self, path: str | Path, sets: Sequence[str], sizing: Sequence[str]) -> None:
        self.path = str(path)
        self.text = read_scenario_text(path)
        self.base_dir = Path(path).resolve().parent
        self.sets = list(sets)
        self.sizing = list(sizing)
        self.runs = 0

    def scenario(self, extra: Sequence[str] = (), sized: bool = True) -> Scenario:
        overrides = [*self.sets, *(self.sizing if sized else ()), *extra]
        return parse_scenario(self.text, source=self.path, overrides=overrides,
                              base_dir=self.base_dir)

    def valid(self, extra: Sequence[str]) -> bool:
        try:
            self.scenario(extra)
        except InputError:
            return False
        return True

    def metrics(self, extra: Sequence[str], names: Sequence[str],
                threads: int | None = None) -> dict[str, np.ndarray]:
        from simulator.api import simulate

        tables, _ = simulate(self.scenario(extra), threads=threads)
        self.runs += 1
        return M.compute(tables, list(names))


def _feasible_bound(model: _Model, param: Param, direction: int) -> float:
    """The furthest log multiplier (up to MAX_MULTIPLIER) at which the scenario still validates."""
    far = direction * math.log(MAX_MULTIPLIER)
    if model.valid(param.overrides(far)):
        return far
    ok, bad = 0.0, far
    for _ in range(40):
        mid = (ok + bad) / 2
        if model.valid(param.overrides(mid)):
            ok = mid
        else:
            bad = mid
    return ok


def make_param(model: _Model, spec: str) -> Param:
    found = expand_key(spec, model.scenario())
    for key, value in found:
        if isinstance(value, int) and not isinstance(value, bool) and not isinstance(
                value, float):
            raise InputError(f"--param {spec!r}: {key} is a whole number; only real-valued "
                             "keys can be fitted")
        if value == 0:
            raise InputError(f"--param {spec!r}: {key} is 0, which a multiplier cannot move; "
                             "give it a positive starting value with --set")
    param = Param(spec, tuple(k for k, _ in found), tuple(float(v) for _, v in found))
    if not model.valid(param.overrides(0.0)):
        raise InputError(f"--param {spec!r}: the scenario does not validate at its own values")
    lo, hi = _feasible_bound(model, param, -1), _feasible_bound(model, param, +1)
    return Param(param.spec, param.keys, param.start, lo, hi)


# --------------------------------------------------------------------------------------------
# The fit


class _Reached(Exception):
    pass


@dataclass
class Evaluation:
    x: tuple[float, ...]
    stats: tuple[float, ...]
    errors: tuple[float, ...]
    per_path: np.ndarray | None = None  # (targets, paths) when every statistic is a mean


@dataclass
class CalibrationResult:
    targets: list[Target]
    params: list[Param]
    x: np.ndarray  # fitted log multipliers
    achieved: list[float]
    se: list[float]  # Monte Carlo standard error of each achieved statistic
    param_se: list[float]  # Monte Carlo s.e. of each log multiplier (delta method), nan if unknown
    reached: bool
    tol: float
    runs: int
    paths: int
    borrowers: int
    seed: int
    own_paths: int = 0  # the size of the scenario it calibrates (0: unknown)
    own_borrowers: int = 0
    history: list[Evaluation] = field(default_factory=list)
    fitted: Scenario | None = None  # the scenario at its own size with the fitted values

    def overrides(self) -> list[str]:
        return [o for p, x in zip(self.params, self.x, strict=True) for o in p.overrides(x)]

    def misses(self) -> list[float]:
        """|achieved - target| in units of the tolerance's scale."""
        return [abs(a - t.value) / t.scale for a, t in zip(self.achieved, self.targets,
                                                            strict=True)]


def calibrate(path: str | Path, targets: Sequence[Target], params: Sequence[str] | None = None,
              sets: Sequence[str] = (), paths: int | None = None,
              borrowers: int | None = None, tol: float = DEFAULT_TOL,
              max_evals: int = DEFAULT_MAX_EVALS, threads: int | None = None,
              progress=None) -> CalibrationResult:
    """Fit ``params`` (default: :func:`default_params`) so that ``targets`` are hit.

    Runs use ``paths`` paths and ``borrowers`` borrowers (None: the scenario's own) with the
    scenario's seed; ``sets`` are ``key.path=value`` overrides applied first (and kept in the
    fitted scenario). ``progress(evaluation)`` is called after each run.
    """
    from scipy.optimize import least_squares

    if not targets:
        raise InputError("give at least one --target, e.g. --target dpd30_end=0.015")
    labels = [t.label for t in targets]
    if len(set(labels)) != len(labels):
        raise InputError("a target is given twice: " + ", ".join(labels))
    if not 0 < tol < 1:
        raise InputError("--tol must be between 0 and 1", path="--tol")
    if paths is not None and paths < 2:
        raise InputError("--paths must be at least 2 (the Monte Carlo error needs two)",
                         path="--paths")
    if max_evals < len(targets) + 1:
        raise InputError("--max-evals is too small for a Jacobian", path="--max-evals")
    sizing = [f"monte_carlo.paths={paths}"] if paths is not None else []
    if borrowers is not None:
        sizing.append(f"book.borrowers={borrowers}")
    model = _Model(path, sets, sizing)
    own = model.scenario(sized=False)
    if own.monte_carlo.paths < 2 and paths is None:
        raise InputError("the scenario has one path; give --paths 2 or more (the Monte Carlo "
                         "error needs two)", path="--paths")
    specs = list(params) if params else default_params(targets)
    if len(specs) != len(targets):
        raise InputError(f"{len(specs)} --param for {len(targets)} --target: give as many "
                         "parameters as targets", path="--param")
    if len(set(specs)) != len(specs):
        raise InputError("a --param is given twice", path="--param")
    plist = [make_param(model, s) for s in specs]
    keys = [k for p in plist for k in p.keys]
    if len(set(keys)) != len(keys):
        raise InputError("two --param name the same key", path="--param")
    sc = model.scenario()
    metric_names = sorted({t.metric for t in targets})
    cache: dict[tuple[float, ...], Evaluation] = {}
    history: list[Evaluation] = []
    state: dict[str, Any] = {"jac": None}

    def evaluate(x: np.ndarray) -> Evaluation:
        key = tuple(round(float(v), 12) for v in x)
        if key not in cache:
            if model.runs >= max_evals:
                raise _Reached  # out of budget: stop with the best so far
            extra = [o for p, v in zip(plist, key, strict=True) for o in p.overrides(v)]
            values = model.metrics(extra, metric_names, threads)
            pairs = [M.stat_with_error(values[t.metric], t.stat) for t in targets]
            per_path = (np.array([values[t.metric] for t in targets])
                        if all(t.stat == "mean" for t in targets) else None)
            ev = Evaluation(key, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs),
                            per_path)
            cache[key] = ev
            history.append(ev)
            if progress is not None:
                progress(ev)
        return cache[key]

    def residual(x: np.ndarray) -> np.ndarray:
        ev = evaluate(x)
        r = np.array([(s - t.value) / t.scale for s, t in zip(ev.stats, targets, strict=True)])
        if np.max(np.abs(r)) <= tol:
            state["x"] = np.array(ev.x)
            raise _Reached
        return r

    def jacobian(x: np.ndarray) -> np.ndarray:
        r0 = residual(x)
        jac = np.empty((len(targets), len(plist)))
        for k, p in enumerate(plist):
            h = DIFF_STEP if x[k] + DIFF_STEP <= p.hi else -DIFF_STEP
            xk = np.array(x, dtype=float)
            xk[k] += h
            jac[:, k] = (residual(xk) - r0) / h
        state["jac"] = jac
        return jac

    lo = np.array([p.lo for p in plist])
    hi = np.array([p.hi for p in plist])
    x0 = np.zeros(len(plist))
    try:
        least_squares(residual, x0, jac=jacobian, bounds=(lo - 1e-12, hi + 1e-12),
                      method="trf", x_scale=1.0, xtol=1e-6, ftol=1e-10, gtol=1e-10,
                      max_nfev=max_evals)
    except _Reached:
        pass

    def badness(ev: Evaluation) -> float:
        return max(abs(s - t.value) / t.scale for s, t in zip(ev.stats, targets, strict=True))

    best = min(history, key=badness) if history else evaluate(x0)
    x = np.array(best.x)
    reached = badness(best) <= tol
    param_se = [math.nan] * len(plist)
    jac = state["jac"]
    if jac is not None:
        scale = np.array([t.scale for t in targets])
        r_se = np.array(best.errors) / scale
        if best.per_path is not None and best.per_path.shape[1] > 1:
            # errors of means are correlated across targets (one systematic factor moves them
            # all): use their joint covariance, not only its diagonal
            sigma = np.atleast_2d(np.cov(best.per_path / scale[:, None]))
            sigma = sigma / best.per_path.shape[1]
        else:
            sigma = np.diag(r_se ** 2)
        if np.all(np.isfinite(sigma)):
            inv = np.linalg.pinv(jac)
            cov = inv @ sigma @ inv.T
            param_se = [float(math.sqrt(max(c, 0.0))) for c in np.diag(cov)]
    result = CalibrationResult(
        targets=list(targets), params=plist, x=x, achieved=list(best.stats),
        se=list(best.errors), param_se=param_se, reached=reached, tol=tol, runs=model.runs,
        paths=sc.monte_carlo.paths, borrowers=int(sc.book.borrowers), seed=sc.monte_carlo.seed,
        own_paths=own.monte_carlo.paths, own_borrowers=int(own.book.borrowers), history=history,
    )
    result.fitted = model.scenario(result.overrides(), sized=False)
    return result


# --------------------------------------------------------------------------------------------
# Reports


def _g(x: float, digits: int = 5) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.{digits}g}"


def warnings(r: CalibrationResult) -> list[str]:
    """What makes the verdict noise rather than fit, one sentence each: a target whose miss is
    within one Monte Carlo standard error, or whose tolerance is finer than that error (reached
    or not, another seed could say the opposite); runs smaller than the scenario they calibrate
    (its own book.borrowers x monte_carlo.paths)."""
    out = []
    for t, a, e in zip(r.targets, r.achieved, r.se, strict=True):
        if not math.isfinite(e):
            continue
        miss, band = abs(a - t.value), r.tol * t.scale
        if miss <= e:
            out.append(f"{t.label}: the miss ({_g(miss, 3)}) is within its Monte Carlo s.e. "
                       f"({_g(e, 3)}): at this size the fit cannot be told from the noise")
        elif e >= band:
            out.append(f"{t.label}: its Monte Carlo s.e. ({_g(e, 3)}) is at least the tolerance "
                       f"({_g(band, 3)}): another seed may reach or miss it by chance")
    if r.own_paths and (r.paths < r.own_paths or r.borrowers < r.own_borrowers):
        out.append(f"ran at {r.borrowers:,} borrowers x {r.paths:,} paths, smaller than the "
                   f"scenario it calibrates ({r.own_borrowers:,} x {r.own_paths:,}): the "
                   "fitted values carry the small runs' noise; rerun at the scenario's size "
                   "(--paths 0 --borrowers 0) or check the fitted file there")
    return out


def format_result(r: CalibrationResult) -> str:
    lines = ["Targets (means across paths unless @stat says otherwise)", ""]
    lines.append(f"{'target':<24} {'goal':>10} {'achieved':>10} {'MC s.e.':>10} {'miss/tol':>9}")
    for t, a, e, m in zip(r.targets, r.achieved, r.se, r.misses(), strict=True):
        lines.append(f"{t.label:<24} {_g(t.value):>10} {_g(a):>10} {_g(e):>10} "
                     f"{m / r.tol:>9.2f}")
    lines += ["", "Fitted parameters (multiplier on the starting value, log-scale MC s.e.)", ""]
    lines.append(f"{'key':<36} {'start':>10} {'fitted':>10} {'x':>8} {'MC s.e.':>9}")
    for p, x, se in zip(r.params, r.x, r.param_se, strict=True):
        fitted = p.values(float(x))
        for i, (k, s0, s1) in enumerate(zip(p.keys, p.start, fitted, strict=True)):
            mult = f"{math.exp(x):.4f}" if i == 0 else ""
            err = (f"{100 * se:.1f}%" if math.isfinite(se) else "n/a") if i == 0 else ""
            lines.append(f"{k:<36} {_g(s0):>10} {_g(_round(s1)):>10} {mult:>8} {err:>9}")
    lines.append("")
    verdict = "reached" if r.reached else "NOT reached"
    lines.append(
        f"{verdict}: every target within {r.tol:g} x min(target, 1 - target)"
        if r.reached else
        f"{verdict}: the closest run misses by {max(r.misses()):.3g} x min(target, 1 - target) "
        f"(tolerance {r.tol:g}); a target may be out of the parameters' reach"
    )
    lines.append(
        f"{r.runs} runs of {r.paths} paths x {r.borrowers} borrowers, seed {r.seed} in every run "
        "(common random numbers); another seed moves each metric by about its MC s.e."
    )
    lines += [f"warning: {w}" for w in warnings(r)]
    return "\n".join(lines)


def fitted_yaml(r: CalibrationResult, source: str) -> str:
    """The fitted scenario as YAML (every default written out) with a header saying what it hit."""
    assert r.fitted is not None
    head = [
        f"# Calibrated from {source}: "
        + ", ".join(f"{t.label}={t.value:g}" for t in r.targets),
        "# achieved " + ", ".join(f"{t.label}={a:.5g} (MC s.e. {e:.2g})"
                                  for t, a, e in zip(r.targets, r.achieved, r.se, strict=True))
        + f" with {r.paths} paths x {r.borrowers} borrowers, seed {r.seed}",
        "# fitted: " + ", ".join(f"{p.spec} x{math.exp(x):.4g}"
                                  for p, x in zip(r.params, r.x, strict=True)),
    ]
    return "\n".join(head) + "\n" + r.fitted.to_yaml()
