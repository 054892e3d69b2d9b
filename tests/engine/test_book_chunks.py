"""A synthetic book drawn chunk by chunk, as each task draws it, is the book drawn whole: every
array equal, borrower by borrower and drawdown by drawdown, for chunk sizes that do and do not
divide the book, with applicants, underwriting, limits, pricing and redraws all on."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.book.synthetic import synthetic_book, synthetic_chunk
from simulator.kernels.portfolio import Book

N = 3_001
PER_BORROWER = ("borrower_id", "segment", "income", "pd_multiplier", "approved")


@pytest.fixture(scope="module")
def scenario():
    # rate_shock prices new drawdowns by grade; underwriting adds approval and income limits
    return simulator.load_scenario("scenarios/rate_shock.yaml", [
        f"book.borrowers={N}", "monte_carlo.paths=2", "horizon_days=120",
        "book.burn_in_months=2",
        "book.revolving.new_borrowers_monthly=0.2", "book.revolving.redraw_probability=0.5",
        "policy.underwriting.approve_share=0.6",
        "policy.underwriting.limit_income_multiple=0.5"])


def _concat(parts: list[Book]) -> Book:
    out = {}
    for name in Book._fields:
        if name == "borrower_start":
            ends = np.cumsum([p.borrower_start[-1] for p in parts])
            out[name] = np.concatenate([[0]] + [p.borrower_start[1:] + e - p.borrower_start[-1]
                                                for p, e in zip(parts, ends, strict=True)])
        else:
            out[name] = np.concatenate([getattr(p, name) for p in parts])
    return Book(**out)


def _by_borrower_id(book: Book) -> dict[str, np.ndarray]:
    """Every array with borrowers in id order (a chunk holds its seasoned borrowers, then its
    applicants; the whole book all seasoned borrowers, then all applicants)."""
    order = np.argsort(book.borrower_id, kind="stable")
    counts = np.diff(book.borrower_start)
    dd = np.concatenate([np.arange(book.borrower_start[b], book.borrower_start[b + 1])
                         for b in order]).astype(np.int64)
    out = {name: getattr(book, name)[order] for name in PER_BORROWER}
    out["borrower_start"] = np.concatenate([[0], np.cumsum(counts[order])])
    for name in Book._fields:
        if name not in out:
            out[name] = getattr(book, name)[dd]
    return out


@pytest.fixture(scope="module")
def whole(scenario):
    book = synthetic_book(scenario)
    # the scenario exercises what is drawn per chunk
    new = book.age[book.borrower_start[:-1]] < 0
    assert new.sum() > 100 and (book.approved == 0).any() and (book.approved == 1).any()
    assert (book.redraw_principal < book.principal).any()  # income limits bind
    assert (book.redraw_rate != book.daily_rate).any()  # graded pricing
    return book


@pytest.mark.parametrize("chunk", [1, 7, 500, 1_000, N])
def test_a_book_drawn_by_chunks_is_the_book_drawn_whole(scenario, whole, chunk):
    parts = [synthetic_chunk(scenario, lo, min(lo + chunk, N), N) for lo in range(0, N, chunk)]
    got, want = _by_borrower_id(_concat(parts)), _by_borrower_id(whole)
    for name in Book._fields:
        assert got[name].dtype == want[name].dtype, name
        assert np.array_equal(got[name], want[name]), name


def test_a_drawdown_depends_on_its_borrower_alone(scenario, whole):
    # borrower 2000 drawn alone: its drawdowns are keyed by its id and their number in it
    alone = synthetic_chunk(scenario, 2000, 2001, N)
    lo, hi = whole.borrower_start[2000], whole.borrower_start[2001]
    assert np.array_equal(alone.drawdown_id[: hi - lo], 2000 * 10 + np.arange(hi - lo))
    assert np.array_equal(alone.principal[: hi - lo], whole.principal[lo:hi])


@pytest.mark.parametrize("chunk", [250, 1_234])
def test_the_manifests_counts_are_the_whole_books(scenario, whole, chunk):
    _, facts = simulator.simulate(scenario, threads=2, chunk_size=chunk, path_block=1)
    starts = whole.borrower_start
    assert facts["borrowers"] == len(whole.borrower_id)
    assert facts["applicants_approved"] == int((whole.age[starts[:-1]] < 0).sum())
    assert facts["drawdowns"] == len(whole.principal)
    horizon = scenario.horizon_days
    days = np.minimum(horizon, horizon + whole.age.astype(np.int64)).clip(0).sum()
    assert facts["drawdown_days"] == int(days) * scenario.monte_carlo.paths


def test_a_run_drawing_chunks_equals_a_run_on_the_whole_book(scenario):
    # the twin and the checks read the whole book (kernel_inputs); runs draw chunks (plan_run)
    from simulator.book.inputs import kernel_inputs

    whole_tables, _ = simulator.simulate(scenario, threads=1, inputs=kernel_inputs(scenario))
    chunk_tables, _ = simulator.simulate(scenario, threads=2, chunk_size=400)
    assert chunk_tables["timeseries"].equals(whole_tables["timeseries"])
