"""The kernel's one-factor default model against the Vasicek law (MODEL.md 6).

One due date, no cure, no partial payment, no prepayment, no shock, constant PD: the share of
loans that miss, across paths, follows P(X <= x) = Phi((sqrt(1-rho) Phi^-1(x) - Phi^-1(p)) /
sqrt(rho)). Tolerances come from the sizes (see ``simulator.check.check_vasicek``).
"""

import math

import pytest
from scipy import integrate, stats

from simulator.validation.checks import (
    check_vasicek,
    vasicek_cdf,
    vasicek_quantile,
    vasicek_rows,
    vasicek_variance,
)


def test_law_formulas_by_integration_over_the_factor():
    # Independent of the code under test: integrate the conditional PD over Z ~ N(0, 1).
    p, rho = 0.05, 0.1

    def cond(z):
        return stats.norm.cdf((stats.norm.ppf(p) - math.sqrt(rho) * z) / math.sqrt(1 - rho))

    mean = integrate.quad(lambda z: cond(z) * stats.norm.pdf(z), -12, 12)[0]
    second = integrate.quad(lambda z: cond(z) ** 2 * stats.norm.pdf(z), -12, 12)[0]
    assert mean == pytest.approx(p, rel=1e-9)
    assert vasicek_variance(p, rho) == pytest.approx(second - mean**2, rel=1e-5)
    for q in (0.5, 0.9, 0.99, 0.999):
        x = float(vasicek_quantile(q, p, rho))
        # X <= x exactly when Z >= -Phi^-1(q): probability q.
        assert x == pytest.approx(float(cond(-stats.norm.ppf(q))), rel=1e-12)
        assert float(vasicek_cdf(x, p, rho)) == pytest.approx(q, abs=1e-10)


@pytest.fixture(scope="module")
def pd5_rho10():
    return check_vasicek(0.05, 0.1, loans=20_000, paths=400, seed=1, alpha=1e-3)


def test_kernel_follows_vasicek_pd5_rho10(pd5_rho10):
    # seed 1, N = 20,000 loans, M = 400 paths; each row at level 1e-3 (z = 3.29): quantile q
    # within the law's quantiles at the binomial order-statistic ranks of Binomial(M, q),
    # widened by z sqrt(x(1-x)/N); the mean within z sqrt((Var X + E[X(1-X)]/N) / M) of p.
    r = pd5_rho10
    assert r.ok, r.rows
    assert len(r.missed_share) == 400
    rows = {x.name: x for x in r.rows}
    # The median interval is informative (not the whole [0, 1]).
    assert rows["q0.5"].high - rows["q0.5"].low < 0.03


@pytest.mark.slow
def test_kernel_follows_vasicek_pd2_rho20_more_paths():
    # seed 11, N = 10,000 loans, M = 2,000 paths, level 1e-3 per row.
    r = check_vasicek(0.02, 0.2, loans=10_000, paths=2_000, seed=11, alpha=1e-3)
    assert r.ok, r.rows


@pytest.mark.parametrize(("pd", "rho"), [(0.05, 0.3), (0.05, 0.03), (0.06, 0.1), (0.04, 0.1)])
def test_a_wrong_law_is_rejected(pd5_rho10, pd, rho):
    # The same simulated shares judged against another law fail at least one row: the
    # tolerances are tight enough to tell rho 0.1 from 0.03 or 0.3, and pd 0.05 from 0.04/0.06.
    rows = vasicek_rows(pd5_rho10.missed_share, pd, rho, loans=20_000, alpha=1e-3)
    assert not all(r.ok for r in rows)
