"""Derived tables checked against hand calculation; risk measures against numpy and theory."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from simulator.analysis import risk
from simulator.analysis.risk import expected_shortfall_with_error, quantile_with_error
from simulator.analysis.summary import (
    derive_tables,
    format_summary,
    paths_table,
    quantiles_table,
    summary,
)
from simulator.results.registry import (
    QUANTILE_METRICS,
    QUANTILE_STATS,
    arrow_schema,
    validate_table,
)
from tests.results.synthetic_tables import timeseries_from_rows

# Three paths x three days (0, 1, 2) x two segments (a, b); numbers chosen for hand checking.
HAND_ROWS = [
    # path 0: some delinquency in both segments, a loss of 30 with 5 recovered in b.
    dict(path=0, day=0, segment="a", principal_M0=1000.0, penalty_accrued=99.0),
    dict(path=0, day=0, segment="b", principal_M0=1000.0),
    dict(path=0, day=1, segment="a", principal_M0=800.0, principal_M2=100.0, penalty_accrued=1.5),
    dict(path=0, day=1, segment="b", principal_M0=900.0, principal_M4=50.0, interest_accrued=4.0),
    dict(path=0, day=2, segment="a", principal_M0=700.0, principal_M3=100.0, penalty_accrued=2.0),
    dict(
        path=0,
        day=2,
        segment="b",
        principal_M0=850.0,
        principal_M5=50.0,
        penalty_accrued=0.5,
        compound_accrued=0.25,
        cum_charged_off_principal=30.0,
        cum_recoveries=5.0,
    ),
    # path 1: performing, amortising, no loss.
    dict(path=1, day=0, segment="a", principal_M0=500.0),
    dict(path=1, day=0, segment="b", principal_M0=500.0),
    dict(path=1, day=1, segment="a", principal_M0=400.0, interest_accrued=1.0),
    dict(path=1, day=1, segment="b", principal_M0=500.0),
    dict(path=1, day=2, segment="a", principal_M0=300.0),
    dict(path=1, day=2, segment="b", principal_M0=400.0),
    # path 2: one small loan in a, 1-30 DPD on day 1 (not 30+), charged off on day 2; b empty.
    dict(path=2, day=0, segment="a", principal_M0=100.0),
    dict(path=2, day=0, segment="b"),
    dict(path=2, day=1, segment="a", principal_M1=100.0),
    dict(path=2, day=1, segment="b"),
    dict(path=2, day=2, segment="a", cum_charged_off_principal=100.0),
    dict(path=2, day=2, segment="b"),
]


def hand_timeseries(shuffle_seed: int | None = 7, dictionary_segment: bool = True) -> pa.Table:
    rows = list(HAND_ROWS)
    if shuffle_seed is not None:
        order = np.random.default_rng(shuffle_seed).permutation(len(rows))
        rows = [rows[i] for i in order]
    return timeseries_from_rows(rows, dictionary_segment=dictionary_segment)


def test_hand_timeseries_is_valid():
    validate_table("timeseries", hand_timeseries())


def test_paths_table_by_hand():
    t = paths_table(hand_timeseries())
    validate_table("paths", t)
    assert t.schema == arrow_schema("paths")
    p = t.to_pydict()
    assert p["path"] == [0, 1, 2]
    assert p["initial_principal"] == [2000.0, 1000.0, 100.0]
    assert p["net_loss"] == [25.0, 0.0, 100.0]
    assert p["net_loss_rate"] == pytest.approx([25 / 2000, 0.0, 1.0], rel=1e-15)
    # average on-book principal over days 0..2: (2000+1850+1700)/3, (1000+900+700)/3, (100+100+0)/3
    assert p["loss_rate_avg_balance"] == pytest.approx([25 / 1850, 0.0, 1.5], rel=1e-15)
    # a two-day horizon is shorter than nine quarters: the same window, the same rate
    assert p["nine_quarter_loss_rate"] == p["loss_rate_avg_balance"]
    # NPL without disposal on day 2: (M4..M6 + charged off) / (M0..M6 + charged off)
    assert p["end_npl_no_disposal_ratio"] == pytest.approx([80 / 1730, 0.0, 1.0], rel=1e-15)
    # 30+ = M2..M6, 90+ = M4..M6, over on-book M0..M6; day 2 of path 0 is the peak.
    assert p["peak_dpd30_ratio"] == pytest.approx([150 / 1700, 0.0, 0.0], rel=1e-15)
    assert p["peak_dpd90_ratio"] == pytest.approx([50 / 1700, 0.0, 0.0], rel=1e-15)
    assert p["end_dpd30_ratio"] == pytest.approx([150 / 1700, 0.0, 0.0], rel=1e-15)
    assert p["end_dpd90_ratio"] == pytest.approx([50 / 1700, 0.0, 0.0], rel=1e-15)
    # day 0 is the starting state: its (bogus) 99.0 of penalty is not income.
    assert p["penalty_income"] == [4.0, 0.0, 0.0]
    assert p["compound_income"] == [0.25, 0.0, 0.0]
    assert p["interest_income"] == [4.0, 1.0, 0.0]
    assert p["recoveries"] == [5.0, 0.0, 0.0]
    assert p["charged_off_principal"] == [30.0, 0.0, 100.0]


def test_peak_differs_from_end():
    rows = [dict(r) for r in HAND_ROWS]
    for r in rows:  # path 0 cures its 30+ on day 2
        if r["path"] == 0 and r["day"] == 2:
            r["principal_M0"] += r.pop("principal_M3", 0.0) + r.pop("principal_M5", 0.0)
    p = paths_table(timeseries_from_rows(rows)).to_pydict()
    assert p["peak_dpd30_ratio"][0] == pytest.approx(150 / 1850, rel=1e-15)
    assert p["peak_dpd90_ratio"][0] == pytest.approx(50 / 1850, rel=1e-15)
    assert p["end_dpd30_ratio"][0] == 0.0


def test_row_order_and_segment_encoding_do_not_matter():
    a = paths_table(hand_timeseries(shuffle_seed=None, dictionary_segment=False))
    b = paths_table(hand_timeseries(shuffle_seed=3, dictionary_segment=True))
    assert a.equals(b)
    qa = quantiles_table(hand_timeseries(shuffle_seed=None, dictionary_segment=False))
    qb = quantiles_table(hand_timeseries(shuffle_seed=11, dictionary_segment=True))
    assert qa.equals(qb)


def _quantile_lookup(t: pa.Table) -> dict[tuple[int, str, str], float]:
    d = t.to_pydict()
    return {
        (day, m, s): v
        for day, m, s, v in zip(d["day"], d["metric"], d["stat"], d["value"], strict=True)
    }


def test_quantiles_table_by_hand():
    t = quantiles_table(hand_timeseries())
    validate_table("quantiles", t)
    q = _quantile_lookup(t)
    # 3 days x (5 book-wide + 5 x 2 segments) metrics x 7 stats
    assert t.num_rows == 3 * 15 * 7
    assert len(q) == t.num_rows
    # cum_net_loss_rate on day 2 across paths: sorted [0, 0.0125, 1.0]; linear interpolation at
    # position (n-1)q: p05 -> 0.1, p95 -> 1.9.
    assert q[(2, "cum_net_loss_rate", "mean")] == pytest.approx(1.0125 / 3, rel=1e-15)
    assert q[(2, "cum_net_loss_rate", "p50")] == pytest.approx(0.0125, rel=1e-15)
    assert q[(2, "cum_net_loss_rate", "p05")] == pytest.approx(0.00125, rel=1e-12)
    assert q[(2, "cum_net_loss_rate", "p95")] == pytest.approx(0.0125 + 0.9 * 0.9875, rel=1e-12)
    assert q[(2, "cum_net_loss_rate", "p01")] == pytest.approx(0.02 * 0.0125, rel=1e-12)
    assert q[(0, "cum_net_loss_rate", "p999")] == 0.0
    # outstanding principal on day 1: [1850, 900, 100]
    assert q[(1, "outstanding_principal", "mean")] == pytest.approx(950.0, rel=1e-15)
    assert q[(1, "outstanding_principal", "p50")] == 900.0
    assert q[(1, "outstanding_principal", "p99")] == pytest.approx(900 + 0.98 * 950, rel=1e-12)
    # dpd30 on day 1: [150/1850, 0, 0]; dpd90 on day 2: [50/1700, 0, 0]
    assert q[(1, "dpd30_ratio", "mean")] == pytest.approx(150 / 1850 / 3, rel=1e-15)
    assert q[(1, "dpd30_ratio", "p50")] == 0.0
    assert q[(2, "dpd90_ratio", "p999")] == pytest.approx(0.998 * 50 / 1700, rel=1e-12)
    # per segment: a's 30+ on day 1 is 100/900 on path 0 only; b's loss rate on path 2 has an
    # empty book (rate 0 by convention), on path 0 it is 25/1000.
    assert q[(1, "dpd30_ratio:a", "mean")] == pytest.approx(100 / 900 / 3, rel=1e-15)
    assert q[(2, "cum_net_loss_rate:b", "p50")] == 0.0
    assert q[(2, "cum_net_loss_rate:b", "mean")] == pytest.approx(0.025 / 3, rel=1e-15)
    assert q[(2, "cum_net_loss_rate:a", "mean")] == pytest.approx(1.0 / 3, rel=1e-15)
    # NPL without disposal on day 2: path 0 (50 + 30) / (1700 + 30), path 1 0, path 2 all
    # charged off (0 + 100) / (0 + 100); segment b of path 0: (50 + 30) / (900 + 30).
    assert q[(2, "npl_no_disposal_ratio", "mean")] == pytest.approx(
        (80 / 1730 + 0 + 1) / 3, rel=1e-15)
    assert q[(2, "npl_no_disposal_ratio", "p50")] == pytest.approx(80 / 1730, rel=1e-15)
    assert q[(2, "npl_no_disposal_ratio:b", "mean")] == pytest.approx(80 / 930 / 3, rel=1e-15)
    assert q[(1, "npl_no_disposal_ratio", "mean")] == pytest.approx(50 / 1850 / 3, rel=1e-15)


def test_quantiles_row_order():
    d = quantiles_table(hand_timeseries(), by_segment=False).to_pydict()
    n = len(QUANTILE_METRICS) * len(QUANTILE_STATS)
    assert len(d["day"]) == 3 * n
    assert d["day"] == [0] * n + [1] * n + [2] * n
    assert d["metric"][:n] == [m for m in QUANTILE_METRICS for _ in QUANTILE_STATS]
    assert d["stat"][: len(QUANTILE_STATS)] == list(QUANTILE_STATS)


@pytest.mark.parametrize(
    "drop, message",
    [
        (0, "every path must have a row"),
        (None, "more than once"),
    ],
)
def test_incomplete_grid_is_refused(drop, message):
    rows = list(HAND_ROWS)
    if drop is None:
        rows.append(dict(rows[0]))
    else:
        rows.pop(drop + 3)
    with pytest.raises(ValueError, match=message):
        paths_table(timeseries_from_rows(rows))


def test_missing_day_zero_is_refused():
    rows = [r for r in HAND_ROWS if r["day"] != 0]
    with pytest.raises(ValueError, match="day 0"):
        paths_table(timeseries_from_rows(rows))


def test_derive_tables_at_scale_matches_a_naive_loop():
    """A random 40 x 31 x 3 book: the vectorised tables agree with a per-path Python loop."""
    rng = np.random.default_rng(20260101)
    n_paths, n_days, segs = 40, 31, ["gig", "salaried", "小微"]
    rows = []
    for p in range(n_paths):
        for d in range(n_days):
            for s in segs:
                r = dict(path=p, day=d, segment=s)
                for b in ("M0", "M1", "M2", "M3", "M4", "M5", "M6"):
                    r[f"principal_{b}"] = float(rng.integers(0, 10_000)) / 100
                r["cum_charged_off_principal"] = float(d * rng.integers(0, 100))
                r["cum_recoveries"] = float(d * rng.integers(0, 10))
                r["penalty_accrued"] = float(rng.integers(0, 500)) / 100 if d else 0.0
                rows.append(r)
    ts = timeseries_from_rows(rows)
    tables = derive_tables(ts)
    paths = tables["paths"].to_pydict()
    for p in range(n_paths):
        mine = [r for r in rows if r["path"] == p]

        def book(day, buckets, mine=mine):
            return sum(r[f"principal_{b}"] for r in mine if r["day"] == day for b in buckets)

        all_b = ("M0", "M1", "M2", "M3", "M4", "M5", "M6")
        last = n_days - 1
        co = sum(r["cum_charged_off_principal"] for r in mine if r["day"] == last)
        rec = sum(r["cum_recoveries"] for r in mine if r["day"] == last)
        peak30 = max(book(d, all_b[2:]) / book(d, all_b) for d in range(1, n_days))
        assert paths["net_loss"][p] == pytest.approx(co - rec, rel=1e-12)
        assert paths["net_loss_rate"][p] == pytest.approx((co - rec) / book(0, all_b), rel=1e-12)
        assert paths["peak_dpd30_ratio"][p] == pytest.approx(peak30, rel=1e-12)
        assert paths["penalty_income"][p] == pytest.approx(
            sum(r["penalty_accrued"] for r in mine), rel=1e-12
        )
    q = _quantile_lookup(tables["quantiles"])
    end90 = np.array(paths["end_dpd90_ratio"])
    assert q[(n_days - 1, "dpd90_ratio", "p95")] == pytest.approx(np.quantile(end90, 0.95))
    assert q[(n_days - 1, "dpd90_ratio", "mean")] == pytest.approx(end90.mean())


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------


def make_paths(loss_rates, **columns) -> pa.Table:
    n = len(loss_rates)
    schema = arrow_schema("paths")
    data = {f.name: np.zeros(n) for f in schema}
    data["path"] = np.arange(n)
    data["net_loss_rate"] = np.asarray(loss_rates, dtype=np.float64)
    data.update(columns)
    return pa.Table.from_arrays([pa.array(data[f.name], f.type) for f in schema], schema=schema)


def test_summary_mean_and_es_on_a_uniform_grid():
    n = 1000
    x = (np.arange(n) + 0.5) / n  # an evenly spaced "uniform" sample
    peak = np.linspace(0, 0.2, n)
    s = summary(make_paths(x, peak_dpd30_ratio=peak))
    m = s["metrics"]
    assert s["n_paths"] == n
    assert s["z"] == pytest.approx(1.959964, abs=1e-6)
    assert m["expected_net_loss_rate"]["estimate"] == pytest.approx(0.5, rel=1e-14)
    assert m["expected_net_loss_rate"]["se"] == pytest.approx(x.std(ddof=1) / math.sqrt(n))
    # the worst 1% are the top 10 grid points: mean 0.995
    tail = x[-10:]
    assert m["net_loss_rate_es99"]["estimate"] == pytest.approx(0.995, rel=1e-14)
    assert m["net_loss_rate_es99"]["se"] == pytest.approx(tail.std(ddof=1) / math.sqrt(10))
    assert m["net_loss_rate_q99"]["estimate"] == pytest.approx(np.quantile(x, 0.99))
    assert m["mean_peak_dpd30_ratio"]["estimate"] == pytest.approx(0.1)
    assert m["mean_peak_dpd30_ratio"]["se"] == pytest.approx(peak.std(ddof=1) / math.sqrt(n))
    assert m["mean_end_dpd90_ratio"]["estimate"] == 0.0
    assert list(m) == [
        "expected_net_loss_rate",
        "net_loss_rate_q95",
        "net_loss_rate_q99",
        "net_loss_rate_q999",
        "net_loss_rate_es99",
        "mean_peak_dpd30_ratio",
        "mean_peak_dpd90_ratio",
        "mean_end_dpd30_ratio",
        "mean_end_dpd90_ratio",
    ]


def test_quantile_error_matches_asymptotic_theory_and_shrinks_like_root_n():
    """On an exact normal-quantile sample the order-statistic SE approaches
    sqrt(q(1-q)/n) / phi(Phi^-1(q)); quadrupling n halves it."""
    q = 0.95
    ses = {}
    for n in (2_500, 10_000, 40_000):
        x = norm.ppf((np.arange(n) + 0.5) / n)
        r = quantile_with_error(x, q)
        theory = math.sqrt(q * (1 - q) / n) / norm.pdf(norm.ppf(q))
        assert r["se"] == pytest.approx(theory, rel=0.05)
        assert r["ci_low"] < norm.ppf(q) < r["ci_high"]
        ses[n] = r["se"]
    assert ses[2_500] / ses[10_000] == pytest.approx(2.0, rel=0.05)
    assert ses[10_000] / ses[40_000] == pytest.approx(2.0, rel=0.05)


def test_quantile_interval_coverage():
    """Seed 5, 400 samples of n=500 standard normals: the 95% interval for the 95th percentile
    covers the truth in 90%..99% of samples (binomial noise on 400 trials is about 1.1%)."""
    rng = np.random.default_rng(5)
    truth = norm.ppf(0.95)
    hits = 0
    for _ in range(400):
        r = quantile_with_error(rng.standard_normal(500), 0.95)
        hits += r["ci_low"] <= truth <= r["ci_high"]
    assert 0.90 <= hits / 400 <= 0.99


def test_es_uses_at_least_one_path_and_rounds_up():
    assert expected_shortfall_with_error(np.arange(50.0))["k"] == 1
    assert expected_shortfall_with_error(np.arange(150.0))["k"] == 2
    r = expected_shortfall_with_error(np.arange(300.0))
    assert r["k"] == 3 and r["estimate"] == 298.0
    assert r["se"] == pytest.approx(1.0 / math.sqrt(3))


def test_small_samples_do_not_crash():
    s = summary(make_paths([0.02]))
    m = s["metrics"]
    assert m["expected_net_loss_rate"]["estimate"] == 0.02
    for key in m:
        assert math.isnan(m[key]["se"]), key
    assert m["net_loss_rate_q999"]["estimate"] == 0.02
    text = format_summary(s)
    assert "n/a" in text and "2.000%" in text


def test_too_few_paths_for_the_far_tail_is_nan_not_a_fake_error():
    s = summary(make_paths(np.linspace(0, 0.1, 200)))["metrics"]
    assert math.isnan(s["net_loss_rate_q999"]["se"])  # 200 paths cannot bound the 99.9th
    assert math.isfinite(s["net_loss_rate_q95"]["se"]) and s["net_loss_rate_q95"]["se"] > 0


def test_summary_rejects_bad_input():
    with pytest.raises(ValueError):
        summary(make_paths([]))
    with pytest.raises(ValueError):
        summary(make_paths([0.1, 0.2]), confidence=1.0)


def test_format_summary_is_a_fixed_width_table():
    x = (np.arange(400) + 0.5) / 400 * 0.1
    text = format_summary(summary(make_paths(x)))
    lines = text.splitlines()
    header = lines[1]
    assert header.split() == ["Metric", "Estimate", "MC", "s.e."]
    body = lines[3:]
    assert len(body) == 9
    assert len({len(line) for line in lines[1:]}) == 1  # all columns aligned
    assert body[0].startswith("Expected net loss rate")
    assert "5.000%" in body[0]


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

_samples = arrays(
    np.float64,
    st.integers(1, 3000),
    elements=st.floats(-1.0, 2.0, allow_nan=False, allow_subnormal=False),
)


@settings(deadline=None, max_examples=150)
@given(x=_samples, q=st.sampled_from([0.5, 0.95, 0.99, 0.999]))
def test_quantile_interval_brackets_its_estimate(x, q):
    r = quantile_with_error(x, q)
    assert r["estimate"] == pytest.approx(np.quantile(x, q))
    if math.isnan(r["se"]):
        assert math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])
    else:
        assert r["ci_low"] <= r["estimate"] <= r["ci_high"]
        assert r["se"] >= 0


@settings(deadline=None, max_examples=150)
@given(x=_samples)
def test_expected_shortfall_is_at_least_the_quantile(x):
    es = expected_shortfall_with_error(x, 0.99)
    assert es["estimate"] >= np.quantile(x, 0.99) - 1e-12
    assert es["estimate"] <= x.max() + 1e-12
    assert es["k"] == max(1, math.ceil(round(x.size * 0.01, 9)))


def test_statistics_by_name_by_hand():
    x = np.arange(1.0, 1001.0)  # 1..1000
    assert risk.statistic(x, "mean") == 500.5
    assert risk.statistic(x, "p50") == 500.5  # linear interpolation between ranks 500 and 501
    assert risk.statistic(x, "p99") == pytest.approx(990.01)  # 1 + 0.99 * 999
    assert risk.statistic(x, "es99") == 995.5  # the worst 10: 991..1000
    batch = np.stack([x, 2 * x])
    assert list(risk.statistic(batch, "es99", axis=1)) == [995.5, 1991.0]
    assert list(risk.statistic(batch, "p50", axis=1)) == [500.5, 1001.0]
    with pytest.raises(ValueError, match="es99"):
        risk.statistic(x, "p42")


def test_bucket_ranges_follow_charge_off():
    from simulator.contract.buckets import DpdRange, bucket_index, five_category, on_book_range

    assert [on_book_range(k, 180) for k in (0, 1, 5, 6)] == [
        DpdRange(0, 0), DpdRange(1, 30), DpdRange(121, 150), DpdRange(151, 179)]
    assert on_book_range(6, None) == DpdRange(151, None)
    assert on_book_range(6, 360) == DpdRange(151, 359)
    assert on_book_range(4, 120) == DpdRange(91, 119)
    assert on_book_range(5, 120) is None and on_book_range(6, 120) is None
    assert [bucket_index(d) for d in (0, 1, 30, 31, 150, 151, 400)] == [0, 1, 1, 2, 5, 6, 6]
    assert [five_category(d, False) for d in (0, 1, 90, 91, 270, 271, 360, 361)] == [
        "normal", "special_mention", "special_mention", "substandard", "substandard",
        "doubtful", "doubtful", "loss"]
    assert five_category(10, True) == "written_off"
