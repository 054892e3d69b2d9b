"""Sums over a book's chunks are checked, not trusted: each chunk's money is bounded before it
runs, but the whole book's totals are known only as the chunks' aggregates are added and as
running totals are taken over days. A wrap past int64 is refused (exit 2), never written."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.tables import levels
from simulator.engine.tasks import add_exact
from simulator.errors import InputError
from simulator.kernels import layout as L

BIG = np.iinfo(np.int64).max // 2 + 1  # two of these pass int64's largest value


def test_adding_chunks_is_exact_up_to_int64s_largest_value():
    total = np.array([BIG - 1, -BIG, 5], np.int64)
    add_exact(total, np.array([BIG, -BIG, -7], np.int64))
    assert total.tolist() == [2 * BIG - 1, -2 * BIG, -2]  # int64's max and min exactly


@pytest.mark.parametrize("sign", [1, -1])
def test_a_sum_of_chunks_past_int64_is_refused(sign):
    total = np.array([0, sign * BIG], np.int64)
    with pytest.raises(InputError, match="does not fit") as err:
        add_exact(total, np.array([1, sign * (BIG + 1)], np.int64))
    assert err.value.path == "book.borrowers"


def _aggregate(days: int) -> np.ndarray:
    return np.zeros((1, days, 1, L.N_METRICS), np.int64)


def test_a_running_total_past_int64_is_refused():
    agg = _aggregate(3)
    m = L.STATE_METRICS[0]
    agg[0, :, 0, m] = [BIG, BIG, 0]  # each day's change fits; their running total does not
    with pytest.raises(InputError, match="running total"):
        levels(agg)
    agg[0, :, 0, m] = [BIG, BIG // 2, -BIG]  # the same size of change, a total that fits
    assert levels(agg)[0, :, 0, m].tolist() == [BIG, BIG + BIG // 2, BIG // 2]
