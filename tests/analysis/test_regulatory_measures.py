"""The regulators' measures on tiny hand-made aggregates: the NPL ratio without disposal (PBOC)
and the nine-quarter loss rate on average balance (Federal Reserve)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis import metrics
from simulator.analysis.compare import format_table
from simulator.analysis.figures import DPD90, NINE_QUARTERS_DAYS, nine_quarter_window
from simulator.analysis.summary import derive_tables
from simulator.contract.buckets import BUCKETS, on_book_range
from tests.analysis.tiny_timeseries import table


def _npl_book() -> dict:
    """Two paths x four days x one segment.

    Path 0: 1000 on book; 100 rolls into M4 on day 2; on day 3 it is charged off (the
    charge-off threshold's 90 DPD book) and 50 of M0 has repaid.
    Path 1: 200 on book, all in M1 on day 1 (not 90+), back to current on day 2; nothing lost.
    """
    m0 = np.array([[1000, 1000, 900, 850], [200, 0, 200, 200]], dtype=float)
    m1 = np.array([[0, 0, 0, 0], [0, 200, 0, 0]], dtype=float)
    m4 = np.array([[0, 0, 100, 0], [0, 0, 0, 0]], dtype=float)
    co = np.array([[0, 0, 0, 100], [0, 0, 0, 0]], dtype=float)
    rec = np.array([[0, 0, 0, 10], [0, 0, 0, 0]], dtype=float)
    return dict(principal_M0=m0[..., None], principal_M1=m1[..., None],
                principal_M4=m4[..., None], cum_charged_off_principal=co[..., None],
                cum_recoveries=rec[..., None])


def test_npl_without_disposal_per_day_and_path_by_hand():
    tables = derive_tables(table(2, 4, ["s"], **_npl_book()))
    npl = np.stack([metrics.on_day(tables, "npl_no_disposal_ratio", d) for d in range(4)], 1)
    # path 0: day 2 (100 + 0) / (1000 + 0); day 3 (0 + 100) / (850 + 100): the charged-off
    # principal stays in (gross, the 10 recovered is not netted)
    assert npl[0] == pytest.approx([0.0, 0.0, 0.1, 100 / 950], rel=1e-15)
    assert npl[1].tolist() == [0.0, 0.0, 0.0, 0.0]  # 1-30 DPD is not non-performing
    # the on-book 90+ ratio forgets the charge-off, the measure without disposal does not
    assert metrics.on_day(tables, "dpd90_ratio", 3)[0] == 0.0
    assert tables["paths"].column("end_npl_no_disposal_ratio").to_pylist() == pytest.approx(
        [100 / 950, 0.0], rel=1e-15)


def test_npl_without_disposal_follows_the_charge_off_threshold():
    # at charge_off_dpd 90 no 90+ bucket holds principal on book, so the measure is charged-off
    # principal over on-book plus charged-off principal
    assert all(on_book_range(BUCKETS.index(b), 90) is None for b in DPD90.buckets)
    assert on_book_range(BUCKETS.index(DPD90.buckets[0]), 120) is not None
    book = _npl_book()
    book["principal_M4"] = book["principal_M4"] * 0
    tables = derive_tables(table(2, 4, ["s"], **book))
    assert metrics.on_day(tables, "npl_no_disposal_ratio", 3) == pytest.approx([100 / 950, 0.0])


def test_npl_without_disposal_by_segment_in_the_quantiles_table():
    # segment a as path 0 above, segment b a clean 1000 on book: book-wide day 3 is
    # (0 + 100) / (850 + 1000 + 100), segment a alone 100 / 950, segment b 0
    book = {k: np.concatenate([v[:1], np.zeros_like(v[:1])], axis=2) for k, v in
            _npl_book().items()}
    book["principal_M0"][0, :, 1] = 1000
    q = derive_tables(table(1, 4, ["a", "b"], **book))["quantiles"].to_pydict()
    mean = {(d, m): v for d, m, s, v in zip(q["day"], q["metric"], q["stat"], q["value"],
                                            strict=True) if s == "mean"}
    assert mean[(3, "npl_no_disposal_ratio")] == pytest.approx(100 / 1950, rel=1e-15)
    assert mean[(3, "npl_no_disposal_ratio:a")] == pytest.approx(100 / 950, rel=1e-15)
    assert mean[(3, "npl_no_disposal_ratio:b")] == 0.0


def test_nine_quarter_loss_rate_past_nine_quarters_by_hand():
    """One path, days 0..900: 1000 on book through day 810, then 400; one yuan charged off and
    0.1 recovered each day."""
    days = 901
    assert NINE_QUARTERS_DAYS == 810  # 27 simulation months of 30 days
    d = np.arange(days, dtype=float)
    on_book = np.where(d <= 810, 1000.0, 400.0)[None, :, None]
    tables = derive_tables(table(1, days, ["s"], principal_M0=on_book,
                                 cum_charged_off_principal=d[None, :, None],
                                 cum_recoveries=0.1 * d[None, :, None]))
    p = tables["paths"].to_pydict()
    # nine quarters: (810 - 81) over the mean of 811 days at 1000
    assert p["nine_quarter_loss_rate"] == pytest.approx([729 / 1000], rel=1e-12)
    # the horizon: (900 - 90) over (811 x 1000 + 90 x 400) / 901
    assert p["loss_rate_avg_balance"] == pytest.approx([810 * 901 / (811_000 + 36_000)],
                                                       rel=1e-12)
    assert metrics.compute(tables, ["nine_quarter_loss_rate"])["nine_quarter_loss_rate"] == \
        pytest.approx([0.729], rel=1e-12)
    assert nine_quarter_window(900) == "nine quarters (days 1..810)"


def test_nine_quarter_loss_rate_over_a_shorter_horizon_is_annotated():
    tables = derive_tables(table(2, 4, ["s"], **_npl_book()))
    p = tables["paths"].to_pydict()
    # path 0: (100 - 10) / mean(1000, 1000, 1000, 850); path 1 lost nothing
    assert p["nine_quarter_loss_rate"] == pytest.approx([90 / 962.5, 0.0], rel=1e-15)
    assert p["nine_quarter_loss_rate"] == p["loss_rate_avg_balance"]
    assert "the 3-day horizon only" in nine_quarter_window(3)
    result = {"confidence": 0.95, "rows": [
        {"metric": "nine_quarter_loss_rate", "stat": "mean", "unit": "ratio",
         "values": [0.05, 0.06], "diffs": [None, {"difference": 0.01, "ci_low": 0.0,
                                                   "ci_high": 0.02, "se": 0.005}]}],
              "runs": [{"folder": "a", "name": "a", "seed": 1, "paths": 2, "horizon_days": 365,
                        "paired_with_first": None},
                       {"folder": "b", "name": "b", "seed": 1, "paths": 2, "horizon_days": 810,
                        "paired_with_first": True}]}
    text = format_table(result)
    assert "[0] nine_quarter_loss_rate covers the 365-day horizon only" in text
    assert "[1] nine_quarter_loss_rate covers" not in text


def test_year_end_metric_and_day_bounds():
    tables = derive_tables(table(2, 4, ["s"], **_npl_book()))
    # a horizon shorter than a year: the last day
    got = metrics.compute(tables, ["npl_no_disposal_year_end"])["npl_no_disposal_year_end"]
    assert got == pytest.approx([100 / 950, 0.0], rel=1e-15)
    with pytest.raises(Exception, match="outside the run's days 0..3"):
        metrics.on_day(tables, "dpd90_ratio", 4)
    with pytest.raises(Exception, match="unknown day metric"):
        metrics.on_day(tables, "dpd90_end", 1)
