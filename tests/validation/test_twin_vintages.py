"""The twin comparison reads the vintage block cell by cell and names a differing cell."""

import numpy as np

from simulator.validation.twin import METRIC_NAMES, VINTAGE_METRICS
from simulator.validation.twin_check import compare


def _aggregates():
    out = {name: np.zeros((1, 3, 1), np.int64) for name in METRIC_NAMES}
    return out | {"vintages": np.zeros((1, 2, 2, len(VINTAGE_METRICS)), np.int64)}


def test_a_vintage_cell_off_by_one_is_named():
    kernel, twin = _aggregates(), _aggregates()
    assert compare(kernel, twin, ("s",)).ok
    twin["vintages"][0, 1, 1, VINTAGE_METRICS.index("charged_off")] = 1
    c = compare(kernel, twin, ("s",))
    assert c.n_differences == 1
    assert c.cells == 3 * len(METRIC_NAMES) + 2 * 2 * len(VINTAGE_METRICS)
    assert c.first.metric == "vintage charged_off of vintage 1 month 1"
    assert (c.first.kernel, c.first.twin, c.first.day) == (0, 1, -1)
    assert c.by_metric == {"vintage charged_off": 1}
