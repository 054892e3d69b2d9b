"""The report's content: what it says, as a list of layout-free blocks.

Headings, paragraphs, tables, figures (drawn on demand into whatever page or canvas the writer
gives) and preformatted text, computed from a run folder (and an optional baseline run folder)
alone; nothing is re-simulated. :mod:`simulator.reporting.pdf` and
:mod:`simulator.reporting.html` lay the same blocks out, so the two formats carry the same
content.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import yaml

from simulator._version import __version__
from simulator.analysis import risk
from simulator.analysis.compare import RunInfo, difference, paired
from simulator.analysis.contributions import allocate_by_vintage
from simulator.analysis.ecl import restructured_in_probation
from simulator.analysis.figures import (
    DPD30,
    DPD90,
    ON_BOOK,
    BandRow,
    BookAmounts,
    charge_off_dpd,
    five_category_rows,
    nine_quarter_window,
    npl_without_disposal,
    principal_columns,
    ratio,
    stage_rows,
)
from simulator.analysis.grid import Grid
from simulator.analysis.pnl import Settings
from simulator.analysis.summary import MEASURES
from simulator.analysis.summary import summary as mc_summary
from simulator.analysis.vintages import VintageCurves
from simulator.contract.buckets import span
from simulator.reporting import fonts, plots
from simulator.reporting.attribution import attribution_blocks
from simulator.reporting.blocks import Block, pct, pp, yuan
from simulator.reporting.early_warning_page import early_warning_blocks
from simulator.reporting.finance_pages import finance_blocks
from simulator.reporting.vintage_page import vintage_blocks
from simulator.results import Run

_pct, _pp, _yuan = pct, pp, yuan


class _Facts:
    """Numbers the report quotes, computed once from a run folder."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.data = plots.RunData.from_run(run)
        self.summary = mc_summary(run.paths)
        self.horizon = int(self.data.days[-1])
        d = self.data
        self.on_book = d.on_book
        self.ratio30 = d.ratio("dpd30")
        self.ratio90 = d.ratio("dpd90")
        labels, _, rates = plots.roll_rates(d)
        with np.errstate(invalid="ignore"):
            self.flow = {lab: float(np.nanmean(r)) if np.isfinite(r).any() else math.nan
                         for lab, r in zip(labels, rates, strict=True)}
        try:
            self.scenario = yaml.safe_load(run.scenario_yaml) or {}
        except yaml.YAMLError:
            self.scenario = {}
        self.charge_off = charge_off_dpd(self.scenario)
        self.settings = Settings.from_scenario(self.scenario)

    def col(self, name: str) -> np.ndarray:
        return self.data.path_table[name]


def _segment_rows(f: _Facts) -> list[list[str]]:
    """Per segment, pooled over paths: day-0 and end principal, end 30+/90+, net loss rate."""
    g: Grid = f.data.grid
    n_paths = len(g.paths)
    on_book = g.sum(principal_columns(ON_BOOK))
    late30 = g.sum(DPD30.columns)[:, -1, :].sum(axis=0)
    late90 = g.sum(DPD90.columns)[:, -1, :].sum(axis=0)
    net = (g.sum(("cum_charged_off_principal",)) - g.sum(("cum_recoveries",)))[:, -1, :]
    start = on_book[:, 0, :].sum(axis=0)
    end = on_book[:, -1, :].sum(axis=0)
    net = net.sum(axis=0)
    return [[str(name), _yuan(start[i] / n_paths), _yuan(end[i] / n_paths),
             _pct(float(ratio(late30[i], end[i])), 2), _pct(float(ratio(late90[i], end[i])), 2),
             _pct(float(ratio(net[i], start[i])))]
            for i, name in enumerate(g.segments)]


