"""The kernel against the behaviour twin (plain Python, every drawdown on every day, the same
draws): every aggregate metric on every path, day and segment must be equal, on the shipped
scenarios and on generated ones that switch on every lever; and the comparison must catch a
kernel result off by one micro-yuan or one draw."""

import datetime as _dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator
from simulator.book.collection import with_capacity
from simulator.book.inputs import kernel_inputs
from simulator.scenario.schema import Scenario
from simulator.validation.twin import (
    FLOW_METRICS,
    LEVEL_METRICS,
    METRIC_NAMES,
    VINTAGE_METRICS,
    simulate_twin,
)
from simulator.validation.twin_check import (
    check_twin,
    compare,
    kernel_aggregates,
    kernel_levels,
)

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))


def _small(path, borrowers, horizon, *extra):
    """A shipped scenario, small; a shipped burn-in shortened to three months (the twin
    steps every day of it in plain Python)."""
    burn_in = min(3, simulator.load_scenario(path).book.burn_in_months)
    return simulator.load_scenario(path, [f"book.borrowers={borrowers}", "monte_carlo.paths=2",
                                          f"horizon_days={horizon}",
                                          f"book.burn_in_months={burn_in}", *extra])


def test_the_twin_reports_every_engine_metric():
    from simulator.validation.checks import METRICS

    assert set(METRIC_NAMES) == set(METRICS)
    assert not set(LEVEL_METRICS) & set(FLOW_METRICS)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_twin_equals_kernel_on_shipped_scenario(path):
    r = check_twin(_small(path, 100, 240))
    assert r.ok, r.comparison.first
    # every metric's cells, and the vintage block's: vintages and months 0..8 of 240 days
    assert r.comparison.cells == (2 * 241 * r.segments * len(METRIC_NAMES)
                                  + 2 * 9 * 9 * len(VINTAGE_METRICS))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_twin_equals_kernel_on_shipped_scenario_over_its_own_horizon(path):
    scenario = simulator.load_scenario(path, ["book.borrowers=150", "monte_carlo.paths=2"])
    r = check_twin(scenario)
    assert r.ok, r.comparison.first


# ------------------------------------------------------------------ generated scenarios

METHODS = ("equal_installment", "interest_first", "equal_principal")
ALLOCATIONS = ("default", "statute", "principal_first")
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6")


