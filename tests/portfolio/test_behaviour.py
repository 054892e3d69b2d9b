"""Behaviour version 2 (MODEL.md 6), mechanism by mechanism, on the real kernel: each test
would fail without its mechanism, and checks it against a hand-computed or closed-form
expectation. Statistical tests state their seed, size and tolerance (in binomial standard
deviations where the expectation is exact)."""

import math

import numpy as np
import pytest

import simulator
from simulator.book.inputs import kernel_inputs
from simulator.book.macro import build_macro, factor_paths, plain_macro
from simulator.contract.money import MICRO
from simulator.contract.schedule import epoch_day, instalment_micro
from simulator.engine.tables import levels
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Book, _employment, _stream_keys, simulate_block
from simulator.validation.checks import one_factor_behaviour, vasicek_inputs

NO_PLAN = (np.zeros((0, 0), np.int8), np.zeros((0, 0), np.int64))
# The shipped baseline as a template, with the settings these tests assume pinned.
PINNED = ["book.burn_in_months=0", "macro.factor_start=stationary"]


def _scenario(*overrides):
    return simulator.load_scenario("scenarios/baseline.yaml", [*PINNED, *overrides])


def _book(n_borrowers, per_borrower, age, term=3, principal=1_000):
    """``n_borrowers`` borrowers, each with ``per_borrower`` drawdowns of ``principal`` yuan
    disbursed ``age`` days before day 0 (30-day periods): ``age`` and ``term`` may be one value
    or one per drawdown of a borrower."""
    n = n_borrowers * per_borrower
    p = principal * MICRO
    ages = np.tile(np.broadcast_to(np.asarray(age, np.int32), per_borrower), n_borrowers)
    terms = np.tile(np.broadcast_to(np.asarray(term, np.int32), per_borrower), n_borrowers)
    as_of = epoch_day(simulator.load_scenario("scenarios/baseline.yaml").as_of)
    return Book(
        borrower_start=np.arange(0, n + 1, per_borrower, dtype=np.int64),
        borrower_id=np.arange(n_borrowers, dtype=np.int64),
        segment=np.zeros(n_borrowers, np.int32), income=np.full(n_borrowers, 8_000.0),
        drawdown_id=np.arange(n, dtype=np.int64), principal=np.full(n, p, np.int64),
        daily_rate=np.full(n, 0.0005), term=terms, method=np.zeros(n, np.int8),
        instalment=np.array([instalment_micro(p, 0.0005, int(k), "equal_installment")
                             for k in terms], np.int64),
        age=ages, dpd0=np.zeros(n, np.int32), disbursed=(as_of - ages).astype(np.int64),
    )


def _run(book, beh, horizon, paths=1, cure=0.0):
    """Levels of ``book`` under ``beh`` (PD rule) and a daily cure chance ``cure`` in every
    bucket; no factor, shock, season or unemployment."""
    inputs = vasicek_inputs(0.1, 0.1, 1, 1, 0)  # only its contract is used
    months = horizon // 30 + 1
    macro = plain_macro(np.zeros((paths, months)))
    macro = macro._replace(cure_daily=macro.cure_daily + cure)
    agg = np.zeros((paths, horizon + 1, 1, L.N_METRICS), np.int64)
    simulate_block(book, inputs.contract, beh, macro, 0, paths, 0, len(book.borrower_id),
                   horizon, *NO_PLAN, agg, np.zeros((0, L.N_END_FIELDS), np.int64))
    return levels(agg)


def _within(observed, n, p, sds=4.0):
    """``observed`` successes of ``n`` trials agree with chance ``p`` within ``sds`` binomial
    standard deviations."""
    return abs(observed - n * p) <= sds * math.sqrt(n * p * (1 - p))


# ---- the borrower decides -----------------------------------------------------------------
def test_one_decision_a_month_covers_all_the_borrowers_dues():
    # 20,000 borrowers, PD 0.1, rho 0, no cure; each holds a one-month drawdown due on day 5
    # and a three-month one due on day 20, both in month 0: the month's one decision misses
    # both or neither, borrower by borrower (per-drawdown draws would not match exactly).
    n, p = 20_000, 0.1
    book = _book(n, 2, age=[25, 10], term=[1, 3])
    lv = _run(book, one_factor_behaviour(1, p, 0.0, seed=11), horizon=21)[0]
    assert lv[20, 0, L.N_MISSED] == lv[5, 0, L.N_MISSED]
    assert _within(lv[5, 0, L.N_MISSED], n, p)
    assert lv[21, 0, L.N_BY_CODE + 1] == 2 * lv[5, 0, L.N_MISSED]  # both in M1 from day 21