def _sentences(f: _Facts, b: _Facts | None, diffs: dict) -> list[str]:
    """Three plain sentences from the numbers: the loss, the delinquency path, what moved."""
    m = f.summary["metrics"]
    el, var99, es99 = (m[k]["estimate"] for k in
                       ("expected_net_loss_rate", "net_loss_rate_q99", "net_loss_rate_es99"))
    out = [
        f"Expected net loss over the {f.horizon}-day horizon is {_pct(el)} of day-0 principal "
        f"({_yuan(float(f.col('net_loss').mean()))} yuan; Monte Carlo s.e. "
        f"{_pct(m['expected_net_loss_rate']['se'])}); in 1 path in 100 it is {_pct(var99)} or "
        f"more, and the worst 1% of paths average {_pct(es99)}."
    ]
    thin = plots.thin_book_day(f.data)
    t_idx = len(f.data.days) - 1 if thin is None else max(0, int(np.searchsorted(
        f.data.days, thin)) - 1)
    t_day = int(f.data.days[t_idx])
    med30 = risk.quantile(f.ratio30, 0.5, axis=0)
    med90 = risk.quantile(f.ratio90, 0.5, axis=0)
    ob = f.on_book.mean(axis=0)
    lent = float(f.col("disbursed_principal").mean())
    if ob[-1] < 0.9 * ob[0]:
        book = (f"the book runs off from {_yuan(ob[0])} to {_yuan(ob[-1])} yuan of on-book "
                "principal, so these ratios of a shrinking book rise late in the horizon as "
                "performing loans repay")
    else:
        book = (f"new lending of {_yuan(lent)} yuan keeps the book at {_yuan(ob[-1])} yuan of "
                f"on-book principal (day 0: {_yuan(ob[0])}), so the ratios describe a going "
                "concern")
    out.append(
        f"On the median path the 30+ ratio goes from {_pct(med30[0], 2)} on day 0 to "
        f"{_pct(med30[t_idx], 2)} on day {t_day} and the 90+ ratio from {_pct(med90[0], 2)} to "
        f"{_pct(med90[t_idx], 2)}; {book}."
    )
    if b is None:
        inc = f.col("interest_income").mean()
        pen = f.col("penalty_income").mean() + f.col("compound_income").mean()
        rec = f.col("recoveries").mean() / max(f.col("charged_off_principal").mean(), 1e-12)
        out.append(
            f"Losses are driven by the roll of delinquent loans: on average "
            f"{_pct(f.flow['M1→M2'], 0)} of M1 principal rolls to M2 each month, and a month's "
            f"charge-offs equal {_pct(f.flow['M6→CO'], 0)} of the M6 principal at its start; "
            f"recoveries return "
            f"{_pct(rec, 1)} of charged-off principal within the horizon, and penalty plus "
            f"compound interest add {_pct(pen / inc if inc else 0.0, 1)} to contract interest "
            f"income."
        )
    else:
        d = diffs["expected_net_loss_rate"]
        noise = "beyond" if (d["ci_low"] > 0 or d["ci_high"] < 0) else "within"
        dco = f.col("charged_off_principal").mean() - b.col("charged_off_principal").mean()
        drec = f.col("recoveries").mean() - b.col("recoveries").mean()
        moved = sorted(
            ((abs(f.flow[k] - b.flow[k]), k) for k in f.flow
             if math.isfinite(f.flow[k]) and math.isfinite(b.flow.get(k, math.nan))),
            reverse=True)
        why = ""
        if moved:
            k = moved[0][1]
            why = (f"; the flow rate that moved most is {k}, from {_pct(b.flow[k], 1)} to "
                   f"{_pct(f.flow[k], 1)} a month")
        out.append(
            f"Against baseline {b.data.name}, expected net loss moved by "
            f"{_pp(d['difference'])} ({d['method']} 95% interval {_pp(d['ci_low'])} to "
            f"{_pp(d['ci_high'])}, {noise} Monte Carlo noise): charge-offs changed by "
            f"{_yuan(dco)} yuan and recoveries by {_yuan(drec)} yuan{why}."
        )
    return out


