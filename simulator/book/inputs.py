"""Everything a task needs, as plain arrays: the book, contract terms, behaviour, macro paths."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulator.book.collection import Channels, channels
from simulator.book.macro import build_macro, segment_dynamics
from simulator.book.money import check_money_fits
from simulator.book.synthetic import (
    check_segments,
    segment_rows,
    synthetic_book,
    synthetic_chunk,
)
from simulator.book.tape import SegmentParams
from simulator.book.tape_chunk import tape_book, tape_chunk
from simulator.book.tape_index import TapeIndex, index_tape
from simulator.contract.ledger import ALLOCATION_GROUPS
from simulator.contract.money import to_micro
from simulator.kernels.layout import D_COMPOUND, D_FEES, D_INTEREST, D_PENALTY, D_PRINCIPAL
from simulator.kernels.portfolio import Behaviour, Book, Contract, Macro
from simulator.scenario.schema import DAYS_PER_MONTH, Scenario

_PART = {"fee": D_FEES, "compound": D_COMPOUND, "penalty": D_PENALTY, "interest": D_INTEREST,
         "principal": D_PRINCIPAL}


DEFAULT_CHUNK = 50_000  # borrowers per task


def resolve_chunk(chunk_size: int | None) -> int:
    """Borrowers per task: ``chunk_size``, or the default for None or 0."""
    return max(1, int(chunk_size or DEFAULT_CHUNK))


class KernelInputs(NamedTuple):
    book: Book
    contract: Contract
    behaviour: Behaviour
    macro: Macro
    horizon: int
    segments: tuple[str, ...]
    channels: Channels | None = None  # the collection channels (their cost and capacity)


def allocation_table(order: str) -> np.ndarray:
    """The ledger's allocation groups as an int array of slot fields (-1 padding)."""
    groups = ALLOCATION_GROUPS[order]
    table = -np.ones((len(groups), 5), np.int64)
    for g, parts in enumerate(groups):
        table[g, : len(parts)] = [_PART[p] for p in parts]
    return table


def contract_params(scenario: Scenario) -> Contract:
    c = scenario.contract
    return Contract(
        penalty_multiplier=float(c.penalty_multiplier),
        compound_interest=bool(c.compound_interest),
        late_fee=to_micro(c.late_fee),
        grace_days=int(c.penalty_grace_days),
        grace_retroactive=bool(c.grace_retroactive),
        acceleration_dpd=-1 if c.acceleration_dpd is None else int(c.acceleration_dpd),
        charge_off_dpd=-1 if c.charge_off_dpd is None else int(c.charge_off_dpd),
        allocation=allocation_table(c.allocation),
        period=0 if c.schedule_period == "calendar" else int(c.schedule_period),
        non_accrual_dpd=int(c.non_accrual_dpd),
    )


def segment_params(scenario: Scenario) -> SegmentParams:
    """Segment-level behaviour inputs of a synthetic book."""
    segs = scenario.book.segments
    return SegmentParams(
        names=tuple(s.name for s in segs),
        base_pd=np.array([s.base_pd for s in segs], float),
        other_debt_service_ratio=np.array([s.other_debt_service_ratio for s in segs], float),
        unemployment_beta=np.array([s.unemployment_beta for s in segs], float),
    )


def load_book(scenario: Scenario) -> tuple[Book, SegmentParams]:
    """The scenario's book: read from its loan tape, or drawn from its segments."""
    if scenario.book.tape is not None:
        return tape_book(scenario)
    return synthetic_book(scenario), segment_params(scenario)


def behaviour_params(scenario: Scenario, segs: SegmentParams) -> Behaviour:
    b = scenario.behaviour
    policy = scenario.policy
    restructuring = policy.restructuring
    legal = policy.legal
    extra = {}
    if restructuring is not None:
        extra |= dict(
            restructure_dpd_from=int(restructuring.dpd_from),
            restructure_dpd_to=int(restructuring.dpd_to),
            restructure_daily=float(restructuring.acceptance_daily),
            restructure_extra_months=int(restructuring.extra_months),
            restructure_waive=bool(restructuring.waive_penalties),
            restructure_pd_multiplier=float(restructuring.pd_multiplier),
        )
    if legal is not None:
        extra |= dict(
            legal_share=float(legal.share),
            legal_rate=float(legal.recovery_rate),
            legal_lag_days=int(legal.lag_days),
            legal_cost=to_micro(legal.cost_per_case),
        )
    return Behaviour(
        seed=int(scenario.monte_carlo.seed),
        rho=float(b.rho),
        base_pd=segs.base_pd,
        other_debt_service_ratio=segs.other_debt_service_ratio,
        dsr_reference=segment_dynamics(scenario, segs.names)[2],
        dsr_sensitivity=float(b.dsr_sensitivity),
        unemployed_income_ratio=float(b.unemployed_income_ratio),
        unemployed_pd_multiplier=float(b.unemployed_pd_multiplier),
        other_debt_rate_sensitivity=float(b.other_debt_rate_sensitivity),
        months_on_book_pd=np.array(b.months_on_book_pd, float),
        partial_share=float(b.partial_share),
        cure_factor_loading=float(b.cure_factor_loading),
        prepayment_monthly=float(b.prepayment_monthly),
        recovery_rate=float(scenario.recovery.rate),
        recovery_factor_loading=float(scenario.recovery.factor_loading),
        recovery_lag_days=int(scenario.recovery.lag_days),
        burn_in_days=int(scenario.book.burn_in_months) * DAYS_PER_MONTH,
        redraw_probability=float(scenario.book.revolving.redraw_probability),
        apr_cap=float(scenario.contract.enforceable_apr_cap),
        **extra,
    )