def test_a_borrower_in_arrears_pays_no_new_instalment():
    # The one-month drawdown due on day 25 (month 0), the other disbursed on day 5 and due on
    # day 35 (month 1); no cure. A borrower who missed in month 0 is in arrears on day 35 and
    # misses again whatever month 1's decision: P(miss on day 35) = p + (1 - p) p = 0.19,
    # against p = 0.1 if arrears on one drawdown did not stop payment of the other.
    n, p = 20_000, 0.1
    book = _book(n, 2, age=[5, -5], term=[1, 3])
    lv = _run(book, one_factor_behaviour(1, p, 0.0, seed=12), horizon=36)[0]
    assert _within(lv[25, 0, L.N_MISSED], n, p)
    assert _within(lv[35, 0, L.N_MISSED], n, p + (1 - p) * p)


# ---- loan age -----------------------------------------------------------------------------
def test_the_months_on_book_curve_scales_each_due_date():
    # New loans (disbursed day 0, dues on days 30 and 60), curve [3, 1]: PD 3 x 0.05 on the
    # first due date, 0.05 on the second; everyone cures the next day (cure chance 1), so each
    # month is a fresh decision. 20,000 borrowers, seed 5, 4 sd.
    n, p = 20_000, 0.05
    beh = one_factor_behaviour(1, p, 0.0, seed=5)._replace(
        months_on_book_pd=np.array([3.0, 1.0]))
    lv = _run(_book(n, 1, age=0), beh, horizon=61, cure=1.0)[0]
    assert _within(lv[30, 0, L.N_MISSED], n, 3 * p)
    assert _within(lv[60, 0, L.N_MISSED], n, p)


def test_seasonal_multiplier_applies_in_its_calendar_month():
    # {jan: 2.0} with day 0 on 2026-01-01: a month's multiplier is its middle day's calendar
    # month's, so month 0 (16 Jan) doubles PD and month 1 (15 Feb) does not. A flat age curve,
    # cure the next day: 20,000 borrowers due on days 20 and 50 miss 2 x 0.05, then 0.05.
    n, p = 20_000, 0.05
    scenario = _scenario("behaviour.seasonal_pd={jan: 2.0}")
    macro = build_macro(scenario, ("a", "b", "c"), np.zeros(3))
    assert macro.season[0] == 2.0 and (macro.season[1:12] == 1.0).all()
    beh = one_factor_behaviour(1, p, 0.0, seed=6)
    book = _book(n, 1, age=10)  # dues on days 20 (month 0) and 50 (month 1)
    z = np.zeros((1, 3))
    m = plain_macro(z)._replace(season=np.array([2.0, 1.0, 1.0]))
    m = m._replace(cure_daily=m.cure_daily + 1.0)
    agg = np.zeros((1, 62, 1, L.N_METRICS), np.int64)
    simulate_block(book, vasicek_inputs(0.1, 0.1, 1, 1, 0).contract, beh, m, 0, 1, 0, n, 61,
                   *NO_PLAN, agg, np.zeros((0, L.N_END_FIELDS), np.int64))
    lv = levels(agg)[0]
    assert _within(lv[20, 0, L.N_MISSED], n, 2 * p)
    assert _within(lv[50, 0, L.N_MISSED], n, p)


# ---- employment ---------------------------------------------------------------------------
RAMP = [0, 2, 4, 6, 6, 6, 4, 2, 0, 0, 0, 0, 0]  # pp, months 0..12: ramp, hold, revert


def test_the_pool_follows_the_unemployment_path():
    # Ramp-and-revert shock of +6 pp on the 5.2% pool (beta 1): the simulated rate of the
    # book's borrowers, averaged over 8 paths of 12,500 borrowers, is within 0.2 pp of
    # 5.2% + change in every month (100,000 borrower-months a month: 0.07 pp s.d.).
    s = _scenario(
        "book.borrowers=12500", "monte_carlo.paths=8", "horizon_days=360",
        "book.revolving.new_borrowers_monthly=0",
        "book.segments[0].unemployment_beta=1", "book.segments[1].unemployment_beta=1",
        "book.segments[2].unemployment_beta=1",
        f"shocks=[{{unemployment: {{path: {RAMP}}}}}]")
    from simulator.validation.twin_check import kernel_aggregates

    agg = kernel_aggregates(kernel_inputs(s), 8, threads=1)
    unemployed = agg["borrowers_unemployed"].sum(axis=(0, 2))
    borrowers = agg["borrowers"].sum(axis=(0, 2))
    for m, change in enumerate(RAMP):
        day = 30 * m
        rate = unemployed[day] / borrowers[day]
        assert abs(rate - (0.052 + change / 100)) < 0.002, (m, rate)