def _unit(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def segments(draw, index, charge_off):
    arrears = draw(st.sampled_from([0.0, 0.1, 0.3]))
    spread = draw(st.lists(_unit(0.0, 1.0), min_size=6, max_size=6))
    for k in range(1, 7):  # no day-0 arrears at or beyond charge-off
        if charge_off is not None and 30 * (k - 1) + 1 >= charge_off:
            spread[k - 1] = 0.0
    total = sum(spread)
    if total == 0.0:
        arrears, total = 0.0, 1.0
    buckets = {"M0": 1.0 - arrears} | {
        b: arrears * w / total for b, w in zip(BUCKETS[1:], spread, strict=True)}
    buckets["M0"] = 1.0 - sum(v for k, v in buckets.items() if k != "M0")
    principal = draw(st.one_of(
        st.builds(lambda x: {"fixed": x}, st.sampled_from([1000.0, 5000.0, 12345.67])),
        st.builds(lambda m, s: {"lognormal": {"median": m, "sigma": s}},
                  _unit(2000, 20000), _unit(0.0, 1.0)),
        st.builds(lambda lo, w: {"uniform": {"low": lo, "high": lo + w}},
                  _unit(1000, 5000), _unit(0, 20000)),
    ))
    return {
        "name": f"seg{index}",
        "share": 1.0,
        "daily_rate": draw(_unit(0.0001, 0.001)),
        "term_months": draw(st.sampled_from([1, 3, 6, 12, 24])),
        "method": draw(st.sampled_from(METHODS)),
        "principal": principal,
        "monthly_income": {"lognormal": {"median": draw(_unit(1500, 20000)),
                                         "sigma": draw(_unit(0.0, 1.0))}},
        "drawdowns": draw(st.sampled_from([[1.0], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])),
        "initial_buckets": buckets,
        "base_pd": draw(_unit(0.005, 0.3)),
        "other_debt_service_ratio": draw(_unit(0.0, 0.6)),
        "unemployment_beta": draw(_unit(0.0, 3.0)),
        "score_pd_loading": draw(_unit(0.0, 1.5)),
    }


def _timed(draw):
    return {"start_month": draw(st.integers(0, 3)), "ramp_months": draw(st.integers(0, 3)),
            "hold_months": draw(st.sampled_from([None, 0, 2])),
            "revert_months": draw(st.integers(0, 3))}


@st.composite
def shocks(draw, names):
    out = []
    if draw(st.booleans()):
        out.append({"income": {"change": draw(_unit(-0.5, 0.2)), **_timed(draw),
                               "segments": draw(st.sampled_from([None, names[:1]]))}})
    if draw(st.booleans()):
        out.append({"unemployment": {"change_pp": draw(st.sampled_from([-1.0, 3.0, 10.0, 20.0])),
                                     **_timed(draw)}})
    if draw(st.booleans()):
        out.append({"rate": {"change_bp": draw(_unit(-200, 400)), **_timed(draw)}})
    if draw(st.booleans()):
        out.append({"factor": {"change_sd": draw(_unit(-2.5, 1.0)), **_timed(draw)}})
    for shock in out:  # the schema wants no null keys
        for body in shock.values():
            for key in [k for k, v in body.items() if v is None]:
                del body[key]
    return out


@st.composite
def policies(draw):
    policy = {}
    if draw(st.booleans()):
        policy["underwriting"] = {
            "approve_share": draw(_unit(0.2, 1.0)), "score_accuracy": draw(_unit(0.0, 1.0)),
            "limit_income_multiple": draw(st.sampled_from([None, 0.3, 2.0]))}
        if policy["underwriting"]["limit_income_multiple"] is None:
            del policy["underwriting"]["limit_income_multiple"]
    if draw(st.booleans()):
        policy["pricing"] = {"grade_rates": {g: draw(_unit(0.0001, 0.001)) for g in
                                             draw(st.sampled_from(["AE", "ABCDE", "C"]))}}
    if draw(st.booleans()):
        lo = draw(st.integers(1, 60))
        policy["restructuring"] = {
            "dpd_from": lo, "dpd_to": lo + draw(st.integers(0, 90)),
            "acceptance_daily": draw(_unit(0.01, 0.3)),
            "extra_months": draw(st.integers(0, 12)),
            "waive_penalties": draw(st.booleans()), "pd_multiplier": draw(_unit(0.0, 5.0))}
    if draw(st.booleans()):
        policy["collection"] = {"channels": {
            "calls": {"buckets": draw(st.sampled_from([["M1"], ["M1", "M2"], ["M3", "M6"]])),
                      "cure_multiplier": draw(_unit(0.0, 4.0)),
                      "cost_per_account_day": draw(_unit(0.0, 5.0)),
                      "capacity_per_10k_borrowers": draw(st.sampled_from([None, 5.0, 200.0]))}}}
        if policy["collection"]["channels"]["calls"]["capacity_per_10k_borrowers"] is None:
            del policy["collection"]["channels"]["calls"]["capacity_per_10k_borrowers"]
    if draw(st.booleans()):
        policy["legal"] = {"share": draw(_unit(0.1, 1.0)),
                           "recovery_rate": draw(_unit(0.0, 1.0)),
                           "lag_days": draw(st.integers(0, 120)),
                           "cost_per_case": draw(_unit(0.0, 500.0))}
    return policy


@st.composite
def scenarios(draw, max_borrowers, max_horizon):
    acceleration = draw(st.sampled_from([None, 1, 30, 60, 90]))
    charge_off = draw(st.sampled_from([None, 40, 91, 120, 180]))
    if acceleration is not None and charge_off is not None and charge_off <= acceleration:
        charge_off = acceleration + draw(st.integers(1, 60))
    n_seg = draw(st.integers(1, 2))
    segs = [draw(segments(i, charge_off)) for i in range(n_seg)]
    for s in segs:
        s["share"] = 1.0 / n_seg
    cure = {b: draw(_unit(0.0, 0.2)) for b in BUCKETS[1:]}
    partial = {b: draw(_unit(0.0, 0.1)) for b in BUCKETS[1:]}
    data = {
        "name": "generated",
        "horizon_days": draw(st.integers(60, max_horizon)),
        "as_of": draw(st.dates(_dt.date(2020, 1, 1), _dt.date(2030, 12, 31))),
        "monte_carlo": {"paths": 2, "seed": draw(st.integers(0, 2**40))},
        "book": {
            "borrowers": draw(st.integers(20, max_borrowers)),
            "revolving": {"redraw_probability": draw(st.sampled_from([0.0, 0.5, 1.0])),
                          "new_borrowers_monthly": draw(st.sampled_from([0.0, 0.05, 0.2]))},
            "segments": segs,
            "burn_in_months": draw(st.sampled_from([0, 0, 1, 2])),
        },
        "macro": {"factor_start": draw(st.sampled_from(["stationary", 0.0, -1.5]))},
        "contract": {
            "penalty_multiplier": draw(_unit(1.0, 3.0)),
            "compound_interest": draw(st.booleans()),
            "late_fee": draw(st.sampled_from([0.0, 5.0, 12.34])),
            "penalty_grace_days": draw(st.sampled_from([0, 0, 1, 3, 10])),
            "grace_retroactive": draw(st.booleans()),
            "acceleration_dpd": acceleration,
            "charge_off_dpd": charge_off,
            "allocation": draw(st.sampled_from(ALLOCATIONS)),
            "schedule_period": draw(st.sampled_from([30, 30, 7, 14, 31, "calendar"])),
            "enforceable_apr_cap": draw(_unit(0.0, 0.5)),
            "non_accrual_dpd": draw(st.sampled_from([1, 30, 90, 400])),
        },
        "behaviour": {
            "rho": draw(_unit(0.0, 0.5)),
            "factor_persistence": draw(_unit(0.0, 0.95)),
            "dsr_sensitivity": draw(st.one_of(st.sampled_from([3.0, 6.0]), _unit(0.0, 6.0))),
            "unemployed_income_ratio": draw(st.one_of(st.sampled_from([0.0, 0.4]),
                                                      _unit(0.0, 1.0))),
            "other_debt_rate_sensitivity": draw(_unit(0.0, 0.3)),
            "cure_daily": cure,
            "partial_daily": partial,
            "partial_share": draw(_unit(0.05, 1.0)),
            "cure_factor_loading": draw(_unit(-0.5, 1.0)),
            "prepayment_monthly": draw(_unit(0.0, 0.3)),
            "dsr_reference": draw(_unit(0.1, 0.6)),
            "unemployed_pd_multiplier": draw(st.sampled_from([1.0, 2.5])),
            "employment": {"unemployment_rate": draw(st.sampled_from([0.05, 0.3])),
                           "job_finding_monthly": draw(st.sampled_from([0.2, 0.9]))},
            "months_on_book_pd": draw(st.sampled_from([[1.0], [3.0, 1.5, 0.5], [0.5, 2.0]])),
            "seasonal_pd": draw(st.sampled_from([{}, {"jan": 2.0, "feb": 3.0, "jul": 0.5}])),
            "segment_factor_weight": draw(st.sampled_from([1.0, 0.3])),
        },
        "recovery": {"rate": draw(_unit(0.0, 1.0)), "lag_days": draw(st.integers(0, 200)),
                     "factor_loading": draw(st.sampled_from([0.0, 0.5]))},
        "shocks": draw(shocks([s["name"] for s in segs])),
        "policy": draw(policies()),
    }
    return Scenario.model_validate(data)


def _settings_switched_on(s: Scenario) -> set[str]:
    """The settings a generated scenario switches on, named for the coverage check."""
    c, p = s.contract, s.policy
    on = {f"allocation {c.allocation}", f"compound {c.compound_interest}",
          "period calendar" if c.schedule_period == "calendar" else "period days"}
    on |= {f"method {seg.method}" for seg in s.book.segments}
    if c.penalty_grace_days:
        on.add(f"grace retroactive {c.grace_retroactive}")
    on.add("acceleration off" if c.acceleration_dpd is None else "acceleration on")
    on.add("charge-off off" if c.charge_off_dpd is None else "charge-off on")
    on |= {f"lever {name}" for name in ("underwriting", "pricing", "collection", "legal")
           if getattr(p, name) is not None}
    if p.restructuring is not None:
        on.add(f"restructuring waive {p.restructuring.waive_penalties}")
    on |= {f"shock {shock.kind}" for shock in s.shocks}
    if s.book.revolving.redraw_probability > 0:
        on.add("redraws")
    if s.book.revolving.new_borrowers_monthly > 0:
        on.add("applicants")
    if s.book.burn_in_months > 0:
        on.add("burn-in")
    on.add("factor start stationary" if s.macro.factor_start == "stationary"
           else "factor start given")
    return on


SETTINGS_EXPECTED = (
    {f"allocation {a}" for a in ALLOCATIONS} | {f"method {m}" for m in METHODS}
    | {"period calendar", "period days", "compound True", "compound False",
       "grace retroactive True", "grace retroactive False", "acceleration on",
       "acceleration off", "charge-off on", "charge-off off", "restructuring waive True",
       "restructuring waive False", "redraws", "applicants", "burn-in",
       "factor start stationary", "factor start given"}
    | {f"lever {n}" for n in ("underwriting", "pricing", "collection", "legal")}
    | {f"shock {k}" for k in ("income", "unemployment", "rate", "factor")}
)

# Mechanisms seen in the aggregates: each must fire (be non-zero) in some generated case.
MECHANISMS = ("n_missed", "n_cured", "n_prepaid", "prepaid_principal", "penalty_accrued",
              "compound_accrued", "fees_charged", "nonaccrual_charges", "n_roll30", "n_roll90",
              "borrowers_dpd90", "charged_off_principal", "recoveries", "n_litigated",
              "legal_recoveries", "legal_cost", "n_restructurings", "n_restructured",
              "capitalised", "waived", "n_new", "disbursed_principal", "n_closed",
              "penalty_paid", "compound_paid", "fees_paid", "borrowers_unemployed",
              "principal_due", "principal_due_unpaid", "principal_collected_30")


# Mechanisms the aggregates do not count directly: each must change them in some generated
# case, shown by rerunning the twin with the mechanism off (only until it has been seen once).
COUNTERFACTUALS = {
    "acceleration": (lambda i: i.contract.acceleration_dpd >= 0,
                     lambda i: i._replace(contract=i.contract._replace(acceleration_dpd=-1))),
    "grace days": (lambda i: i.contract.grace_days > 0,
                   lambda i: i._replace(contract=i.contract._replace(grace_days=0))),
    "retroactive grace": (lambda i: i.contract.grace_days > 0,
                          lambda i: i._replace(contract=i.contract._replace(
                              grace_retroactive=not i.contract.grace_retroactive))),
    "partial payments": (lambda i: i.macro.partial_daily.any(),
                         lambda i: i._replace(macro=i.macro._replace(
                             partial_daily=0.0 * i.macro.partial_daily))),
    "employment": (lambda i: True,
                   lambda i: i._replace(macro=i.macro._replace(
                       unemployment_start=0.0 * i.macro.unemployment_start,
                       separation=0.0 * i.macro.separation))),
    "months on book": (lambda i: len(set(i.behaviour.months_on_book_pd)) > 1,
                       lambda i: i._replace(behaviour=i.behaviour._replace(
                           months_on_book_pd=np.ones(1)))),
    "season": (lambda i: (i.macro.season != 1.0).any(),
               lambda i: i._replace(macro=i.macro._replace(season=0.0 * i.macro.season + 1))),
    "segment factors": (lambda i: not np.array_equal(i.macro.segment_z[:, 0], i.macro.z),
                        lambda i: i._replace(macro=i.macro._replace(
                            segment_z=np.repeat(i.macro.z[:, None, :],
                                                i.macro.segment_z.shape[1], axis=1)))),
    "cyclical recovery": (lambda i: i.behaviour.recovery_factor_loading != 0.0,
                          lambda i: i._replace(behaviour=i.behaviour._replace(
                              recovery_factor_loading=0.0))),
    "affordability": (lambda i: i.behaviour.dsr_sensitivity > 0,
                      lambda i: i._replace(behaviour=i.behaviour._replace(dsr_sensitivity=0.0))),
}


def _differs(a, b):
    return any(not np.array_equal(a[n], b[n]) for n in a)


def _run_generated(max_examples, max_borrowers, max_horizon):
    settings_seen: Counter[str] = Counter()
    fired: Counter[str] = Counter()

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              print_blob=True)
    @given(scenarios(max_borrowers, max_horizon))
    def one(scenario):
        inputs = kernel_inputs(scenario)
        if inputs.channels.limited:  # the capacity's second pass, as a run makes it
            inputs = with_capacity(scenario, inputs, kernel_levels(inputs, 2, threads=1))
        twin = simulate_twin(inputs, 2)
        result = compare(kernel_aggregates(inputs, 2, threads=1), twin, inputs.segments)
        assert result.ok, (result.first, scenario.model_dump_json())
        settings_seen.update(_settings_switched_on(scenario))
        fired.update(name for name in MECHANISMS if twin[name].any())
        c = scenario.contract
        if twin["penalty_paid"].any() or twin["fees_paid"].any():  # allocation order mattered
            fired.update([f"charges paid under {c.allocation}"])
        if c.penalty_grace_days and twin["penalty_accrued"].any():
            fired.update([f"penalty after grace, retroactive {c.grace_retroactive}"])
        if c.schedule_period == "calendar" and twin["n_missed"].any():
            fired.update(["missed a calendar-month due date"])
        for name, (applies, switch_off) in COUNTERFACTUALS.items():
            if not fired[name] and applies(inputs):
                if _differs(simulate_twin(switch_off(inputs), 2), twin):
                    fired.update([name])

    one()
    missing_settings = SETTINGS_EXPECTED - set(settings_seen)
    assert not missing_settings, missing_settings
    expected = set(MECHANISMS) | {f"charges paid under {a}" for a in ALLOCATIONS} | {
        "penalty after grace, retroactive True", "penalty after grace, retroactive False",
        "missed a calendar-month due date"} | set(COUNTERFACTUALS)
    assert not expected - set(fired), expected - set(fired)


