"""Calibration recovers a parameter it was given: the target is the model's own output at a
known base_pd multiplier (1.6), measured first with the same seed and size; the fit, started
from 1.0, must land within 3% of 1.6. Size: baseline with 1,500 borrowers, 16 paths, 180 days,
seed 20261129 (the file's)."""

import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import simulator
from simulator.analysis import metrics as M
from simulator.analysis.summary import derive_tables
from simulator.cli import app
from simulator.errors import InputError
from simulator.studies import calibrate as C
from tests.cli_helpers import exit_code as _exit
from tests.results.synthetic_tables import timeseries_from_rows

BASE = "scenarios/baseline.yaml"
SMALL = ["horizon_days=180", "book.burn_in_months=0"]
SIZE = ["book.borrowers=1500", "monte_carlo.paths=16"]
TRUE_MULT = 1.6
runner = CliRunner()




@pytest.fixture(scope="module")
def truth():
    """dpd30_end mean of the baseline with every base_pd x 1.6, and the multiplied values."""
    sc = simulator.load_scenario(BASE, [*SMALL, *SIZE])
    pds = [s.base_pd for s in sc.book.segments]
    sets = [f"book.segments[{i}].base_pd={C.fmt_value(p * TRUE_MULT)}" for i, p in enumerate(pds)]
    tables, _ = simulator.simulate(simulator.load_scenario(BASE, [*SMALL, *SIZE, *sets]))
    return float(np.mean(M.compute(tables, ["dpd30_end"])["dpd30_end"])), pds


def test_metrics_are_per_path_and_sane(truth):
    sc = simulator.load_scenario(BASE, [*SMALL, *SIZE])
    tables, _ = simulator.simulate(sc)
    values = M.compute(tables, list(M.METRICS))
    for name, v in values.items():
        assert v.shape == (16,), name
        assert np.all(np.isfinite(v)), name
    # horizon 180 < 365: the year-end ratio (read from the grid on the last day) is the end
    # ratio (from the paths table)
    assert np.allclose(values["dpd30_year_end"], values["dpd30_end"])
    assert 0.3 < np.mean(values["m1_cure_30d"]) < 1.0
    assert M.stat(values["dpd30_end"], "p50") <= M.stat(values["dpd30_end"], "p95")
    est, se = M.stat_with_error(values["dpd30_end"], "mean")
    assert se > 0 and est == pytest.approx(np.mean(values["dpd30_end"]))


# Two paths, one segment, days 0..400, 1,000 yuan current every day unless a row says more.
HORIZON = 400
SPARSE = {
    (0, 365): dict(principal_M2=50.0, principal_M4=25.0),  # 30+ 75 and 90+ 25 of 1,075
    (0, HORIZON): dict(principal_M3=100.0, cum_charged_off_principal=30.0, cum_recoveries=5.0),
    (1, HORIZON): dict(principal_M0=900.0, principal_M5=100.0),
    # path 0 cohorts, each window's edges tried: missed payments count on t = 1..H-31 (369),
    # rolls to 31 DPD on days 32..H; for roll_30_90, rolls to 31 DPD count on t = 1..H-60 (340)
    # and rolls to 91 DPD on days 61..H
    (0, 1): dict(n_missed=10), (0, 369): dict(n_missed=10), (0, 370): dict(n_missed=50),
    (0, 31): dict(n_roll30=7), (0, 32): dict(n_roll30=3), (0, 340): dict(n_roll30=1),
    (0, 341): dict(n_roll30=2), (0, 60): dict(n_roll90=5), (0, 61): dict(n_roll90=2),
    # path 1 misses 4 and all of them roll
    (1, 100): dict(n_missed=4), (1, 131): dict(n_roll30=4),
}


def test_metrics_by_hand():
    rows = []
    for path in (0, 1):
        for day in range(HORIZON + 1):
            row = dict(path=path, day=day, segment="a", principal_M0=1000.0)
            row.update(SPARSE.get((path, day), {}))
            rows.append(row)
    tables = derive_tables(timeseries_from_rows(rows))
    v = M.compute(tables, list(M.METRICS))
    expect = {
        "dpd30_end": [100 / 1100, 100 / 1000],
        "dpd90_end": [0.0, 100 / 1000],
        "dpd30_year_end": [75 / 1075, 0.0],
        "dpd90_year_end": [25 / 1075, 0.0],
        "dpd30_peak": [100 / 1100, 100 / 1000],
        "dpd90_peak": [25 / 1075, 100 / 1000],
        "net_loss_rate": [25 / 1000, 0.0],
        "m1_cure_30d": [1 - (3 + 1 + 2) / (10 + 10), 1 - 4 / 4],
        "roll_m1_m2": [(3 + 1 + 2) / (10 + 10), 4 / 4],
        "roll_30_90": [2 / (7 + 3 + 1), 0.0],
    }
    for name, want in expect.items():
        assert v[name] == pytest.approx(want, rel=1e-12), name
    # es99 of two paths is the worse one; p50 interpolates halfway
    assert M.stat(v["dpd30_end"], "es99") == pytest.approx(0.1, rel=1e-12)
    assert M.stat(v["net_loss_rate"], "p50") == pytest.approx(0.0125, rel=1e-12)