def _cover(run: Run, f: _Facts, font: fonts.FontInfo) -> list[Block]:
    m = run.manifest
    sc = f.scenario
    desc = str(sc.get("description") or "").strip() or "(no description)"
    today = _dt.date.today().isoformat()
    return [
        Block("h1", "Stress-test report"),
        Block("h1", str(sc.get("name") or m.get("scenario_name", ""))),
        Block("p", desc),
        Block("table", header=["", ""], rows=[
            ["Run id", run.folder.name],
            ["Report date", today],
            ["Run created (UTC)", str(m.get("created_utc", "n/a"))],
            ["Seed", str(m.get("seed", "n/a"))],
            ["Monte Carlo paths", str(m.get("paths", run.paths.num_rows))],
            ["Borrowers / drawdowns",
             f"{m.get('borrowers', 'n/a')} / {m.get('drawdowns', 'n/a')}"],
            ["Horizon", f"{m.get('horizon_days', f.horizon)} days from {sc.get('as_of', 'n/a')}"],
            ["overdue version (run / report)",
             f"{m.get('overdue_version', 'n/a')} / {__version__}"],
        ]),
        Block("small", "Produced by overdue from the run folder alone; nothing was re-simulated. "
              "Percentages are of principal unless stated; money is in yuan. " + font.note()),
        Block("pagebreak"),
    ]


def _executive(f: _Facts, b: _Facts | None, diffs: dict) -> list[Block]:
    m = f.summary["metrics"]
    conf = f.summary["confidence"]
    header = ["Key figure", "Estimate", "MC s.e."]
    if b is not None:
        header += ["Baseline", "Difference", f"{conf:.0%} CI of difference"]
    rows = []
    for key, e in m.items():
        row = [e["label"], _pct(e["estimate"]), _pct(e["se"])]
        if b is not None:
            d = diffs[key]
            row += [_pct(b.summary["metrics"][key]["estimate"]), _pp(d["difference"]),
                    f"{_pp(d['ci_low'])} to {_pp(d['ci_high'])}"]
        rows.append(row)
    loss = risk.mean_with_error(f.col("net_loss"))
    rows.append(["Expected net loss (yuan)", _yuan(loss["estimate"]), _yuan(loss["se"])]
                + ([_yuan(float(b.col("net_loss").mean())), "", ""] if b is not None else []))
    blocks = [Block("h2", "Executive summary")]
    blocks += [Block("p", s) for s in _sentences(f, b, diffs)]
    run, base = f.data, (b.data if b is not None else None)
    blocks.append(Block("table_figure", "Net loss rate distribution", header=header, rows=rows,
                        figure=lambda fig: plots.loss_distribution(run, base, fig),
                        reading="The chart: each path's net loss rate, with the expected loss, "
                        "VaR and ES of the table marked" + (", the baseline's outlined dashed"
                                                            if b is not None else "") + "."))
    note = (f"{f.summary['n_paths']} paths. MC s.e.: Monte Carlo standard error (n/a where there "
            "are too few paths to bound a quantile). Loss rates are (charge-offs − recoveries) "
            "within the horizon over day-0 principal; 30+ and 90+ ratios are of on-book "
            "principal, charged-off principal excluded.")
    if b is not None:
        how = diffs["expected_net_loss_rate"]["method"]
        note += (f" Differences are scenario − baseline ({how}; bootstrap over paths for "
                 "quantiles and ES).")
    blocks.append(Block("small", note))
    blocks.append(Block("pagebreak"))
    return blocks


