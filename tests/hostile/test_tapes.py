"""Hostile loan tapes, one test per case: each must exit 2 naming the file, the column and (for a
value) the row, with no traceback and no run folder written."""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
import yaml

import simulator.cli as cli
from simulator.scenario import bounds as B
from tests.cli_helpers import exit_code

ROWS = {
    "borrower_id": [1, 1, 2, 3],
    "segment": ["a", "a", "b", "a"],
    "principal": [5000.0, 3000.0, 8000.0, 1000.0],
    "daily_rate": [0.0005, 0.0005, 0.0004, 0.0005],
    "term_months": [12, 12, 6, 3],
    "method": ["equal_installment", "interest_first", "equal_principal", "equal_installment"],
    "age_days": [0, 30, 60, 0],
    "dpd": [0, 0, 0, 0],
    "monthly_income": [9000.0, 9000.0, 7000.0, 5000.0],
    "base_pd": [0.02, 0.02, 0.03, 0.01],
}
CSV_HEADER = ",".join(ROWS)


def _csv(rows: dict) -> bytes:
    lines = [",".join(rows)]
    for i in range(len(rows["borrower_id"])):
        lines.append(",".join(str(rows[c][i]) for c in rows))
    return ("\n".join(lines) + "\n").encode()


def _with(column: str, row: int, value) -> dict:
    rows = {c: list(v) for c, v in ROWS.items()}
    rows[column][row] = value
    return rows


def _csv_bytes_at(column: str, row: int, raw: bytes) -> bytes:
    text = _csv(_with(column, row, "@@")).replace(b"@@", raw)
    return text


# (id, suffix, file bytes or a pyarrow table, column expected in the message, row expected)
CASES = [
    ("csv_bad_utf8_cell", ".csv", _csv_bytes_at("segment", 2, b"\xff\xfe"), "segment", 3),
    ("csv_bad_utf8_header", ".csv", b"borrower\xff_id" + _csv(ROWS)[len(b"borrower_id"):],
     None, None),
    ("csv_duplicate_column", ".csv",
     _csv(ROWS).replace(b"base_pd\n", b"principal\n", 1), "principal", None),
    ("parquet_duplicate_column", ".parquet",
     pa.table([pa.array(v) for v in ROWS.values()] + [pa.array(ROWS["dpd"])],
              names=[*ROWS, "dpd"]), "dpd", None),
    ("parquet_binary_not_utf8", ".parquet",
     pa.table({**ROWS, "segment": pa.array([b"a", b"\xff", b"b", b"a"], pa.binary())}),
     "segment", 2),
    *[(f"segment_{name}", ".csv", _csv(_with("segment", 1, bad)), "segment", 2)
      for name, bad in (("space", "a b"), ("slash", "a/b"), ("dots", ".."),
                        ("too_long", "x" * 101), ("colon", "a:b"))],
    ("segment_differs_within_borrower", ".csv", _csv(_with("segment", 1, "b")), "segment", None),
    ("segment_parameter_not_constant", ".parquet",
     pa.table({**ROWS, "unemployment_beta": [1.0, 1.0, 1.0, 2.0]}), "unemployment_beta", None),
    ("principal_1e300", ".csv", _csv(_with("principal", 2, "1e300")), "principal", 3),
    ("principal_above_bound", ".csv", _csv(_with("principal", 2, B.YUAN_MAX * 1.5)),
     "principal", 3),
    ("principal_inf", ".csv", _csv(_with("principal", 0, "1e400")), "principal", 1),
    ("principal_nan", ".parquet", pa.table(_with("principal", 3, float("nan"))), "principal", 4),
    ("income_negative", ".csv", _csv(_with("monthly_income", 1, "-5")), "monthly_income", 2),
    ("rate_above_bound", ".csv", _csv(_with("daily_rate", 0, B.DAILY_RATE_MAX * 1.001)),
     "daily_rate", 1),
    ("term_beyond", ".csv", _csv(_with("term_months", 0, 10**20)), "term_months", None),
    ("age_beyond", ".csv", _csv(_with("age_days", 2, 10**12)), "age_days", 3),
    ("dpd_negative", ".csv", _csv(_with("dpd", 2, -5)), "dpd", 3),
    ("borrower_id_beyond_exact_float", ".csv",
     _csv(_with("borrower_id", 3, "99999999999999999999999")), "borrower_id", 4),
    ("borrower_id_uint64_beyond_int64", ".parquet",
     pa.table({**ROWS, "borrower_id": pa.array([1, 1, 2, 2**64 - 1], pa.uint64())}),
     "borrower_id", 4),
    ("borrower_id_fraction", ".csv", _csv(_with("borrower_id", 1, "1.5")), "borrower_id", 2),
    ("method_number", ".csv", _csv(_with("method", 0, "7")), "method", 1),
]

_COMMAND = typer.main.get_command(cli.app)


@pytest.mark.parametrize(("suffix", "content", "column", "row"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_tape(tmp_path, capsys, monkeypatch, suffix, content, column, row):
    tape = tmp_path / f"tape{suffix}"
    if isinstance(content, bytes):
        tape.write_bytes(content)
    else:
        pq.write_table(content, tape)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump({"name": "t", "horizon_days": 30,
                                        "monte_carlo": {"paths": 1},
                                        "book": {"tape": tape.name}}), encoding="utf-8")
    monkeypatch.setattr(cli, "app", lambda **kw: _COMMAND.main(args=sys.argv[1:],
                                                               prog_name="overdue", **kw))
    out = tmp_path / "run"
    code = exit_code(["run", str(scenario), "--out", str(out), "--quiet"], monkeypatch)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert str(tape) in err and "book.tape" in err, err
    if column is not None:
        assert repr(column) in err, err
    if row is not None:
        assert f"row {row}" in err, err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([tape.name, "s.yaml"])


def test_the_valid_tape_runs(tmp_path, capsys, monkeypatch):
    # the cases above differ from this tape in one thing each; it must pass
    tape = tmp_path / "tape.csv"
    tape.write_bytes(_csv(ROWS))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump({"name": "t", "horizon_days": 30,
                                        "monte_carlo": {"paths": 1},
                                        "book": {"tape": tape.name}}), encoding="utf-8")
    code = exit_code(["run", str(scenario), "--out", str(tmp_path / "run"), "--quiet"],
                     monkeypatch)
    assert code == 0, capsys.readouterr().err
