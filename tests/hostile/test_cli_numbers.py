"""Hostile numbers on every numeric command-line option, one test per case.

Each option gets non-finite, negative, zero, enormous, thousands-of-digits and non-numeric
values. Whether a value is acceptable comes from the option's documented range (the bounds in
``simulator.scenario.bounds``, or the command's own); a refused value must exit 2 naming the
option, with no traceback and nothing written. An accepted value must not exit 1: commands that
are quick at small sizes run (and ``run`` and ``loan`` show no negative money); the slow ones
are pointed at a scenario that does not exist, so exit 2 must then name that file, not the
option (the option passed its check).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer

import simulator.cli as cli
from simulator.cli.numbers import RUN_COUNTS
from simulator.scenario import bounds as B
from tests.cli_helpers import exit_code
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
MISSING = "no_such_scenario.yaml"
TINY_RUN = ["--paths", "1", "--borrowers", "40", "--horizon-days", "30", "--quiet",
            *QUICK_ARGS]

VALUES = ["nan", "inf", "-inf", "-1", "0", "1" + "0" * 400, "9" * 5000, "1e308", "abc"]

# (command argv before the option, option, int or float, low, high, how an accepted value runs)
# how: "run" a tiny overdue run; "loan" a short ledger; "fast" the command as given;
# "missing" the command on a scenario that does not exist.
OPTIONS: list[tuple[list[str], str, type, float, float, str]] = [
    *[(["run", BASELINE, "--threads", "1", *[a for a in TINY_RUN if a != "--quiet"]], option,
       int, low, high,
       "run") for option, (low, high, _) in RUN_COUNTS.items()],
    (["loan"], "--principal", float, 1e-6, B.YUAN_MAX, "loan"),
    (["loan", "--principal", "1000"], "--daily-rate", float, 1e-9, B.DAILY_RATE_MAX, "loan"),
    (["loan", "--principal", "1000"], "--term", int, B.TERM_MONTHS_MIN, B.TERM_MONTHS_MAX,
     "loan"),
    (["loan", "--principal", "1000"], "--penalty-multiplier", float,
     B.PENALTY_MULTIPLIER_MIN, B.PENALTY_MULTIPLIER_MAX, "loan"),
    (["loan", "--principal", "1000"], "--late-fee", float, 0, B.YUAN_MAX, "loan"),
    (["loan", "--principal", "1000"], "--grace-days", int, 0, B.GRACE_DAYS_MAX, "loan"),
    (["loan", "--principal", "1000"], "--apr-cap", float, 0, B.APR_CAP_MAX, "loan"),
    (["loan", "--principal", "1000"], "--days", int, 1, 36_500, "loan"),
    (["loan", "--principal", "1000"], "--acceleration-dpd", int, 1, B.DPD_MAX, "loan"),
    (["loan", "--principal", "1000"], "--charge-off-dpd", int, 1, B.DPD_MAX, "loan"),
    (["loan", "--principal", "1000"], "--period-days", int, B.PERIOD_DAYS_MIN,
     B.PERIOD_DAYS_MAX, "loan"),
    *[(["calibrate", MISSING, "--target", "dpd30_end=0.01"], option, kind, low, high,
       "missing") for option, kind, low, high in (
        ("--paths", int, 0, B.PATHS_MAX), ("--borrowers", int, 0, B.BORROWERS_MAX),
        ("--max-evals", int, 1, 100_000), ("--threads", int, 0, B.THREADS_MAX),
        ("--tol", float, 1e-300, 1e300))],
    *[(["reverse", MISSING, "--knob", "horizon_days", "--target", "dpd90_end>=0.02",
        *(["--hi", "1"] if option != "--hi" else [])], option, kind, low, high, "missing")
      for option, kind, low, high in (
        ("--hi", float, -1e300, 1e300), ("--lo", float, -1e300, 1e300),
        ("--tol", float, 1e-300, 1e300), ("--paths", int, 1, B.PATHS_MAX),
        ("--borrowers", int, 0, B.BORROWERS_MAX), ("--seeds", int, 0, 1000),
        ("--threads", int, 0, B.THREADS_MAX))],
    *[(["attribute", MISSING], option, int, 0, high, "missing")
      for option, high in (("--paths", B.PATHS_MAX), ("--borrowers", B.BORROWERS_MAX),
                           ("--threads", B.THREADS_MAX))],
    *[(["check", "conservation", BASELINE, "--threads", "1", "--paths", "1", "--borrowers", "30",
        "--set", "horizon_days=30"], option, int, low, high, "fast")
      for option, low, high in (("--paths", 1, B.PATHS_MAX),
                                ("--borrowers", 1, B.BORROWERS_MAX),
                                ("--threads", 0, B.THREADS_MAX))],
    *[(["check", "ledger", "--drawdowns", "4", "--days", "20", "--books", "1"], option, int,
       low, high, "fast")
      for option, low, high in (("--drawdowns", 1, 10_000_000), ("--days", 1, 2000),
                                ("--seed", 0, B.SEED_MAX), ("--books", 1, 100_000))],
]

PAY_VALUES = [("nan_amount", "30:nan"), ("inf_amount", "30:inf"), ("negative", "30:-1"),
              ("huge_amount", "30:1e400"), ("digits_amount", "30:" + "9" * 5000),
              ("text_amount", "30:abc"), ("day_zero", "0:100"), ("day_digits", "9" * 5000 + ":1"),
              ("no_colon", "30")]


def _number(text: str, kind: type) -> float | None:
    """The value ``text`` stands for as the option's kind, or None if it is not one."""
    try:
        value = int(text) if kind is int else float(text)
    except ValueError:
        return None
    return value if kind is int or math.isfinite(value) else None