def test_twin_equals_kernel_on_generated_scenarios():
    # 100 scenarios, derandomized (the same every run): up to 60 borrowers x 2 paths x 180
    # days (enough that every mechanism fires: 70 were, until version 2's settings joined the
    # draws; with them a run of 70 missed litigation, waivers and cyclical recoveries)
    _run_generated(max_examples=100, max_borrowers=60, max_horizon=180)


@pytest.mark.slow
def test_twin_equals_kernel_on_more_generated_scenarios():
    # 160 more (with the 100 above, 260 in all): up to 150 borrowers x 2 paths x 365 days
    _run_generated(max_examples=160, max_borrowers=150, max_horizon=365)


# ------------------------------------------------------------------ the comparison catches

def _baseline_inputs():
    """The shipped baseline, small, without its burn-in and with a tenth of each segment's
    drawdowns typed in M1 at day 0 (so some borrowers' cures decide early)."""
    n_segments = len(simulator.load_scenario("scenarios/baseline.yaml").book.segments)
    return kernel_inputs(_small(
        "scenarios/baseline.yaml", 100, 200, "book.burn_in_months=0",
        *[f"book.segments[{i}].initial_buckets={{M0: 0.9, M1: 0.1}}"
          for i in range(n_segments)]))


def test_comparison_names_a_kernel_cell_off_by_one_micro_yuan():
    inputs = _baseline_inputs()
    twin = simulate_twin(inputs, 2)
    kernel = kernel_aggregates(inputs, 2)
    assert compare(kernel, twin, inputs.segments).ok
    assert twin["interest_accrued"][1, 57, 2] > 0
    kernel["interest_accrued"][1, 57, 2] += 1
    r = compare(kernel, twin, inputs.segments)
    assert not r.ok and r.n_differences == 1
    f = r.first
    assert (f.metric, f.path, f.day, f.segment) == ("interest_accrued", 1, 57, inputs.segments[2])
    assert f.kernel == f.twin + 1 == twin["interest_accrued"][1, 57, 2] + 1


def test_comparison_catches_one_borrower_drawing_with_another_key():
    # The borrower of drawdown d, in M1 at day 0 (where cures are likeliest), draws its cures
    # (and its month's decisions and employment) under another id in the kernel only: the
    # first difference is in its segment (its employment months, from day 0, or its cures).
    inputs = _baseline_inputs()
    book = inputs.book
    d = int(np.flatnonzero((book.dpd0 > 0) & (book.dpd0 <= 30))[0])
    b = int(np.searchsorted(book.borrower_start, d, side="right") - 1)
    ids = book.borrower_id.copy()
    ids[b] += 1 << 39  # a unit no other borrower uses
    moved = inputs._replace(book=book._replace(borrower_id=ids))
    twin = simulate_twin(inputs, 2)
    r = compare(kernel_aggregates(moved, 2), twin, inputs.segments)
    assert not r.ok
    assert r.first.segment == inputs.segments[book.segment[b]]
    assert r.first.kernel != r.first.twin
    # the same change given to both: equal again, so the difference was that one draw key
    assert compare(kernel_aggregates(moved, 2), simulate_twin(moved, 2), inputs.segments).ok
