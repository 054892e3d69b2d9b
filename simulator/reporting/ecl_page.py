"""The report's page on IFRS 9 staging, expected credit loss and provisions
(:mod:`simulator.analysis.ecl`), computed from the run folder alone."""

from __future__ import annotations

import numpy as np

from simulator.analysis import risk
from simulator.analysis.ecl import STAGE_KEYS, Provisions
from simulator.analysis.stages import Transfers
from simulator.kernels.layout import QUARTER_DAYS
from simulator.reporting import finance_plots
from simulator.reporting.blocks import Block, pct, yuan
from simulator.scenario.finance import Ecl

STAGE_NAMES = {"stage1": "Stage 1 (12-month)", "stage2": "Stage 2 (lifetime)",
               "stage3": "Stage 3 (impaired)"}


def _stats(label: str, x: np.ndarray, fmt) -> list[str]:
    x = x[np.isfinite(x)]
    if not x.size:
        return [label, "n/a", "n/a", "n/a", "n/a", "n/a"]
    m = risk.mean_with_error(x)
    return [label, fmt(m["estimate"]), fmt(m["se"]), fmt(float(risk.quantile(x, 0.01))),
            fmt(float(risk.quantile(x, 0.5))), fmt(float(risk.quantile(x, 0.99)))]


def _median(x: np.ndarray) -> float:
    """Median of the finite values; NaN when there are none."""
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def _staging_rows(p: Provisions) -> list[list[str]]:
    rows = []
    for st in STAGE_KEYS:
        ead, ecl = p.stage_total(st, "ead"), p.stage_total(st)
        rows.append([STAGE_NAMES[st], yuan(float(ead[:, 0].mean())),
                     yuan(float(ecl[:, 0].mean())), yuan(float(ead[:, -1].mean())),
                     yuan(float(ecl[:, -1].mean())),
                     pct(float(ecl[:, -1].mean() / ead[:, -1].mean())
                         if ead[:, -1].mean() > 0 else np.nan, 2)])
        if st == "stage2":
            moved = p.forborne.sum(axis=2) / 1e6
            sicr = p.sicr_moved.sum(axis=2) / 1e6
            rows.append(["  of which forborne",
                         yuan(float(moved[:, 0].mean())), "", yuan(float(moved[:, -1].mean())),
                         "", ""])
            rows.append(["  of which SICR",
                         yuan(float(sicr[:, 0].mean())), "", yuan(float(sicr[:, -1].mean())),
                         "", ""])
    ead = sum(p.stage_total(st, "ead") for st in STAGE_KEYS)
    tot = p.total()
    rows.append(["Total", yuan(float(ead[:, 0].mean())), yuan(float(tot[:, 0].mean())),
                 yuan(float(ead[:, -1].mean())), yuan(float(tot[:, -1].mean())),
                 pct(float(tot[:, -1].mean() / ead[:, -1].mean()) if ead[:, -1].mean() > 0
                     else np.nan, 2)])
    return rows


def _parameter_rows(p: Provisions) -> tuple[list[list[str]], list[list[str]]]:
    """(hazards and PDs on day 0 and, median over paths, on the last date; LGD, rate, life)."""
    last = int(p.date_days[-1])
    hazards, terms = [], []
    for s, name in enumerate(p.segments):
        for label, pick in (("day 0", lambda v, s=s: float(v[0, 0, s])),
                            (f"day {last}, median",
                             lambda v, s=s: float(np.median(v[:, -1, s])))):
            hazards.append([name if label == "day 0" else "", label,
                            *(pct(pick(p.hazards[k]), 2) for k in "abc"),
                            pct(pick(p.pd12), 2), pct(pick(p.pd_life), 1)])
        t = p.terms[s]
        rate = t.monthly_discount ** (-365 / 30) - 1
        terms.append([name, pct(t.lgd, 1), pct(rate, 1) if t.discounted else "undiscounted",
                      str(t.lifetime)])
    return hazards, terms


# The matrix's rows by Transfers' ``from`` index, new last
TRANSFER_ROWS = (("Stage 1", 1), ("Stage 2", 2), ("Stage 3", 3), ("New in the quarter", 0))


def _transfer_blocks(tr: Transfers) -> list[Block]:
    """The last quarter's stage-transfer matrix: median shares over paths."""
    if not tr.quarter_days.size:
        return [Block("small", "Stage transfers: the horizon holds no quarter end "
                      f"(day {QUARTER_DAYS}).")]
    q = len(tr.quarter_days) - 1
    day = int(tr.quarter_days[q])
    start = day - QUARTER_DAYS
    by_principal = tr.median_shares("principal")[q]
    by_count = tr.median_shares("counts")[q]
    on_book = tr.counts[:, q].sum(axis=2)  # [path, from]
    rows = []
    for label, f in TRANSFER_ROWS:
        cells = [f"{pct(float(by_principal[f, k]), 1)} ({pct(float(by_count[f, k]), 1)})"
                 if np.isfinite(by_principal[f, k]) else "n/a"
                 for k in range(by_principal.shape[1])]
        rows.append([label, f"{float(np.median(on_book[:, f])):,.0f}", *cells])
    return [
        Block("table", header=[f"From (day {start})", "Drawdowns", "Stage 1", "Stage 2",
                               "Stage 3", "Charged off", "Repaid"], rows=rows),
        Block("small", f"Stage transfers over the last quarter, days {start} to {day}: "
              "where the drawdowns of each stage at its start (and those disbursed in it) stand "
              f"on day {day}, as shares of their principal at the start (of their number, in "
              "brackets); medians over the paths with such drawdowns, so a row need not add up "
              "to 100%. Drawdowns: the median number at the start. Stages of each drawdown on "
              "the day, counted by the simulation: Stage 2 from 31 DPD and every restructured "
              "drawdown, Stage 3 from 91 DPD, without the collective SICR move above; a "
              "redraw's predecessor counts as repaid. Each quarter's matrix, per path, is in "
              "the timeseries (n_<from>_to_<to>, principal_<from>_to_<to> on the quarter ends)."),
    ]