def _year_end_idx(f: _Facts) -> list[tuple[str, int]]:
    days = f.data.days
    out = []
    for k in range(1, f.horizon // 365 + 1):
        i = int(np.searchsorted(days, 365 * k))
        if i < len(days) and days[i] == 365 * k:
            out.append((f"year {k} end (day {365 * k})", i))
    if not out or out[-1][1] != len(days) - 1:
        out.append((f"horizon end (day {int(days[-1])})", len(days) - 1))
    return out


def _regulatory(f: _Facts) -> list[Block]:
    def row(label, x, places=3):
        mean = risk.mean_with_error(x)
        return [label, _pct(mean["estimate"], places), _pct(risk.statistic(x, "p50"), places),
                _pct(risk.statistic(x, "p99"), places), _pct(mean["se"], places)]

    rows = [row(f"Net loss rate over {f.horizon} days, % of average balance",
                f.col("loss_rate_avg_balance")),
            row(f"Nine-quarter loss rate, % of average balance: {nine_quarter_window(f.horizon)}",
                f.col("nine_quarter_loss_rate")),
            row(f"Net loss rate over {f.horizon} days, % of day-0 principal",
                f.col("net_loss_rate"))]
    npl_nd = npl_without_disposal(BookAmounts.book_wide(f.data.grid))
    for label, i in _year_end_idx(f):
        rows.append(row(f"NPL ({DPD90.label}) ratio, {label}", f.ratio90[:, i]))
        rows.append(row(f"NPL ratio without disposal, {label}", npl_nd[:, i]))
        rows.append(row(f"{DPD30.label} ratio, {label}", f.ratio30[:, i]))
        rows.append(row(f"On-book principal, % of day 0, {label}",
                        f.on_book[:, i] / np.where(f.on_book[:, 0] > 0, f.on_book[:, 0], 1.0),
                        places=1))
    on_end = f.on_book[:, -1].mean()

    def share(buckets: tuple[str, ...]) -> list[str]:
        v = float(f.data.principal(buckets)[:, -1].mean()) if buckets else 0.0
        return [_yuan(v), _pct(v / on_end if on_end else 0.0, 2)]

    zh = fonts.find_cjk_font().renders_cjk
    categories = five_category_rows(f.charge_off)
    co = f.data.col("cum_charged_off_principal")[:, -1].mean()
    probation = f.settings.finance.ecl.probation_months
    watched = _restructured_normal(f, probation)
    five = []
    for r in categories:
        v = float(f.data.principal(r.buckets)[:, -1].mean()) if r.buckets else 0.0
        key = r.bands[0].key if len(r.bands) == 1 else ""
        v += -watched if key == "normal" else watched if key == "special_mention" else 0.0
        five.append([r.name(zh), r.bucket_label() + (" + restructured" if key ==
                                                      "special_mention" and watched else ""),
                     _yuan(v), _pct(v / on_end if on_end else 0.0, 2)])
    five.append(["Memo: written off (核销)" if zh else "Memo: written off",
                 "charged off, cumulative", _yuan(co), "—"])
    stages = [[r.name(False), r.bucket_label(), *share(r.buckets)]
              for r in stage_rows(f.charge_off)]
    title5 = "Five-category classification (五级分类)" if zh else "Five-category classification"
    return [
        Block("h2", "Regulatory view"),
        Block("table", header=["Measure", "Mean", "Median", "P99", "MC s.e. of mean"],
              rows=rows),
        Block("small", f"Loss rates are not annualised (horizon {f.horizon} days). NPL ratio = "
              f"principal at {DPD90.min_dpd}+ DPD ({span(DPD90.buckets)}) over on-book "
              "principal; without disposal (the PBOC stress test's measure) principal charged "
              "off since day 0 is added to both; ratios are per path, then summarised across "
              "paths; on-book principal at each date is in the last rows. The nine-quarter loss "
              "rate (the Federal Reserve's) is net loss over days 1..810 over the mean on-book "
              "principal of days 0..810."),
        Block("h2", f"{title5} at horizon end (day {f.horizon})"),
        Block("table", header=["Category", "Buckets", "Principal (yuan, mean)", "% of on-book"],
              rows=five),
        Block("small", five_category_note(categories, f.charge_off, zh) + " Restructured "
              f"principal in its observation period ({probation} months, "
              "finance.ecl.probation_months) is in special mention rather than normal: "
              f"{_yuan(watched)} yuan (mean); the run keeps restructured principal without its "
              "bucket, so it is all taken from normal, an upper bound."),
        Block("h2", f"IFRS 9 stages by days past due at horizon end (day {f.horizon})"),
        Block("table", header=["Stage", "Buckets", "Principal (yuan, mean)", "% of on-book"],
              rows=stages),
        Block("small", "By DPD only (the 30 and 90 DPD backstops); the ECL page adds forbearance "
              "and the significant increase in credit risk to this staging."),
        Block("h2", "By segment at horizon end (pooled over paths)"),
        Block("table", header=["Segment", "Day-0 principal", "End on-book", f"End {DPD30.label}",
                               f"End {DPD90.label}", "Net loss rate"], rows=_segment_rows(f)),
        Block("pagebreak"),
    ]


def _restructured_normal(f: _Facts, probation: int) -> float:
    """Mean over paths of restructured principal in its observation period at the horizon's
    end, as much of it as normal (M0) principal can hold, segment by segment."""
    g = f.data.grid
    watched = restructured_in_probation(g, probation)[:, -1, :]
    normal = g.sum(principal_columns(("M0",)))[:, -1, :]
    return float(np.minimum(watched, normal).sum(axis=1).mean())


def five_category_note(rows: list[BandRow], charge_off: int | None, chinese: bool) -> str:
    """What the five-category table can and cannot say under the run's charge-off threshold."""
    def names(bands) -> str:
        shown = [f"{c.english.lower()} ({c.chinese}, {c.dpd.label()})" if chinese
                 else f"{c.english.lower()} ({c.dpd.label()})" for c in bands]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]

    when = ("charge-off is off, so drawdowns stay on book however late" if charge_off is None
            else f"drawdowns are charged off on reaching {charge_off} DPD")
    parts = [f"Categories by DPD under the 2023 rules; {when}."]
    for r in rows:
        if len(r.bands) > 1 and r.dpd is not None:
            parts.append(f"{span(r.buckets)} holds {r.dpd.label()}, across "
                         f"{names(r.bands)}: the run's aggregates keep principal by bucket, not "
                         "by DPD, so it cannot be split between them.")
    empty = [r.bands[0] for r in rows if not r.buckets]
    if empty:
        verb = "is" if len(empty) == 1 else "are"
        parts.append(f"{names(empty)[0].upper()}{names(empty)[1:]} {verb} empty: no drawdown "
                     "stays on book that long.")
    parts.append("Written-off principal is a memo line.")
    return " ".join(parts)


