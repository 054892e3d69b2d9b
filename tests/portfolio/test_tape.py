"""Loan tapes: a tape written from a synthetic book gives the same run; bad tapes are refused
with the column and row named, exit code 2."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

import simulator
from simulator.book.inputs import kernel_inputs
from simulator.contract.money import MICRO
from simulator.contract.schedule import METHODS
from simulator.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["book.borrowers=400", "monte_carlo.paths=3", "horizon_days=120",
         "book.revolving.new_borrowers_monthly=0", "book.revolving.redraw_probability=0",
         "book.burn_in_months=0", "contract.charge_off_dpd=180"]


def _tape_from_book(scenario) -> pa.Table:
    """The synthetic book of ``scenario`` as a tape, borrower by borrower."""
    inputs = kernel_inputs(scenario)
    book = inputs.book
    per_dd = np.repeat(np.arange(len(book.borrower_id)), np.diff(book.borrower_start))
    segs = scenario.book.segments
    seg = book.segment[per_dd]
    return pa.table({
        "borrower_id": book.borrower_id[per_dd],
        "segment": [segs[s].name for s in seg],
        "principal": book.principal / MICRO,
        "daily_rate": book.daily_rate,
        "term_months": book.term.astype(np.int64),
        "method": [METHODS[m] for m in book.method],
        "age_days": book.age.astype(np.int64),
        "dpd": book.dpd0.astype(np.int64),
        "monthly_income": book.income[per_dd],
        # the borrower's PD as the synthetic book spreads it
        "base_pd": np.array([segs[s].base_pd for s in seg]) * book.pd_multiplier[per_dd],
        "other_debt_service_ratio": [segs[s].other_debt_service_ratio for s in seg],
        "unemployment_beta": [segs[s].unemployment_beta for s in seg],
    })


def _with_tape(tmp_path, table: pa.Table, suffix=".parquet", extra=()):
    path = tmp_path / f"tape{suffix}"
    if suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    scenario = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    data = yaml.safe_load(scenario.to_yaml())
    del data["book"]["segments"]  # the tape replaces them
    data["book"]["tape"] = str(path)
    out = tmp_path / "tape_scenario.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return simulator.load_scenario(out, list(extra)), out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_tape_of_the_synthetic_book_gives_the_same_run(tmp_path, suffix):
    # 400 borrowers x 3 paths x 120 days; the tape is the synthetic book written out, so the
    # aggregates must be identical to the last micro-yuan (book principal is whole hundreds).
    synthetic = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    tape_scenario, _ = _with_tape(tmp_path, _tape_from_book(synthetic), suffix)
    a, _ = simulator.simulate(synthetic, threads=1)
    b, _ = simulator.simulate(tape_scenario, threads=1)
    assert a["paths"].equals(b["paths"])
    # a tape lists segments in order of first appearance: compare segment by segment
    for seg in ("salaried", "self_employed", "gig"):
        rows_a = a["timeseries"].filter(pc.equal(a["timeseries"]["segment"].cast(pa.string()), seg))
        rows_b = b["timeseries"].filter(pc.equal(b["timeseries"]["segment"].cast(pa.string()), seg))
        assert rows_a.num_rows == 3 * 121
        assert rows_a.drop_columns(["segment"]).equals(rows_b.drop_columns(["segment"])), seg


def _bad(tmp_path, change) -> str:
    synthetic = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    table = change(_tape_from_book(synthetic))
    with pytest.raises(InputError) as err:
        scenario, _ = _with_tape(tmp_path, table)
        kernel_inputs(scenario)
    assert err.value.path == "book.tape"
    return str(err.value)


def _set(table, name, row, value):
    values = table.column(name).to_pylist()
    values[row] = value
    return table.set_column(table.column_names.index(name), name,
                            pa.array(values, table.column(name).type))


def test_bad_tapes_name_column_and_row(tmp_path):
    assert "missing column(s) base_pd" in _bad(tmp_path, lambda t: t.drop_columns(["base_pd"]))
    assert "unknown column(s) colour" in _bad(
        tmp_path, lambda t: t.append_column("colour", pa.array(["red"] * t.num_rows)))
    msg = _bad(tmp_path, lambda t: _set(t, "daily_rate", 4, 0.5))
    assert "must be > 0 and <= 0.001" in msg and "'daily_rate', row 5" in msg
    msg = _bad(tmp_path, lambda t: _set(t, "method", 2, "balloon"))
    assert "must be one of" in msg and "row 3" in msg
    msg = _bad(tmp_path, lambda t: _set(t, "dpd", 0, 181))
    assert "below charge-off" in msg
    # a DPD that no missed due date can give: age - dpd falls between due days
    table = _tape_from_book(simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL))
    age = table.column("age_days").to_pylist()
    row = next(i for i, a in enumerate(age) if a > 45)
    msg = _bad(tmp_path, lambda t: _set(_set(t, "dpd", row, 1), "age_days", row, 46))
    assert "is not a due day of this schedule" in msg and f"row {row + 1}" in msg


def test_bad_tape_through_the_cli_exits_2(tmp_path):
    synthetic = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    _, scenario_file = _with_tape(tmp_path, _tape_from_book(synthetic).drop_columns(["segment"]))
    proc = subprocess.run(
        [sys.executable, "-c", "from simulator.cli import main; main()", "run",
         str(scenario_file), "--out", str(tmp_path / "run")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "missing column(s) segment" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_tape_docs_are_the_module_docstring():
    import simulator.book.tape as tape

    text = (ROOT / "docs" / "tape.md").read_text(encoding="utf-8")
    assert tape.__doc__.strip() in text, "docs/tape.md is stale: copy simulator/tape.py's docstring"
    for column in tape.REQUIRED + tuple(tape.OPTIONAL):
        assert f"``{column}``" in text


def test_tape_docs_quote_the_bounds_the_reader_enforces():
    import simulator.book.tape as tape
    from simulator.scenario import bounds as B

    doc = " ".join(tape.__doc__.split())
    assert f"integer {B.TERM_MONTHS_MIN}..{B.TERM_MONTHS_MAX}" in doc
    assert f"number in (0, {B.DAILY_RATE_MAX:g}]" in doc
    assert f"integer 0..{tape.AGE_DAYS_MAX}" in doc and f"integer 0..{B.DPD_MAX}" in doc
    assert "number in (0, 1e9]" in doc and B.YUAN_MAX == 10**9
    assert f"number 0..{B.SENSITIVITY_MAX}" in doc
    assert f"at most {B.MAX_DRAWDOWNS} drawdowns" in doc
