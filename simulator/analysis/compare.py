"""Compare run folders: key figures side by side, with the difference to the first run and its
Monte Carlo confidence interval.

Two runs are *paired* when they simulate the same book with the same random numbers: the same
``seed`` in their manifests, the same number of paths and the same ``book`` section of the
resolved scenario. Path i of one run then shares its draws with path i of the other (common
random numbers), and the difference of a mean is estimated from the per-path differences, whose
spread is usually far smaller than either run's. Otherwise the runs are independent and the
interval is Welch's (unequal variances). Quantiles and expected shortfall have no closed-form
error for a difference; their intervals come from a bootstrap over paths (resampling path
indices jointly when paired), with a fixed seed so that the output is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from simulator.analysis import risk
from simulator.analysis.figures import DPD30, DPD90, NINE_QUARTERS_DAYS, nine_quarter_window
from simulator.errors import InputError
from simulator.results import Run

# metric -> (paths column, unit: "ratio" or "yuan", label)
METRICS: dict[str, tuple[str, str, str]] = {
    "net_loss_rate": ("net_loss_rate", "ratio", "Net loss rate (of day-0 principal)"),
    "loss_rate_avg_balance": ("loss_rate_avg_balance", "ratio",
                              "Net loss rate (of average balance)"),
    "nine_quarter_loss_rate": ("nine_quarter_loss_rate", "ratio",
                               "Nine-quarter loss rate (of average balance)"),
    "peak_dpd30_ratio": ("peak_dpd30_ratio", "ratio", f"Peak {DPD30.label} ratio"),
    "peak_dpd90_ratio": ("peak_dpd90_ratio", "ratio", f"Peak {DPD90.label} ratio"),
    "end_dpd30_ratio": ("end_dpd30_ratio", "ratio", f"End {DPD30.label} ratio"),
    "end_dpd90_ratio": ("end_dpd90_ratio", "ratio", f"End {DPD90.label} ratio"),
    "end_npl_no_disposal_ratio": ("end_npl_no_disposal_ratio", "ratio",
                                  "End NPL ratio without disposal"),
    "net_loss": ("net_loss", "yuan", "Net loss"),
    "charged_off_principal": ("charged_off_principal", "yuan", "Charged-off principal"),
    "recoveries": ("recoveries", "yuan", "Recoveries"),
    "interest_income": ("interest_income", "yuan", "Interest income"),
    "penalty_income": ("penalty_income", "yuan", "Penalty income (罚息)"),
    "compound_income": ("compound_income", "yuan", "Compound income (复利)"),
}
STATS = risk.STATS
DEFAULT_ROWS = (
    ("net_loss_rate", "mean"), ("net_loss_rate", "p99"), ("net_loss_rate", "p999"),
    ("net_loss_rate", "es99"), ("loss_rate_avg_balance", "mean"),
    ("nine_quarter_loss_rate", "mean"), ("peak_dpd30_ratio", "mean"),
    ("peak_dpd90_ratio", "mean"), ("end_dpd30_ratio", "mean"), ("end_dpd90_ratio", "mean"),
    ("end_npl_no_disposal_ratio", "mean"),
    ("net_loss", "mean"), ("charged_off_principal", "mean"), ("recoveries", "mean"),
    ("interest_income", "mean"), ("penalty_income", "mean"), ("compound_income", "mean"),
)
BOOTSTRAP = 1000
CONFIDENCE = 0.95


def statistic(x: np.ndarray, stat: str) -> float:
    """The statistic ``stat`` (one of :data:`STATS`) of ``x`` across paths."""
    return float(risk.statistic(x, stat))


def _stat_batch(x: np.ndarray, stat: str) -> np.ndarray:
    """``statistic`` along axis 1 of a (B, n) array."""
    return risk.statistic(x, stat, axis=1)


def parse_metric(spec: str) -> tuple[str, str]:
    """``METRIC@STAT`` (``@STAT`` optional, default mean) -> (metric, stat).

    Raises InputError for an unknown metric or statistic.
    """
    metric, _, stat = spec.partition("@")
    metric, stat = metric.strip(), (stat.strip() or "mean")
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if stat not in STATS:
        raise InputError(f"unknown statistic {stat!r} in {spec!r}; known: {', '.join(STATS)}")
    return metric, stat


def parse_max_change(spec: str) -> tuple[str, str, float]:
    """``METRIC@STAT=REL`` -> (metric, stat, rel); InputError when malformed."""
    left, eq, right = spec.partition("=")
    if not eq:
        raise InputError(f"--max-change {spec!r}: expected METRIC@STAT=REL, e.g. "
                         "net_loss_rate@mean=0.05")
    metric, stat = parse_metric(left)
    try:
        rel = float(right)
    except ValueError:
        raise InputError(f"--max-change {spec!r}: REL {right!r} is not a number") from None
    if not rel >= 0:
        raise InputError(f"--max-change {spec!r}: REL must be >= 0")
    return metric, stat, rel


@dataclass
class RunInfo:
    """What comparing needs from one run folder."""

    folder: Path
    name: str
    seed: object
    n_paths: int
    book: object
    columns: dict[str, np.ndarray]
    horizon: int | None = None  # days, from the resolved scenario

    @classmethod
    def load(cls, folder: str | Path) -> RunInfo:
        run = Run.open(folder)
        pt = run.paths
        order = np.argsort(pt.column("path").to_numpy(), kind="stable")
        cols = {name: pt.column(col).to_numpy().astype(np.float64)[order]
                for name, (col, _, _) in METRICS.items()}
        try:
            scenario = yaml.safe_load(run.scenario_yaml) or {}
        except yaml.YAMLError:
            scenario = {}
        m = run.manifest
        seed = m.get("seed", (scenario.get("monte_carlo") or {}).get("seed"))
        horizon = scenario.get("horizon_days")
        return cls(Path(folder), str(m.get("scenario_name", Path(folder).name)), seed,
                   pt.num_rows, scenario.get("book"), cols,
                   horizon if isinstance(horizon, int) else None)


def paired(a: RunInfo, b: RunInfo) -> bool:
    """True when ``a`` and ``b`` share seed, number of paths and book (common random numbers)."""
    return (a.seed is not None and a.seed == b.seed and a.n_paths == b.n_paths
            and a.book is not None and a.book == b.book)


def difference(a: np.ndarray, b: np.ndarray, stat: str, is_paired: bool,
               confidence: float = CONFIDENCE) -> dict:
    """Difference ``stat(b) - stat(a)`` with its standard error and confidence interval.

    Means: paired -> per-path differences, ``se = sd(d)/sqrt(n)``, t interval with n-1 degrees of
    freedom; unpaired -> Welch. Other statistics: bootstrap standard error (normal interval).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    est = statistic(b, stat) - statistic(a, stat)
    if stat == "mean":
        if is_paired:
            d = b - a
            se = risk.mean_with_error(d)["se"]
            df = d.size - 1
        else:
            va = a.var(ddof=1) / a.size if a.size > 1 else math.nan
            vb = b.var(ddof=1) / b.size if b.size > 1 else math.nan
            se = math.sqrt(va + vb)
            den = (va ** 2 / (a.size - 1) if a.size > 1 else math.nan) + (
                vb ** 2 / (b.size - 1) if b.size > 1 else math.nan)
            df = (va + vb) ** 2 / den if den > 0 else max(a.size + b.size - 2, 1)
        crit = float(stats.t.ppf(0.5 + confidence / 2, df)) if math.isfinite(se) and df > 0 \
            else math.nan
    else:
        rng = np.random.default_rng(20240601)
        ia = rng.integers(0, a.size, size=(BOOTSTRAP, a.size))
        ib = ia if is_paired else rng.integers(0, b.size, size=(BOOTSTRAP, b.size))
        boot = _stat_batch(b[ib], stat) - _stat_batch(a[ia], stat)
        se = float(boot.std(ddof=1))
        crit = risk.z_value(confidence)
    half = crit * se if math.isfinite(se) else math.nan
    return {"difference": est, "se": se, "ci_low": est - half, "ci_high": est + half,
            "paired": is_paired, "method": ("paired (common random numbers)" if is_paired
                                            else "unpaired (Welch)" if stat == "mean"
                                            else "unpaired")
            + ("" if stat == "mean" else ", bootstrap")}


