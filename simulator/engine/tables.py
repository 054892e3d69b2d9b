"""Merged kernel aggregates to the registry's ``timeseries`` and ``vintages`` tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.analysis.figures import vintage_rates
from simulator.book.collection import Channels, daily_cost
from simulator.contract.money import MICRO
from simulator.errors import InputError
from simulator.kernels import layout as L
from simulator.results import registry

_COUNT = {f"n_{b}": L.N_BY_CODE + i for i, b in enumerate(registry.BUCKETS)} | {
    "n_CO": L.N_BY_CODE + L.CODE_CHARGED_OFF,
    "n_closed": L.N_BY_CODE + L.CODE_CLOSED,
    "borrowers_dpd30": L.BORROWERS_DPD30,
    "borrowers_dpd90": L.BORROWERS_DPD90,
    "n_restructured": L.N_RESTRUCTURED,
    "borrowers": L.BORROWERS,
    "borrowers_unemployed": L.BORROWERS_UNEMPLOYED,
}
_MONEY_LEVEL = {
    f"principal_{b}": L.PRINCIPAL_BY_BUCKET + i for i, b in enumerate(registry.BUCKETS)
} | {
    "principal_restructured": L.P_RESTRUCTURED,
}
_MONEY_CUMULATIVE = {
    "cum_paid_principal": L.PRINCIPAL_PAID,
    "cum_prepaid_principal": L.PREPAID,
    "cum_charged_off_principal": L.CHARGED_OFF,
    "cum_recoveries": L.RECOVERIES,
}
_MONEY_FLOW = {
    "interest_accrued": L.INTEREST_ACCRUED,
    "penalty_accrued": L.PENALTY_ACCRUED,
    "compound_accrued": L.COMPOUND_ACCRUED,
    "fees_charged": L.FEES_CHARGED,
    "interest_paid": L.INTEREST_PAID,
    "penalty_paid": L.PENALTY_PAID,
    "compound_paid": L.COMPOUND_PAID,
    "fees_paid": L.FEES_PAID,
    "principal_paid": L.PRINCIPAL_PAID,
    "nonaccrual_charges": L.NONACCRUAL,
    "disbursed_principal": L.DISBURSED,
    "capitalised": L.CAPITALISED,
    "waived": L.WAIVED,
    "legal_recoveries": L.LEGAL_RECOVERIES,
    "legal_cost": L.LEGAL_COST,
    "principal_due": L.PRINCIPAL_DUE,
    "principal_due_unpaid": L.PRINCIPAL_DUE_UNPAID,
    "principal_collected_30": L.PRINCIPAL_COLLECTED_30,
} | {name: L.TRANSFER_PRINCIPAL + k
     for k, name in enumerate(registry.transfer_columns("principal"))}
_COUNT_FLOW = {
    "n_missed": L.N_MISSED,
    "n_cured": L.N_CURED,
    "n_prepaid": L.N_PREPAYMENTS,
    "n_new": L.N_NEW,
    "n_restructurings": L.N_RESTRUCTURINGS,
    "n_litigated": L.N_LITIGATED,
    "n_roll30": L.N_ROLL30,
    "n_roll90": L.N_ROLL90,
} | {name: L.TRANSFER_N + k for k, name in enumerate(registry.transfer_columns("n"))}

# Every timeseries column read straight off one aggregate metric (cumulative columns aside).
AGGREGATE_COLUMNS: dict[str, int] = _COUNT | _MONEY_LEVEL | _MONEY_FLOW | _COUNT_FLOW


_INT64_HEADROOM = 0.99 * 2.0**63  # far above a float sum's rounding, below int64's range


def _check_cumsum_fits(x: np.ndarray) -> None:
    """Refuse an int64 cumulative sum over days that would wrap: each chunk of the book was
    checked to fit, but the whole book's running totals are known only here. The float64 sum
    is within a relative 1e-13 of the exact one, so it tells a wrap apart from a fit."""
    if np.abs(np.cumsum(x, axis=1, dtype=np.float64)).max(initial=0.0) >= _INT64_HEADROOM:
        raise InputError("the book's money does not fit the simulator's exact arithmetic: a "
                         "running total over the horizon would pass int64 micro-yuan; lower "
                         "book.borrowers or shorten horizon_days", path="book.borrowers")


def levels(agg: np.ndarray) -> np.ndarray:
    """State metrics from day-by-day changes to levels (exact integer cumulative sums), and
    the accruals of quiet days (recorded as changes of a daily amount) into their flows."""
    out = agg.copy()
    for m in L.STATE_METRICS + tuple(run for run, _ in L.RUN_FLOWS):
        _check_cumsum_fits(out[:, :, :, m])
        np.cumsum(out[:, :, :, m], axis=1, out=out[:, :, :, m])
    for run, flow in L.RUN_FLOWS:
        out[:, :, :, flow] += out[:, :, :, run]
        out[:, :, :, run] = 0
    return out


def timeseries_table(agg: np.ndarray, segments: tuple[str, ...],
                     channels: Channels | None = None) -> pa.Table:
    """One row per (path, day, segment), in that order, with every registry column.

    ``channels`` (the collection channels) price the accounts they work each day into the
    ``collection_cost`` column."""
    lv = levels(agg)
    n_p, n_d, n_s, _ = lv.shape
    flat = lv.reshape(n_p * n_d * n_s, -1)
    cols: dict[str, pa.Array] = {
        "path": pa.array(np.repeat(np.arange(n_p, dtype=np.int32), n_d * n_s)),
        "day": pa.array(np.tile(np.repeat(np.arange(n_d, dtype=np.int32), n_s), n_p)),
        "segment": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n_s, dtype=np.int32), n_p * n_d)), pa.array(segments)
        ),
    }
    for name, m in _COUNT.items():
        cols[name] = pa.array(flat[:, m])
    for name, m in _MONEY_LEVEL.items():
        cols[name] = pa.array(flat[:, m] / MICRO)
    for name, m in _MONEY_CUMULATIVE.items():
        _check_cumsum_fits(lv[:, :, :, m])
        cum = np.cumsum(lv[:, :, :, m], axis=1).reshape(-1)
        cols[name] = pa.array(cum / MICRO)
    for name, m in _MONEY_FLOW.items():
        cols[name] = pa.array(flat[:, m] / MICRO)
    for name, m in _COUNT_FLOW.items():
        cols[name] = pa.array(flat[:, m])
    cost = (np.zeros(n_p * n_d * n_s) if channels is None
            else daily_cost(lv, channels).reshape(-1))
    cols["collection_cost"] = pa.array(cost)
    names = [c.name for c in registry.columns("timeseries")]
    return pa.table({n: cols[n] for n in names})


_VINTAGE_AMOUNTS = {
    "cum_dpd30_principal": L.V_DPD30,
    "cum_dpd90_principal": L.V_DPD90,
    "cum_charged_off_principal": L.V_CHARGED_OFF,
    "cum_recoveries": L.V_RECOVERIES,
    "cum_fpd_principal": L.V_FPD,
}


def vintage_block(agg: np.ndarray) -> np.ndarray:
    """The vintage block the aggregate carries after its N_METRICS columns (``layout``):
    int64 ``[path, vintage, month, V_*]``."""
    n_p, n_d = agg.shape[:2]
    months = L.vintage_months(n_d - 1)
    cells = months * months * L.N_VINTAGE_METRICS
    tail = np.ascontiguousarray(agg[:, :, :, L.N_METRICS:]).reshape(n_p, -1)
    return tail[:, :cells].reshape(n_p, months, months, L.N_VINTAGE_METRICS)


def vintages_table(agg: np.ndarray) -> pa.Table:
    """One row per (path, vintage, month), the months from the vintage's own on."""
    block = vintage_block(agg)
    n_p, months = block.shape[:2]
    cum = np.cumsum(block, axis=2)  # to each month's end; exact: each cell is a sum of parts
    disbursed = cum[:, :, -1, L.V_DISBURSED]  # all of it falls in the vintage's first month
    v_idx, m_idx = np.nonzero(np.arange(months)[None, :] >= np.arange(months)[:, None])
    path = np.repeat(np.arange(n_p, dtype=np.int32), len(v_idx))
    v = np.tile(v_idx.astype(np.int32), n_p)
    m = np.tile(m_idx.astype(np.int32), n_p)
    cols: dict[str, object] = {"path": path, "vintage": v, "month": m,
                               "months_on_book": m - v,
                               "disbursed_principal": disbursed[path, v] / MICRO}
    amounts = {name: cum[path, v, m, k] for name, k in _VINTAGE_AMOUNTS.items()}
    for name, x in amounts.items():
        cols[name] = x / MICRO
    cols |= vintage_rates(amounts, disbursed[path, v])
    names = [c.name for c in registry.columns("vintages")]
    return pa.table({n: pa.array(cols[n]) for n in names})