def _figures(f: _Facts, b: _Facts | None) -> list[Block]:
    run, base = f.data, (b.data if b is not None else None)
    med30 = risk.quantile(f.ratio30, 0.5, axis=0)
    m = f.summary["metrics"]
    thin = plots.thin_book_day(f.data)
    thin_txt = (f" From day {thin} (dotted) less than {plots.THIN_BOOK:.0%} of the day-0 book is "
                "left, and the ratio mostly reflects the shrinking denominator." if thin else "")
    blocks = [
        Block("figure", "30+ delinquency ratio over time",
              figure=lambda fig: plots.fan_chart(run, "dpd30", base, fig),
              reading=f"Reading: the median 30+ ratio is {_pct(med30[0], 2)} on day 0; the bands "
              f"show how far it spreads across paths (98% of paths lie inside the lightest)."
              + thin_txt),
        Block("figure", "90+ (non-performing) ratio over time",
              figure=lambda fig: plots.fan_chart(run, "dpd90", base, fig),
              reading="Reading: loans reach 90+ about three months after a missed payment and "
              "leave it at charge-off, so the 90+ ratio lags the 30+ ratio." + thin_txt),
        Block("figure", "Bucket composition",
              figure=lambda fig: plots.bucket_composition(run, fig),
              reading="Reading: left, the whole book in yuan (M0 dominates); right, "
              "the delinquent buckets as a share of what is still on book."),
        Block("figure", "Net loss rate distribution",
              figure=lambda fig: plots.loss_distribution(run, base, fig),
              reading=f"Reading: expected loss {_pct(m['expected_net_loss_rate']['estimate'])}, "
              f"VaR 99 {_pct(m['net_loss_rate_q99']['estimate'])}, VaR 99.9 "
              f"{_pct(m['net_loss_rate_q999']['estimate'])}, ES 99 "
              f"{_pct(m['net_loss_rate_es99']['estimate'])} of day-0 principal; with "
              f"{f.summary['n_paths']} paths the far tail rests on few paths."),
        Block("figure", "Roll (flow) rates month over month",
              figure=lambda fig: plots.roll_rate_heatmap(run, fig),
              reading="Reading: each cell is the share of a bucket's principal at a month end "
              "found one bucket later a month on. The run folder holds aggregates, not loans, so "
              "these are flow rates of principal (bucket k+1 at month m+1 ÷ bucket k at month "
              "m; M6→CO uses principal charged off in the month), not loan-level transition "
              "probabilities; part-payments and cures can make them differ."),
        Block("figure", "Income: accrued vs collected",
              figure=lambda fig: plots.income_split(run, fig),
              reading="Reading: accrued is income recognised (accrual stops at 90 DPD); "
              "collected is cash received, which can exceed accrual early because the seasoned "
              "book starts with interest accrued before day 0."),
    ]
    if b is not None:
        blocks.append(Block(
            "figure", "Scenario against baseline",
            figure=lambda fig: plots.scenario_vs_baseline(run, base, fig),
            reading=f"Reading: solid is {run.name}, dashed is the baseline {base.name}; where the "
            "solid median leaves the dotted band the difference is larger than path-to-path "
            "spread."))
    return blocks