def test_spells_last_one_over_the_job_finding_chance():
    # Constant hazards: job finding f = 0.25, so a spell ends each month with chance 0.25 and
    # lasts 1/f = 4 months on average (geometric). 40,000 borrowers x 120 months, seed 3:
    # the share of unemployed borrowers still unemployed a month later is 1 - f within 4 sd,
    # and the mean spell is 4 months within 3% (about 6 s.e. of some 30,000 spells).
    s = _scenario(
        "behaviour.employment.job_finding_monthly=0.25", "monte_carlo.seed=3",
        "horizon_days=3599")
    inputs = kernel_inputs(s, book=_book(1, 1, 0))
    macro = inputs.macro
    months = macro.z.shape[1]
    assert np.allclose(macro.job_finding[:, :-1], 0.25)
    n = 40_000
    book = _book(n, 1, 0)
    chains = np.zeros((n, months), np.int8)
    a = np.zeros((s.horizon_days + 1, 3, L.N_METRICS), np.int64)
    path_keys = _stream_keys(inputs.behaviour.seed, 0)  # path 0
    for b in range(n):
        _employment(chains[b], a, b, 0, path_keys, s.horizon_days, book, inputs.behaviour,
                    macro)
    was, now = chains[:, :-1] == 1, chains[:, 1:] == 1
    stayed, at_risk = int((was & now).sum()), int(was.sum())
    assert _within(stayed, at_risk, 0.75)
    lengths = []  # spells starting in months 1..60: all but 0.75^60 of them end by month 120
    for row in chains:
        edges = np.flatnonzero(np.diff(np.r_[0, row, 0]))
        starts, ends = edges[::2], edges[1::2]
        lengths += [e - b for b, e in zip(starts, ends, strict=True) if 0 < b <= 60 and e < months]
    assert abs(np.mean(lengths) - 4.0) < 0.12


# ---- affordability every month ------------------------------------------------------------
def test_a_higher_price_raises_the_miss_rate_in_a_calm_month():
    # Risk-based pricing with the same rate for every grade, 0.0003 against 0.0010 a day, on
    # a book of applicants (24,000 over the year against 2,000 seasoned borrowers): the higher
    # instalment raises the DSR and so PD in every month, no shock needed. Common random
    # numbers: the seasoned book is the same in both.
    def missed(rate):
        grades = "{" + ", ".join(f"{g}: {rate}" for g in "ABCDE") + "}"
        s = _scenario(
            "book.borrowers=2000", "monte_carlo.paths=2", "monte_carlo.seed=21",
            "book.revolving.new_borrowers_monthly=1.0",
            f"policy.pricing={{grade_rates: {grades}}}")
        from simulator.validation.twin_check import kernel_aggregates

        return kernel_aggregates(kernel_inputs(s), 2, threads=1)["n_missed"].sum()

    low, high = missed(0.0003), missed(0.0010)
    # a 12-month drawdown's level payment rises by P x 0.0007 x 30 x 13/24 = 1.1% of
    # principal; at DSR sensitivity 3 and a median principal/income near 1, PD rises ~3-6%
    assert high > low * 1.02, (low, high)


# ---- cycles in collection -----------------------------------------------------------------
def test_cures_move_with_the_factor():
    # 20,000 borrowers in M1 at day 0, cure 5% a day, loading 0.5: on every path the day-1
    # cures with the factor shifted by -1.5 sd are exp(-0.75) = 0.472 of those without (the
    # same draws); summed over 4 paths, within 10% (about 4 sd).
    def cures(shift):
        extra = [f"shocks=[{{factor: {{change_sd: {shift}}}}}]"] if shift else []
        s = _scenario(
            "book.borrowers=20000", "monte_carlo.paths=4", "horizon_days=2",
            "behaviour.cure_factor_loading=0.5", "behaviour.cure_daily={M1: 0.05}",
            "behaviour.partial_daily={M1: 0.0}",
            *[f"book.segments[{i}].initial_buckets={{M1: 1.0}}" for i in range(3)],
            *extra)
        from simulator.validation.twin_check import kernel_aggregates

        return kernel_aggregates(kernel_inputs(s), 4, threads=1)["n_cured"][:, 1].sum()

    ratio = cures(-1.5) / cures(0)
    assert abs(ratio / math.exp(-0.75) - 1) < 0.10, ratio