def kernel_inputs(scenario: Scenario, book: Book | None = None) -> KernelInputs:
    """Build every kernel input of a scenario (reading or drawing its book unless given)."""
    if book is None:
        book, segs = load_book(scenario)
    else:
        segs = segment_params(scenario)
    check_money_fits(scenario, book, segs.names)
    return _shared_inputs(scenario, segs)._replace(book=book)


class RunPlan(NamedTuple):
    """What every task of a run shares, without the book: each task draws its own chunk of a
    synthetic book, or reads its own borrowers from a tape (:func:`chunk_inputs`), so no
    process holds more of the book than the chunks it is simulating."""

    scenario: Scenario
    inputs: KernelInputs  # book: an empty one, each task makes its chunk's
    n_borrowers: int  # seasoned borrowers (tasks' b_lo, b_hi index them; a tape's by id)
    rows: dict | None  # a synthetic book's per-segment draw parameters; None for a tape
    tape: TapeIndex | None = None  # a tape's parts and chunks (no rows)


def _empty_book() -> Book:
    none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
    return Book(np.zeros(1, np.int64), none_i, np.zeros(0, np.int32), none_f, none_i, none_i,
                none_f, np.zeros(0, np.int32), np.zeros(0, np.int8), none_i,
                np.zeros(0, np.int32), np.zeros(0, np.int32), none_i)


def plan_run(scenario: Scenario, chunk_size: int | None = None) -> RunPlan:
    """The run's shared inputs; the book is drawn, or a tape's rows read, by the tasks. A tape
    is checked and indexed here, part by part, into chunks of ``chunk_size`` borrowers (the
    run's; None: the default), which are then the only chunks its tasks may ask for."""
    if scenario.book.tape is not None:

        tape = index_tape(scenario, resolve_chunk(chunk_size))
        return RunPlan(scenario, _shared_inputs(scenario, tape.segments), tape.n_borrowers,
                       None, tape)
    check_segments(scenario)
    rows = segment_rows(scenario)  # raises on initial buckets beyond charge-off
    return RunPlan(scenario, _shared_inputs(scenario, segment_params(scenario)),
                   int(scenario.book.borrowers), rows)


def _shared_inputs(scenario: Scenario, segs: SegmentParams) -> KernelInputs:
    """Every kernel input but the book (an empty one in its place)."""
    return KernelInputs(
        book=_empty_book(),
        contract=contract_params(scenario),
        behaviour=behaviour_params(scenario, segs),
        macro=build_macro(scenario, segs.names, segs.unemployment_beta),
        horizon=int(scenario.horizon_days),
        segments=segs.names,
        channels=channels(scenario),
    )


def chunk_inputs(plan: RunPlan, b_lo: int, b_hi: int) -> tuple[KernelInputs, int, int]:
    """Kernel inputs holding borrowers ``[b_lo, b_hi)`` and where they lie in its book: a
    synthetic chunk is drawn (with its applicants) and its money checked against int64; a
    tape's chunk is read from the parts that hold it (its money was checked as a whole)."""
    if plan.tape is not None:
        book = tape_chunk(plan.tape, plan.scenario, b_lo, b_hi)
        return plan.inputs._replace(book=book), 0, len(book.borrower_id)
    if plan.rows is None:
        return plan.inputs, b_lo, b_hi
    book = synthetic_chunk(plan.scenario, b_lo, b_hi, plan.n_borrowers, plan.rows)
    check_money_fits(plan.scenario, book, plan.inputs.segments,
                     part=f"the chunk of borrowers {b_lo:,} to {b_hi - 1:,}")
    return plan.inputs._replace(book=book), 0, len(book.borrower_id)