def _flat(value, prefix: str = "") -> list[list[str]]:
    """(key path, value) rows of a nested mapping; lists of plain values stay on one row."""
    if isinstance(value, dict):
        if not value:
            return [[prefix, "—"]] if prefix else []
        rows = []
        for k, v in value.items():
            rows += _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        rows = []
        for i, v in enumerate(value):
            rows += _flat(v, f"{prefix}[{i}]")
        return rows
    if value is None:
        text = "off / none"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "—"
    else:
        text = str(value)
    return [[prefix, text]]


_TITLES = {"monte_carlo": "Monte Carlo", "book": "Book", "contract": "Contract",
           "behaviour": "Behaviour", "recovery": "Recovery", "shocks": "Shocks",
           "policy": "Policy levers", "finance": "Funding, capital and provisions"}
"""Titles of the sections the report knows; any other section is shown under its own key."""
_NOT_ASSUMPTIONS = ("name", "description")


def assumption_sections(sc: dict) -> list[tuple[str, list[list[str]], str]]:
    """(title, rows of (setting, value), note) for every section of a resolved scenario, in the
    report's order and then the scenario's: a key the schema gains shows up without a change
    here. Top-level plain values make the first section; book segments are the next table."""
    plain = [[k, _flat(v)[0][1]] for k, v in sc.items()
             if k not in _NOT_ASSUMPTIONS and not isinstance(v, dict | list)]
    out = [("Run", plain, "")] if plain else []
    keys = [k for k in _TITLES if k in sc] + [k for k in sc if k not in _TITLES
                                               and isinstance(sc[k], dict | list)]
    for key in keys:
        value = sc.get(key)
        title = _TITLES.get(key, key.replace("_", " ").capitalize())
        if key == "book" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "segments"}
        if key == "shocks" and not value:
            out.append((title, [], "None: the unstressed baseline."))
            continue
        if key == "policy" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                out.append((title, [], "None set."))
                continue
        flat = _flat(value or {})
        if flat:
            out.append((title, flat, ""))
    return out