def compare(folders: list[str | Path], rows=DEFAULT_ROWS,
            confidence: float = CONFIDENCE) -> dict:
    """Key figures of each run and the difference of every later run to the first.

    Returns ``{"runs": [{folder, name, seed, paths, paired_with_first}], "rows": [{metric,
    stat, label, unit, values: [..], diffs: [None, {difference, se, ci_low, ci_high, relative,
    method}, ..]}]}``.
    """
    if not folders:
        raise InputError("compare needs at least one run folder")
    infos = [RunInfo.load(f) for f in folders]
    base = infos[0]
    pairs = [None] + [paired(base, r) for r in infos[1:]]
    out_rows = []
    for metric, stat in rows:
        col, unit, label = METRICS[metric]
        values = [statistic(r.columns[metric], stat) for r in infos]
        diffs = [None]
        for r, p in zip(infos[1:], pairs[1:], strict=True):
            d = difference(base.columns[metric], r.columns[metric], stat, p, confidence)
            d["relative"] = d["difference"] / abs(values[0]) if values[0] != 0 else (
                0.0 if d["difference"] == 0 else math.inf)
            diffs.append(d)
        out_rows.append({"metric": metric, "stat": stat, "label": label, "unit": unit,
                         "values": values, "diffs": diffs})
    return {
        "confidence": confidence,
        "runs": [{"folder": str(r.folder), "name": r.name, "seed": r.seed, "paths": r.n_paths,
                  "horizon_days": r.horizon, "paired_with_first": p}
                 for r, p in zip(infos, pairs, strict=True)],
        "rows": out_rows,
    }


