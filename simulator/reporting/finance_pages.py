"""The report's pages on profit and loss, provisions, capital and risk contributions, and the
costs, waivers and restructured balances behind them; computed from the run folder alone."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulator.analysis import capital as C
from simulator.analysis import contributions as E
from simulator.analysis import ecl as L
from simulator.analysis import pnl as P
from simulator.analysis import risk
from simulator.analysis.exact import apportion
from simulator.analysis.figures import ON_BOOK, charge_off_dpd, principal_columns
from simulator.analysis.grid import Grid
from simulator.analysis.stages import transfers
from simulator.reporting import finance_plots
from simulator.reporting.blocks import Block, pct, yuan
from simulator.reporting.ecl_page import ecl_blocks


def _money_row(label: str, x: np.ndarray) -> list[str]:
    m = risk.mean_with_error(x)
    return [label, yuan(m["estimate"]), yuan(m["se"]), yuan(float(risk.quantile(x, 0.01))),
            yuan(float(risk.quantile(x, 0.5))), yuan(float(risk.quantile(x, 0.99)))]


MONEY_HEADER = ["Line", "Mean", "MC s.e.", "P1", "Median", "P99"]


def pnl_blocks(g: Grid, p: P.PnL, settings: P.Settings, name: str) -> list[Block]:
    rows = [_money_row(P.LABELS[line], p.total(line)) for line in P.LINES]
    loss = P.loss_year_probability(p)
    years = p.by_year("net_income")
    year_rows = []
    for k, (lo, hi) in enumerate(p.year_bounds()):
        x = years[:, k]
        neg = float((x < 0).mean())
        year_rows.append([f"year {k + 1} (days {lo}-{hi})", yuan(float(x.mean())),
                          yuan(float(risk.quantile(x, 0.01))), pct(neg, 1)])
    rate = p.funding_rate
    rate_txt = (f"{rate[0]:.2%}" if np.ptp(rate) == 0
                else f"{rate.min():.2%} to {rate.max():.2%} (rate shocks passed through at "
                f"{settings.finance.rate_pass_through:g})")
    return [
        Block("h2", "Profit and loss"),
        Block("p", "Net income over the horizon averages "
              f"{yuan(float(p.total('net_income').mean()))} yuan; "
              f"{pct(loss['estimate'], 1)} of paths (s.e. {pct(loss['se'], 1)}) have a "
              f"loss-making year, over {loss['years']} year(s) of the horizon."),
        Block("table", header=MONEY_HEADER, rows=rows),
        Block("small", f"Yuan, sums over the horizon per path, then across {years.shape[0]} "
              "paths (P1, P99: 1st and 99th percentiles). Income is cash collected, so waived "
              "and capitalised charges are memo lines and are not deducted. Funding cost: "
              f"on-book principal x {rate_txt} a year / 365. Credit losses are charge-offs less "
              "recoveries; the change in provisions is the IFRS 9 ECL on book at each month-end "
              "less at the one before (next page), so credit losses plus it are the impairment "
              "charge. Before operating cost and tax."),
        Block("table", header=["Year", "Mean net income", "P1", "Paths with a loss"],
              rows=year_rows),
        *_cost_blocks(g, p),
        Block("figure", "Profit and loss", figure=lambda fig: finance_plots.pnl_figure(
            p, name, fig),
            reading="Reading: left, the mean path's P&L from interest collected to net income "
            "(dark: totals; mid grey: income and any release of provisions; light, hatched: "
            "costs, losses and any build-up of provisions); right, net "
            "income over the horizon on each path, the dotted line the worst 1 in 100."),
    ]


def _cost_blocks(g: Grid, p: P.PnL) -> list[Block]:
    """Collection and legal cost, waivers and restructured balances: what restructuring and
    collection cost and how much of the book they hold."""
    last = -1
    restr = g.book("principal_restructured")
    on_book = g.book(principal_columns(ON_BOOK))
    share = np.divide(restr[:, last], on_book[:, last], out=np.zeros(restr.shape[0]),
                      where=on_book[:, last] > 0)
    rows = [
        _money_row("Collection cost", p.total("collection_cost")),
        _money_row("Legal cost", p.total("legal_cost")),
        _money_row("Legal recoveries", g.book("legal_recoveries")[:, 1:].sum(axis=1)),
        _money_row("Waived by restructuring", p.total("waived")),
        _money_row("Capitalised by restructuring", p.total("capitalised")),
        _money_row("Restructured principal on book, last day", restr[:, last]),
    ]
    counts = [
        ["Restructurings over the horizon (mean)",
         f"{g.book('n_restructurings')[:, 1:].sum(axis=1).mean():,.1f}"],
        ["Restructured drawdowns on book, last day (mean)",
         f"{g.book('n_restructured')[:, last].mean():,.1f}"],
        ["Restructured principal, % of on-book, last day (mean)", pct(float(share.mean()), 2)],
        ["Charged-off drawdowns litigated (mean)",
         f"{g.book('n_litigated')[:, 1:].sum(axis=1).mean():,.1f}"],
    ]
    return [
        Block("h2", "Collection, legal cost, waivers and restructured balances"),
        Block("table", header=MONEY_HEADER, rows=rows),
        Block("table", header=["Count or share", "Value"], rows=counts),
        Block("small", "The run keeps restructured drawdowns in their DPD bucket; the five-"
              "category table and the ECL page put restructured principal in its observation "
              "period in 关注 and Stage 2 (finance.ecl.probation_months)."),
    ]


def capital_blocks(c: C.CapitalPaths, settings: P.Settings, name: str) -> list[Block]:
    cap = settings.finance.capital
    std_min, irb_min = c.minimum("standardised"), c.minimum("irb")

    def row(label: str, x: np.ndarray) -> list[str]:
        x = x[np.isfinite(x)]
        if not x.size:
            return [label, "n/a", "n/a", "n/a", "n/a"]
        m = risk.mean_with_error(x)
        return [label, pct(m["estimate"], 2), pct(m["se"], 2),
                pct(float(risk.quantile(x, 0.01)), 2), pct(float(risk.quantile(x, 0.5)), 2)]

    breach = float((std_min < cap.minimum_ratio).mean())
    breach_irb = float((irb_min < cap.minimum_ratio).mean())
    rows = [
        row("Standardised ratio, day 0", c.ratio_standardised[:, 0]),
        row("Standardised ratio, last day", c.ratio_standardised[:, -1]),
        row("Standardised ratio, lowest over the horizon", std_min),
        row("IRB ratio, day 0", c.ratio_irb[:, 0]),
        row("IRB ratio, last day", c.ratio_irb[:, -1]),
        row("IRB ratio, lowest over the horizon", irb_min),
    ]
    amounts = [
        ["Capital, day 0", yuan(float(c.capital[:, 0].mean()))],
        ["Capital, last day (mean)", yuan(float(c.capital[:, -1].mean()))],
        ["Standardised RWA, day 0 (mean)", yuan(float(c.rwa_standardised[:, 0].mean()))],
        ["IRB RWA, day 0 (mean)", yuan(float(c.rwa_irb[:, 0].mean()))],
        [f"Paths below {cap.minimum_ratio:.1%}, standardised / IRB",
         f"{pct(breach, 1)} / {pct(breach_irb, 1)}"],
    ]
    irb = cap.irb
    seg_rows = [[s.segment, pct(s.pd, 2), pct(s.lgd, 1), pct(s.correlation, 2),
                 pct(s.risk_weight, 2)] for s in c.segments]
    std = cap.standardised
    return [
        Block("h2", "Capital"),
        Block("table", header=["Capital ratio", "Mean", "MC s.e.", "P1", "Median"], rows=rows),
        Block("table", header=["Amount", "Value"], rows=amounts),
        Block("small", f"Capital on day 0 is {cap.starting_ratio:.1%} of day-0 standardised "
              "RWA; each day it moves by that day's net income (P&L page). Standardised RWA: "
              f"{std.retail:.0%} of principal at 0-90 DPD (regulatory retail under the 2023 "
              f"capital rules; 100% for other individual loans) and {std.defaulted:.0%} of "
              "principal at 90+ DPD (defaulted, specific provisions below 20%). IRB: Basel retail "
              f"formula, {irb.asset_class.replace('_', ' ')} correlation, scaling "
              f"{irb.scaling:g}, on principal at 0-90 DPD; defaulted principal carries no IRB "
              "capital beyond its provisions (the ECL page)."),
        Block("h2", "IRB parameters by segment"),
        Block("table", header=["Segment", "PD (12 months)", "LGD", "Correlation",
                               "Risk weight"], rows=seg_rows),
        Block("small", "PD: drawdowns reaching 91 DPD within 12 months over drawdowns at 0-90 "
              f"DPD on day 0, pooled over paths (annualised when the horizon is shorter), floor "
              f"{irb.pd_floor:.2%}. LGD: " + ("the scenario's" if irb.lgd is not None else
                                              "1 - recoveries / principal charged off at least "
                                              "the recovery lag before the end, pooled over "
                                              "paths") + "."),
        Block("figure", "Capital ratio", figure=lambda fig: finance_plots.capital_figure(
            c, name, fig),
            reading="Reading: left, the standardised capital ratio across paths (median and "
            "bands), the IRB median dashed and the minimum dotted; right, each path's lowest "
            "standardised ratio. A path left of the dotted line breaches the minimum."),
    ]


def contribution_table(allocs: list[E.Allocation], label: str) -> Block:
    """The table of VaR and ES parts (first column ``label``: segment, vintage) with their
    Monte Carlo errors and shares, the shown parts adding up to the shown totals."""
    segments = list(allocs[0].parts)
    shown = {a.measure: apportion(list(a.parts.values()), 2) for a in allocs}
    rows = []
    for i, s in enumerate(segments):
        row = [s]
        for a in allocs:
            v = shown[a.measure][i]
            share = float(a.parts[s] / a.total) if a.total else math.nan
            row += [f"{float(v):,.2f}", f"{a.se[s]:,.2f}" if math.isfinite(a.se[s]) else "n/a",
                    pct(share, 1)]
        rows.append(row)
    total = ["total"]
    for a in allocs:
        total += [f"{float(sum(shown[a.measure])):,.2f}", "", pct(1.0 if a.total else math.nan, 1)]
    rows.append(total)
    header = [label]
    for a in allocs:
        header += [f"{a.measure} part", "MC s.e.", "share"]
    return Block("table", header=header, rows=rows)


def contribution_blocks(allocs: list[E.Allocation], name: str) -> list[Block]:
    var, es = allocs
    m = max(0, (var.paths_used - 1) // 2)
    return [
        Block("h2", "Risk contributions by segment"),
        contribution_table(allocs, "Segment"),
        Block("small", f"Yuan of net loss over the horizon. ES 99: each segment's mean loss over "
              f"the worst {es.paths_used} path(s), which add up to ES exactly. VaR 99: each "
              f"segment's mean loss over the {var.paths_used} paths ranked nearest the VaR ({m} "
              "on each side), scaled so that the parts add up to VaR exactly. Parts are exact "
              "fractions of the engine's micro-yuan, shown to the fen by the largest-remainder "
              "rule so that the shown parts add up to the shown total. By vintage: on the "
              "vintage page. By collection channel: not available, the run keeps no split of "
              "its losses by channel."),
        Block("figure", "Risk contributions", figure=lambda fig:
              finance_plots.contributions_figure(allocs, name, fig),
              reading="Reading: the bars of a measure add up to its total; a segment whose "
              "share of ES exceeds its share of the book carries more than its weight of the "
              "tail."),
    ]


def finance_blocks(g: Grid, scenario: dict[str, Any], name: str) -> list[Block]:
    """The P&L, ECL and provisions, capital and contributions pages of a run."""
    settings = P.Settings.from_scenario(scenario)
    ecl = settings.finance.ecl
    prov = L.compute(g, scenario, ecl, charge_off_dpd(scenario))
    p = P.compute(g, settings, provisions=prov.daily_change())
    c = C.compute(g, p, settings, scenario)
    allocs = E.allocate(g)
    return [*pnl_blocks(g, p, settings, name), Block("pagebreak"),
            *ecl_blocks(prov, ecl, name, transfers(g)), Block("pagebreak"),
            *capital_blocks(c, settings, name), Block("pagebreak"),
            *contribution_blocks(allocs, name), Block("pagebreak")]