def _cases():
    for prefix, option, kind, low, high, how in OPTIONS:
        for value in VALUES:
            number = _number(value, kind)
            ok = number is not None and low <= number <= high
            name = value if len(value) < 12 else f"{value[:3]}..{len(value)}chars"
            yield pytest.param(prefix, option, value, ok, how,
                               id=f"{prefix[0]}{'-' + prefix[1] if prefix[0] == 'check' else ''}"
                                  f":{option}:{name}")


CASES = list(_cases())
_COMMAND = typer.main.get_command(cli.app)  # built once: building it is most of a call's time


def _overdue(argv: list[str], monkeypatch) -> int:
    monkeypatch.setattr(cli, "app", lambda **kw: _COMMAND.main(args=sys.argv[1:],
                                                               prog_name="overdue", **kw))
    return exit_code(argv, monkeypatch)


@pytest.mark.parametrize(("prefix", "option", "value", "ok", "how"), CASES)
def test_hostile_option(tmp_path, capsys, monkeypatch, prefix, option, value, ok, how):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    extra = ["--out", str(out)] if prefix[0] == "run" else []
    if prefix[0] == "loan":
        extra = ["--format", "json"] + ([] if option == "--days" else ["--days", "40"])
    code = _overdue([*prefix, option, value, *extra], monkeypatch)
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code != 1, err
    if not ok:
        assert code == 2 and option in err, err
        assert list(tmp_path.iterdir()) == [], "something was written"
        return
    if how == "missing":
        assert code == 2 and MISSING in err and option not in err, err
        return
    assert code == 0, err
    if how == "run":
        folder = Path(captured.out.strip().splitlines()[-1])
        table = pq.read_table(folder / "timeseries.parquet")
        for name in table.column_names:
            if name not in ("path", "day", "segment"):
                assert (table.column(name).to_numpy() >= 0).all(), name
    elif how == "loan":
        _no_negative(json.loads(captured.out))


def _no_negative(data) -> None:
    if isinstance(data, dict):
        for value in data.values():
            _no_negative(value)
    elif isinstance(data, list):
        for value in data:
            _no_negative(value)
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        assert data >= 0 or data == -1, data  # -1 only as "off" markers


@pytest.mark.parametrize("item", [p for _, p in PAY_VALUES], ids=[n for n, _ in PAY_VALUES])
def test_hostile_pay(tmp_path, capsys, monkeypatch, item):
    monkeypatch.chdir(tmp_path)
    code = _overdue(["loan", "--principal", "1000", "--days", "60", "--pay", item], monkeypatch)
    err = capsys.readouterr().err
    assert code == 2 and "--pay" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_what_zero_means_matches_the_engine():
    from simulator.book.inputs import DEFAULT_CHUNK
    from simulator.engine.tasks import DEFAULT_PATH_BLOCK

    assert RUN_COUNTS["--chunk-size"][2] == f"the default, {DEFAULT_CHUNK:,} borrowers"
    assert RUN_COUNTS["--path-block"][2] == f"the default, {DEFAULT_PATH_BLOCK} paths"
    help_text = " ".join(p.help or "" for p in _COMMAND.commands["run"].params)
    assert f"(default or 0: {DEFAULT_CHUNK:,})" in help_text
    assert f"(default or 0: {DEFAULT_PATH_BLOCK})" in help_text