def check_max_change(result: dict, limits: list[tuple[str, str, float]]) -> list[str]:
    """Breaches of ``limits`` ((metric, stat, rel), ...) in a :func:`compare` result.

    A metric breaches when it moved by more than ``rel`` of the first run's value beyond its
    Monte Carlo error: ``|difference| - half-width of its interval > rel * |first value|``.
    """
    by_key = {(r["metric"], r["stat"]): r for r in result["rows"]}
    msgs = []
    for metric, stat, rel in limits:
        row = by_key[(metric, stat)]
        for run, d in zip(result["runs"][1:], row["diffs"][1:], strict=True):
            half = (d["ci_high"] - d["ci_low"]) / 2 if math.isfinite(d["se"]) else 0.0
            excess = abs(d["difference"]) - half
            allowed = rel * abs(row["values"][0])
            if excess > allowed:
                msgs.append(
                    f"{metric}@{stat} moved by {fmt(d['difference'], row['unit'], sign=True)} "
                    f"({d['relative']:+.1%}) in {run['folder']}: more than {rel:.1%} of "
                    f"{fmt(row['values'][0], row['unit'])} beyond its Monte Carlo error "
                    f"(± {fmt(half, row['unit'])}, {d['method']})")
    return msgs


def fmt(v: float, unit: str, sign: bool = False) -> str:
    """A value for people: ratios in %, yuan with thousands separators."""
    if v is None or not math.isfinite(v):
        return "n/a"
    s = "+" if sign else ""
    if unit == "ratio":
        return f"{100 * v:{s}.3f}%"
    return f"{v:{s},.0f}"


def format_table(result: dict) -> str:
    """Fixed-width table: one column per run, then for each later run its difference and CI."""
    runs = result["runs"]
    head = ["Metric@stat"] + [f"[{i}] {r['name']}" for i, r in enumerate(runs)]
    for i in range(1, len(runs)):
        head += [f"[{i}]-[0]", f"{result['confidence']:.0%} CI of [{i}]-[0]"]
    rows = []
    for r in result["rows"]:
        line = [f"{r['metric']}@{r['stat']}"] + [fmt(v, r["unit"]) for v in r["values"]]
        for d in r["diffs"][1:]:
            line += [fmt(d["difference"], r["unit"], sign=True),
                     f"[{fmt(d['ci_low'], r['unit'], True)}, {fmt(d['ci_high'], r['unit'], True)}]"]
        rows.append(line)
    widths = [max(len(h), *(len(x[i]) for x in rows)) for i, h in enumerate(head)]
    lines = []
    for i, r in enumerate(runs):
        how = "" if i == 0 else (
            " - paired (common random numbers) with [0]" if r["paired_with_first"]
            else " - unpaired (Welch; bootstrap for quantiles) with [0]")
        lines.append(f"[{i}] {r['folder']}  seed {r['seed']}, {r['paths']} paths{how}")
    lines += _short_window_notes(result)
    lines.append("")
    lines.append("  ".join(h.ljust(w) if j == 0 else h.rjust(w)
                           for j, (h, w) in enumerate(zip(head, widths, strict=True))))
    lines.append("  ".join("-" * w for w in widths))
    for x in rows:
        lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(x, widths, strict=True))))
    return "\n".join(lines)


def _short_window_notes(result: dict) -> list[str]:
    """A line per run whose nine-quarter loss rate covers only a shorter horizon."""
    if not any(r["metric"] == "nine_quarter_loss_rate" for r in result["rows"]):
        return []
    return [f"[{i}] nine_quarter_loss_rate covers {nine_quarter_window(r['horizon_days'])}"
            for i, r in enumerate(result["runs"])
            if r.get("horizon_days") is not None and r["horizon_days"] < NINE_QUARTERS_DAYS]


def format_csv(result: dict) -> str:
    """Long CSV: one line per (metric, stat, run) with the difference to run 0."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "stat", "unit", "run", "folder", "value", "difference", "se",
                "ci_low", "ci_high", "relative", "method"])
    for r in result["rows"]:
        for i, (run, v, d) in enumerate(zip(result["runs"], r["values"], r["diffs"],
                                            strict=True)):
            extra = ["", "", "", "", "", ""] if d is None else [
                repr(d["difference"]), repr(d["se"]), repr(d["ci_low"]), repr(d["ci_high"]),
                repr(d["relative"]), d["method"]]
            w.writerow([r["metric"], r["stat"], r["unit"], i, run["folder"], repr(v), *extra])
    return buf.getvalue()