def test_the_recovery_rate_moves_with_the_factor():
    s = _scenario("recovery.factor_loading=0.4")
    inputs = kernel_inputs(s, book=_book(1, 1, 0))
    from simulator.kernels.portfolio import _path_chances

    months = inputs.macro.z.shape[1]
    hazard = np.empty((months, L.N_BUCKETS, L.N_HAZARDS))
    recovery = np.empty(months)
    z = np.linspace(-3, 3, months)[None, :]
    _path_chances(hazard, recovery, inputs.macro._replace(z=z), 0, inputs.behaviour)
    assert np.allclose(recovery, np.minimum(1.0, 0.10 * np.exp(0.4 * z[0])), rtol=1e-15)


# ---- where the factor starts, segment factors ---------------------------------------------
def test_factor_start_is_a_forecast_from_today():
    # Z[0] = phi z0 + sqrt(1 - phi^2) e: over 4,000 paths its mean is 0.7 x -1 within 4 s.e.
    # and its variance 1 - 0.49 within 10%; stationary, mean 0 and variance 1.
    z = factor_paths(9, 0, 4000, 2, 0.7, start=-1.0)[:, 0]
    se = math.sqrt(0.51 / 4000)
    assert abs(z.mean() + 0.7) < 4 * se and abs(z.var() / 0.51 - 1) < 0.10
    z = factor_paths(9, 0, 4000, 2, 0.7)[:, 0]
    assert abs(z.mean()) < 4 / math.sqrt(4000) and abs(z.var() - 1) < 0.10


def test_segment_factors_load_on_the_systematic_one():
    # Z_s = sqrt(w) Z + sqrt(1 - w) eta_s, w = 0.36: corr(Z_s, Z) = 0.6, corr between two
    # segments 0.36; 3,000 paths, within 0.05 (about 3 s.e.). Each keeps an N(0, 1) marginal.
    s = _scenario(
        "monte_carlo.paths=3000", "behaviour.segment_factor_weight=0.36")
    macro = build_macro(s, ("a", "b", "c"), np.ones(3))
    z, zs = macro.z[:, 0], macro.segment_z[:, :, 0]
    assert abs(np.corrcoef(z, zs[:, 0])[0, 1] - 0.6) < 0.05
    assert abs(np.corrcoef(zs[:, 0], zs[:, 1])[0, 1] - 0.36) < 0.05
    assert abs(zs[:, 1].std() - 1) < 0.05


# ---- the burn-in --------------------------------------------------------------------------
def test_the_burn_in_makes_the_day_0_book():
    # 6 months before day 0 from a book typed all current: at day 0 the model's own arrears
    # (M3 needs 61+ days of it), nothing recorded as flowing before day 1, and each path's
    # book is the one its own history made (the factor's months before day 0 differ).
    s = _scenario(
        "book.borrowers=2000", "monte_carlo.paths=3", "horizon_days=60",
        "book.burn_in_months=6",
        *[f"book.segments[{i}].initial_buckets={{M0: 1.0}}" for i in range(3)])
    from simulator.validation.twin_check import kernel_aggregates

    inputs = kernel_inputs(s)
    assert inputs.macro.z.shape[1] == 6 + 60 // 30 + 1
    agg = kernel_aggregates(inputs, 3, threads=1)
    assert (agg["n_M3"][:, 0].sum(axis=1) > 0).all()
    for flow in ("principal_paid", "n_missed", "disbursed_principal", "charged_off_principal"):
        assert agg[flow][:, 0].sum() == 0, flow
    assert len({int(agg["n_M1"][p, 0].sum()) for p in range(3)}) > 1


def test_the_factor_history_runs_backward_into_day_0():
    # A stationary AR(1) read backward is the same AR(1): corr(Z[-1], Z[0) = phi = 0.7 and
    # Z[-1] ~ N(0, 1) (4,000 paths, within 0.05); pinned, the month before day 0 is z0 and
    # the one before that phi z0 + noise.
    s = _scenario(
        "monte_carlo.paths=4000", "book.burn_in_months=3")
    z = build_macro(s, ("a", "b", "c"), np.ones(3)).z
    assert abs(np.corrcoef(z[:, 2], z[:, 3])[0, 1] - 0.7) < 0.05
    assert abs(z[:, 2].std() - 1) < 0.05
    s = _scenario(
        "monte_carlo.paths=4000", "book.burn_in_months=3", "macro.factor_start=-1.5")
    z = build_macro(s, ("a", "b", "c"), np.ones(3)).z
    assert (z[:, 2] == -1.5).all()
    assert abs(z[:, 1].mean() - 0.7 * -1.5) < 4 * math.sqrt(0.51 / 4000)
    assert abs(z[:, 3].mean() - 0.7 * -1.5) < 4 * math.sqrt(0.51 / 4000)


