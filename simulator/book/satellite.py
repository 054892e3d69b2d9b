"""The satellite equation: the systematic factor's mean in terms of the macro variables
(MODEL.md 6, "Macro to behaviour").

A stress is stated in macro variables. Unemployment acts through each borrower's employment
chain, income and rates through the debt-service ratio; what those leave out (a downturn's
spread through households' finances beyond the borrowers who lose a job, collections working
less well) moves the factor's mean, in standard deviations of ``Z``, month by month:

    mu[m] = -UNEMPLOYMENT_LOADING x du[m]

with ``du[m]`` the scenario's national unemployment change in percentage points (the sum of
its unemployment shocks, before any segment's beta). One coefficient, used unchanged by every
scenario; a scenario's own ``factor`` shock is added on top and is then an explicit
credit-cycle stress that its description names.

How the coefficient was estimated (docs/calibration.md, "The satellite equation"): once, on
the 2020 episode. ``scenarios/covid_2020.yaml`` feeds the calibrated baseline the NBS
unemployment change from December 2019 (+1.0 pp at the February peak), the shortfall of
per-capita disposable income from its 2019 trend and the loan prime rate's fall; the loading
was moved until the mean over paths of the 30+ ratio at the end of May (day 150) stood 1.71 x
its end-of-January value (day 30), Ant's 1.76% -> 3.01%, at 20,000 borrowers x 100 paths. One
number fitted to one ratio: the back-test on the same episode (``overdue backtest``) is in
sample at that point, and only the rest of the path (the months around the peak, the decline)
is a check.

Income does not enter: one episode cannot separate an income loading from the unemployment
loading (the two moved together in 2020), and income already acts through every borrower's
debt-service ratio.
"""

from __future__ import annotations

import numpy as np

UNEMPLOYMENT_LOADING = 0.87
"""Shift of the factor's mean per percentage point of unemployment change, in sd of Z: the
30+ ratio's May / January multiple of the 2020 back-test was 1.41 at 0.5, 1.689 at 0.85, 1.736
at 0.9 and 1.83 at 1.0 (20,000 borrowers x 100 paths, seed 20261129, means over paths, common
random numbers), so 1.71 falls at 0.87; without the satellite the mechanisms alone give 1.09."""


def factor_mean(unemployment_pp: np.ndarray, loading: float = UNEMPLOYMENT_LOADING
                ) -> np.ndarray:
    """The factor's mean by month for the national unemployment change ``unemployment_pp``
    (percentage points, by month from day 0): ``-loading x change``."""
    return -loading * np.asarray(unemployment_pp, float)