def segment_settings(sc: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows): every setting of every book segment, one column per segment."""
    segs = [s for s in (sc.get("book") or {}).get("segments") or [] if isinstance(s, dict)]
    flats = [dict(_flat({k: v for k, v in s.items() if k != "name"})) for s in segs]
    keys = list(dict.fromkeys(k for f in flats for k in f))
    return (["Setting", *(str(s.get("name")) for s in segs)],
            [[k, *(f.get(k, "—") for f in flats)] for k in keys])


def _assumptions(f: _Facts) -> list[Block]:
    sc = f.scenario
    segs = (sc.get("book") or {}).get("segments") or []
    rows = []
    for s in segs:
        p = (s.get("principal") or {}).get("lognormal") or {}
        rate = s.get("daily_rate")
        rows.append([str(s.get("name")), _pct(float(s.get("share", 0)), 0),
                     f"{rate} ({_pct(365 * float(rate), 1)} a year)" if rate is not None else "",
                     str(s.get("term_months", "")), _yuan(float(p.get("median", math.nan))),
                     _pct(float(s.get("base_pd", math.nan)), 1)])
    blocks = [Block("h2", "Assumptions")]
    if rows:
        blocks.append(Block("table", header=["Segment", "Share", "Daily rate", "Term (months)",
                                             "Median principal", "Base PD"], rows=rows))
        header, every = segment_settings(sc)
        blocks += [Block("h2", "Segments: every setting"),
                   Block("table", header=header, rows=every)]
    for title, flat, note in assumption_sections(sc):
        blocks.append(Block("h2", title))
        blocks.append(Block("table", header=["Setting", "Value"], rows=flat) if flat
                      else Block("small", note))
    blocks.append(Block("small", "Every setting, the defaults included, is in the appendix: the "
                        "resolved scenario (scenario.yaml of the run folder)."))
    blocks.append(Block("pagebreak"))
    return blocks


def _appendix(f: _Facts) -> list[Block]:
    return [Block("pagebreak"), Block("h2", "Appendix: the resolved scenario"),
            Block("small", "The scenario as the run used it, every default written out "
                  "(scenario.yaml of the run folder):"),
            Block("pre", f.run.scenario_yaml.rstrip())]


def _reproducibility(run: Run, font: fonts.FontInfo) -> list[Block]:
    m = run.manifest
    files = [[name, digest] for name, digest in sorted((m.get("files") or {}).items())]
    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items())
    folder = run.folder
    cmd = f"overdue run {folder / 'scenario.yaml'} --out {folder.parent / (folder.name + '-rerun')}"
    blocks = [
        Block("h2", "Reproducibility"),
        Block("table", header=["Item", "Value"], rows=[
            ["Run id", folder.name],
            ["Seed", str(m.get("seed", "n/a"))],
            ["Scenario sha256", str(m.get("scenario_sha256", "n/a"))],
            ["overdue", str(m.get("overdue_version", "n/a"))],
            ["Versions", versions or "n/a"],
            ["Engine", f"{m.get('engine', 'n/a')}, threads {m.get('threads', 'n/a')}, "
                       f"chunk {m.get('chunk_size', 'n/a')}, "
                       f"path block {m.get('path_block', 'n/a')}"],
            ["Created (UTC)", str(m.get("created_utc", "n/a"))],
        ]),
        Block("small", "sha256 of every file in the run folder (manifest.json):"),
        Block("table", header=["File", "sha256"], rows=files),
        Block("small", "Re-create the run (the scenario file is fully resolved: seed, paths and "
              "book are in it):"),
        Block("pre", cmd),
    ]
    recorded = m.get("command")
    if isinstance(recorded, list) and recorded and recorded != ["python-api"]:
        blocks.append(Block("small", "Command recorded at run time:"))
        blocks.append(Block("pre", " ".join(map(str, recorded))))
    return blocks


def build_blocks(run: Run, baseline: Run | None = None,
                 attribution: dict | None = None) -> tuple[list[Block], fonts.FontInfo]:
    """The report's content, in order, and the CJK font its text is set in; ``attribution``
    (an attribution record, :meth:`simulator.studies.attribution.Attribution.as_dict`) adds
    its page."""
    font = fonts.find_cjk_font()
    f = _Facts(run)
    b = _Facts(baseline) if baseline is not None else None
    diffs = {}
    if b is not None:
        is_paired = paired(RunInfo.load(run.folder), RunInfo.load(baseline.folder))
        for key, (metric, stat) in MEASURES.items():
            diffs[key] = difference(b.col(metric), f.col(metric), stat, is_paired)
    blocks = _cover(run, f, font) + _executive(f, b, diffs) + _figures(f, b)
    blocks += early_warning_blocks(f.data.grid, f.data.name)
    blocks += vintage_blocks(VintageCurves.from_table(run.vintages),
                             allocate_by_vintage(run.vintages), f.data.grid.horizon,
                             f.data.name)
    blocks += _regulatory(f)
    blocks += finance_blocks(f.data.grid, f.scenario, f.data.name)
    if attribution is not None:
        blocks += attribution_blocks(attribution) + [Block("pagebreak")]
    blocks += _assumptions(f) + _reproducibility(run, font) + _appendix(f)
    return blocks, font