def test_a_tape_takes_no_burn_in(tmp_path):
    from simulator.errors import InputError

    (tmp_path / "s.yaml").write_text("name: t\nbook: {tape: t.csv, burn_in_months: 3}\n")
    with pytest.raises(InputError, match="burn_in_months"):
        simulator.load_scenario(tmp_path / "s.yaml")


def test_a_channel_beyond_its_capacity_is_diluted_and_paid_for_what_it_works():
    # Every drawdown of 20,000 borrowers in M1 at day 0, cure 5% a day, one channel on M1
    # tripling it at 2 yuan an account-day, able to work a quarter of the load: the uplift is
    # diluted to 1 + (3 - 1) x 0.25 = 1.5, so day-1 cures are 7.5% of the drawdowns (cures are
    # the borrower's: all its drawdowns at once; tolerance 4 sd of that clustered count), and
    # day 1 costs 2 yuan x the capacity (the load stays above it). Unlimited: 15%, and every
    # account left in M1 is paid for.
    n = 20_000
    base = [
        "book.borrowers=20000", "monte_carlo.paths=1", "horizon_days=1",
        "book.revolving.new_borrowers_monthly=0", "behaviour.cure_factor_loading=0",
        "behaviour.cure_daily={M1: 0.05}", "behaviour.partial_daily={M1: 0.0}",
        *[f"book.segments[{i}].initial_buckets={{M1: 1.0}}" for i in range(3)]]
    book = kernel_inputs(_scenario(*base)).book
    per_borrower = np.diff(book.borrower_start)
    drawdowns = int(per_borrower.sum())
    capacity = 0.25 * drawdowns / n * 10_000  # per 10,000 borrowers

    def run(limit):
        channel = "{buckets: [M1], cure_multiplier: 3.0, cost_per_account_day: 2.0"
        channel += f", capacity_per_10k_borrowers: {limit}}}" if limit else "}"
        s = _scenario(*base, f"policy.collection={{channels: {{calls: {channel}}}}}")
        tables, _ = simulator.api.simulate(s, threads=1)
        ts = tables["timeseries"].to_pydict()
        day1 = [i for i, d in enumerate(ts["day"]) if d == 1]
        return (sum(ts["n_cured"][i] for i in day1), sum(ts["collection_cost"][i] for i in day1),
                sum(ts["n_M1"][i] for i in day1))

    def near(cured, h):
        sd = math.sqrt(float((per_borrower**2).sum()) * h * (1 - h))
        return abs(cured - drawdowns * h) <= 4 * sd

    cured, cost, _ = run(capacity)
    assert near(cured, 0.075)
    assert cost == pytest.approx(2.0 * 0.25 * drawdowns, rel=1e-12)
    cured, cost, left = run(None)
    assert near(cured, 0.15)
    assert cost == pytest.approx(2.0 * left, rel=1e-12)


def test_levers_act_from_day_1_so_a_policy_run_and_its_baseline_share_day_0():
    # The case study after its levers (underwriting, restructuring, collection, legal) and
    # before them, burnt in 6 months: the same day-0 book, cell for cell; then they part.
    from simulator.validation.twin_check import kernel_aggregates

    runs = {}
    for name in ("case_study_before", "case_study_after"):
        s = simulator.load_scenario(f"scenarios/{name}.yaml", [
            "book.borrowers=1500", "monte_carlo.paths=2", "horizon_days=60",
            "book.burn_in_months=6"])
        runs[name] = kernel_aggregates(kernel_inputs(s), 2, threads=1)
    before, after = runs["case_study_before"], runs["case_study_after"]
    for metric in ("n_M0", "n_M1", "n_M4", "principal_M2", "n_CO", "n_closed", "n_restructured"):
        assert np.array_equal(before[metric][:, 0], after[metric][:, 0]), metric
    assert not np.array_equal(before["n_M1"][:, 60], after["n_M1"][:, 60])