def ecl_blocks(p: Provisions, ecl: Ecl, name: str, transfers: Transfers) -> list[Block]:
    """The ECL and provisions page."""
    tot = p.total()
    change = tot[:, -1] - tot[:, 0]
    cov = p.coverage()
    on_book = sum(p.stage_total(st, "ead") for st in STAGE_KEYS)
    loan_ratio = np.divide(tot, on_book, out=np.full(tot.shape, np.nan), where=on_book > 0)
    last = int(p.date_days[-1])
    rows = [
        _stats("Provisions, day 0 (yuan)", tot[:, 0], yuan),
        _stats(f"Provisions, day {last} (yuan)", tot[:, -1], yuan),
        _stats("Change in provisions over the horizon (yuan)", change, yuan),
        _stats("Coverage (拨备覆盖率: provisions / NPL), day 0", cov[:, 0], lambda v: pct(v, 1)),
        _stats(f"Coverage, day {last}", cov[:, -1], lambda v: pct(v, 1)),
        _stats("Provisions / on-book principal (拨贷比), day 0", loan_ratio[:, 0],
               lambda v: pct(v, 2)),
        _stats(f"Provisions / on-book principal, day {last}", loan_ratio[:, -1],
               lambda v: pct(v, 2)),
    ]
    hazards, terms = _parameter_rows(p)
    sicr = ("off" if ecl.sicr_pd_ratio is None else
            f"a segment's lifetime PD above {ecl.sicr_pd_ratio:g} x its opening value moves its "
            "whole Stage 1 to Stage 2 (collective assessment: the aggregates keep no drawdown's "
            "PD at origination, so the opening estimate stands in for it)")
    return [
        Block("h2", "IFRS 9 expected credit loss and provisions"),
        Block("p", f"Provisions are {yuan(float(tot[:, 0].mean()))} yuan on day 0 and "
              f"{yuan(float(np.median(tot[:, -1])))} yuan on day {last} on the median path "
              f"(1 path in 100 needs {yuan(float(risk.quantile(tot[:, -1], 0.99)))} or more); the "
              f"change over the horizon, charged to the P&L, averages {yuan(float(change.mean()))}"
              f" yuan{' (a release)' if change.mean() < 0 else ''}. Coverage of NPL moves from "
              f"{pct(_median(cov[:, 0]), 1)} to {pct(_median(cov[:, -1]), 1)} (medians over "
              "the paths with NPL)."),
        Block("table", header=["Stage", "EAD, day 0", "ECL, day 0", f"EAD, day {last}",
                               f"ECL, day {last}", "ECL / EAD"], rows=_staging_rows(p)),
        Block("small", "Yuan, means over paths (of which forborne: restructured principal in "
              "probation; SICR: moved by the significant-increase test). Staging by the 30 and "
              "90 DPD backstops (buckets as the run's charge-off threshold gives them), then "
              "two transfers to Stage 2: "
              f"restructured principal within {ecl.probation_months} months of its restructuring "
              "(forbearance; the aggregates hold neither the bucket of restructured principal nor "
              "each restructuring's date, so the share in probation is the share of "
              "restructurings that recent, and all of it is taken from Stage 1: an upper bound), "
              f"and SICR: {sicr}."),
        Block("table", header=["Measure", "Mean", "MC s.e.", "P1", "Median", "P99"], rows=rows),
        Block("small", f"Per path, then across {tot.shape[0]} paths. NPL: principal at 91+ DPD "
              "on book; coverage is n/a on a path without NPL. Provisions are the ECL on book at "
              "each month-end; charge-offs use up what was provided for them."),
        *_transfer_blocks(transfers),
        Block("h2", "ECL parameters by segment"),
        Block("table", header=["Segment", "Date", "1→2", "2→default", "2→1", "12-month PD",
                               "Lifetime PD, Stage 2"], rows=hazards),
        Block("table", header=["Segment", "LGD", "Discount rate (a year)", "Lifetime (months)"],
              rows=terms),
        Block("small", "1→2, 2→default, 2→1: monthly hazards of Stage 1 to Stage 2, Stage 2 to "
              "default (91 DPD) and Stage 2 back (cure or repayment). "
              "The path's own PD term structure: monthly hazards from its roll flows "
              f"over the last {ecl.hazard_window_months} months (counts of drawdowns: reaching "
              "31 DPD over Stage 1, reaching 91 DPD over Stage 2, the rest leaving Stage 2 "
              f"over Stage 2); before day {p.opening_until} the first months' hazards pooled over "
              "paths, the same on every path, which count as one more month of data after it. "
              "12-month ECL for Stage 1, lifetime for Stage 2, PD 1 for Stage 3; EAD is the "
              "principal on book, held flat; discounted at the "
              "effective rate; LGD " + ("as set in finance.ecl.lgd" if ecl.lgd is not None else
                                        "1 - recoveries / charge-offs measured in the run, "
                                        "recoveries discounted from default") + "."),
        Block("figure", "Provisions and coverage", figure=lambda fig:
              finance_plots.provisions_figure(p, name, fig),
              reading="Reading: left, provisions at each month-end across paths (median and "
              "50/90/98% bands); right, coverage of NPL (provisions / principal at 91+ DPD) the "
              "same way. Provisions follow the roll flows of the months before: a stressed path "
              "raises them before its charge-offs arrive."),
    ]