def test_lagged_metrics_need_a_long_enough_horizon():
    rows = [dict(path=0, day=d, segment="a", principal_M0=1.0) for d in range(61)]
    tables = derive_tables(timeseries_from_rows(rows))
    assert M.compute(tables, ["m1_cure_30d"])["m1_cure_30d"].shape == (1,)
    with pytest.raises(InputError, match="roll_30_90 needs a horizon longer than 60 days"):
        M.compute(tables, ["roll_30_90"])


def test_metric_syntax_errors():
    assert M.parse_metric_stat("dpd90_end@p95") == ("dpd90_end", "p95")
    assert M.parse_metric_stat("dpd90_end") == ("dpd90_end", "mean")
    with pytest.raises(InputError, match="dpd30_end"):  # lists the valid names
        M.parse_metric_stat("dpd31_end")
    with pytest.raises(InputError, match="p999"):
        M.parse_metric_stat("dpd30_end@p97")
    with pytest.raises(InputError):
        C.parse_target("dpd30_end=1.5")  # outside [0, 1]
    with pytest.raises(InputError):
        C.parse_target("dpd30_end>=0.1")  # a bound, not a target


def test_default_params_by_target():
    ts = [C.parse_target(t) for t in ("dpd90_end=0.01", "m1_cure_30d=0.86", "dpd30_end=0.015")]
    assert C.default_params(ts) == [C.CURE_M2_M3, C.CURE_M1, C.PD_ALL]
    assert C.default_params([C.parse_target("dpd90_end=0.01")]) == [C.PD_ALL]


def test_calibration_recovers_a_known_multiplier(truth):
    target, pds = truth
    r = C.calibrate(BASE, [C.Target("dpd30_end", "mean", target)], sets=SMALL, paths=16,
                    borrowers=1500, tol=0.005)
    assert r.reached, C.format_result(r)
    assert math.exp(r.x[0]) == pytest.approx(TRUE_MULT, rel=0.03)
    fitted = [s.base_pd for s in r.fitted.book.segments]
    assert fitted == pytest.approx([p * TRUE_MULT for p in pds], rel=0.03)
    assert r.fitted.book.borrowers == 100_000  # the file's own size, not the fitting runs'
    assert r.se[0] > 0 and math.isfinite(r.param_se[0])


def test_cli_writes_fitted_yaml_that_validates(truth, tmp_path, monkeypatch):
    target, _ = truth
    out = tmp_path / "fitted.yaml"
    argv = ["calibrate", BASE, "--target", f"dpd30_end={target:.6f}", "--paths", "16",
            "--borrowers", "1500", "--set", "horizon_days=180", "--out", str(out), "-q"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    for text in ("dpd30_end@mean", "achieved", "MC s.e.", "book.segments[0].base_pd", "reached"):
        assert text in result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["horizon_days"] == 180
    assert _exit(["validate", str(out)], monkeypatch) == 0


@pytest.mark.parametrize("argv", [
    ["--target", "dpd31_end=0.01"],
    ["--target", "dpd30_end=-0.1"],
    ["--target", "dpd30_end=0.01", "--param", "behaviour.no_such_key"],
    ["--target", "dpd30_end=0.01", "--param", "behaviour.cure_daily.M1",
     "--param", "behaviour.rho"],  # more parameters than targets
    ["--target", "dpd30_end=0.01", "--param", "horizon_days"],  # a whole number
])
def test_bad_input_exits_2(argv, monkeypatch):
    assert _exit(["calibrate", BASE, *argv, "--paths", "4", "--borrowers", "200"],
                 monkeypatch) == 2


def test_unreachable_target_exits_1(monkeypatch):
    # m1_cure_30d fitted through cure_daily.M1 alone cannot fall to 0.001
    argv = ["calibrate", BASE, "--target", "m1_cure_30d=0.001", "--paths", "4", "--borrowers",
            "300", "--set", "horizon_days=90", "--max-evals", "8", "-q"]
    assert _exit(argv, monkeypatch) == 1
