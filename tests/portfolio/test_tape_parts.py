"""Tapes read where they are used: a run indexes the tape part by part and each task reads only
the parts holding its borrowers. Same bits whatever the layout (one file, a dataset folder,
CSV blocks), the chunk size, the threads or the engine; errors in a later part still name the
file, row and column; the plan carries no rows."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from test_tape import ROOT, SMALL, _tape_from_book

import simulator
import simulator.book.tape_chunk as tape_chunk
import simulator.book.tape_parts as tape_parts
from simulator.book.inputs import chunk_inputs, kernel_inputs, plan_run
from simulator.book.money import money_parts
from simulator.book.tape_index import money_book
from simulator.errors import InputError
from simulator.results.checkpoint import _tape_stamp
from simulator.scenario.bounds import MONEY_LIMIT_MICRO


@pytest.fixture(scope="module")
def table() -> pa.Table:
    """The baseline's synthetic book (400 borrowers, 554 drawdowns) as a tape."""
    return _tape_from_book(simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL))


def _shuffled(table: pa.Table, seed: int = 7) -> pa.Table:
    """Borrowers' rows spread in a random order, so a borrower's rows land in different parts
    and files; each borrower's own rows keep their order (it numbers its drawdowns)."""
    ids = table["borrower_id"].to_numpy()
    slots = np.random.default_rng(seed).permutation(len(ids))  # a plain shuffle's order
    take = np.empty(len(ids), np.int64)
    # each borrower's places in the shuffle, in order, take its rows, in order
    take[np.argsort(ids[slots], kind="stable")] = np.argsort(ids, kind="stable")
    return table.take(pa.array(take))


def _scenario(tmp_path, tape_name: str, extra=()):
    base = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    data = yaml.safe_load(base.to_yaml())
    del data["book"]["segments"]
    data["book"]["tape"] = tape_name
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return simulator.load_scenario(path, list(extra))


def _dataset(folder, table: pa.Table, cuts: list[int], row_group_size: int = 64):
    """``table`` split at ``cuts`` into files part-0.parquet, part-1.parquet, ... of
    ``folder``, in order."""
    folder.mkdir()
    edges = [0, *cuts, table.num_rows]
    for k, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        pq.write_table(table.slice(a, b - a), folder / f"part-{k}.parquet",
                       row_group_size=row_group_size)


def _tables(scenario, **options) -> dict[str, pa.Table]:
    return simulator.simulate(scenario, **options)[0]


def _same(a: dict, b: dict) -> None:
    for name in ("timeseries", "paths", "quantiles"):
        assert a[name].equals(b[name]), name


def test_a_dataset_folder_gives_the_bits_of_one_file(tmp_path, table):
    # rows shuffled so most borrowers' rows lie in several row groups and files
    rows = _shuffled(table)
    pq.write_table(rows, tmp_path / "one.parquet")
    _dataset(tmp_path / "many.parquet", rows, [200, 210, 450])
    one = _scenario(tmp_path, "one.parquet")
    many = _scenario(tmp_path, "many.parquet")
    whole = _tables(one, threads=1, inputs=kernel_inputs(one))  # the tape read as one book
    _same(_tables(one, threads=1), whole)
    for chunk, threads in ((1, 1), (57, 2), (1000, 2)):
        _same(_tables(many, threads=threads, chunk_size=chunk), whole)


def test_a_csv_read_in_blocks_gives_the_bits_of_parquet(tmp_path, table, monkeypatch):
    rows = _shuffled(table, seed=11)
    pq.write_table(rows, tmp_path / "t.parquet", row_group_size=100)
    pacsv.write_csv(rows, tmp_path / "t.csv")
    monkeypatch.setattr(tape_parts, "CSV_BLOCK_BYTES", 2048)  # about 30 blocks
    csv = _scenario(tmp_path, "t.csv")
    plan = plan_run(csv, 64)
    assert len(plan.tape.parts) > 20
    _same(_tables(csv, threads=2, chunk_size=64),
          _tables(_scenario(tmp_path, "t.parquet"), threads=1, chunk_size=400))


def test_the_run_equals_the_synthetic_run_it_was_written_from(tmp_path, table):
    # independent of the tape code: the synthetic book's own run, segment by segment (a
    # shuffled tape lists its segments in another order)
    synthetic = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    _dataset(tmp_path / "d.parquet", _shuffled(table, seed=3), [300])
    a = _tables(synthetic, threads=1)
    b = _tables(_scenario(tmp_path, "d.parquet"), threads=2, chunk_size=33)
    assert a["paths"].equals(b["paths"])
    for seg in ("salaried", "self_employed", "gig"):
        pick = [t["timeseries"].filter(pc.equal(t["timeseries"]["segment"].cast(pa.string()),
                                                seg)).drop_columns(["segment"]) for t in (a, b)]
        assert pick[0].num_rows == 3 * 121 and pick[0].equals(pick[1]), seg


def test_a_task_reads_only_the_parts_that_hold_its_borrowers(tmp_path, table, monkeypatch):
    # sorted by borrower, 50 rows a row group: chunk k's borrowers lie in a few row groups
    rows = table.sort_by("borrower_id")
    pq.write_table(rows, tmp_path / "sorted.parquet", row_group_size=50)
    scenario = _scenario(tmp_path, "sorted.parquet")
    plan = plan_run(scenario, 100)
    ids = np.unique(rows["borrower_id"].to_numpy())
    row_ids = rows["borrower_id"].to_numpy()
    read = []
    real = tape_chunk.read_part
    monkeypatch.setattr(tape_chunk, "read_part", lambda part: read.append(part.where)
                        or real(part))
    for k in range(4):
        read.clear()
        inputs, lo, hi = chunk_inputs(plan, 100 * k, 100 * (k + 1))
        assert (lo, hi) == (0, 100)
        mine = ids[100 * k: 100 * (k + 1)]
        assert np.array_equal(inputs.book.borrower_id, mine)
        held = np.isin(row_ids, mine)
        assert inputs.book.borrower_start[-1] == held.sum()  # every row of its borrowers
        assert read == sorted(set(np.flatnonzero(held) // 50))  # and only their row groups
        assert len(read) <= len(plan.tape.parts) // 2


def test_the_plan_holds_no_rows(tmp_path, table):
    # the tape, and the tape four times over (other borrowers), in as many parts and chunks
    n = table.num_rows
    big = pa.concat_tables([table.set_column(0, "borrower_id",
                                             pc.add(table["borrower_id"], 10**9 * k))
                            for k in range(4)])
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=-(-n // 5))
    pq.write_table(big, tmp_path / "big.parquet", row_group_size=-(-4 * n // 5))
    small_plan = plan_run(_scenario(tmp_path, "t.parquet"), 50)
    big_plan = plan_run(_scenario(tmp_path, "big.parquet"), 200)
    for plan, rows in ((small_plan, n), (big_plan, 4 * n)):
        book = plan.inputs.book
        assert book.borrower_start.tolist() == [0] and len(book.age) == 0
        index = plan.tape
        assert (index.n_drawdowns, len(index.parts), len(index.starts)) == (rows, 5, 8)
        arrays = [v for v in index._asdict().values() if isinstance(v, np.ndarray)]
        assert max(len(a) for a in arrays) == 8
    # what Dask would send every worker does not grow with the rows
    sizes = [len(pickle.dumps(p.tape)) for p in (small_plan, big_plan)]
    assert abs(sizes[1] - sizes[0]) < 200, sizes


def _refused(scenario) -> str:
    with pytest.raises(InputError) as err:
        plan_run(scenario)
    assert err.value.path == "book.tape"
    return str(err.value)


def _set(table: pa.Table, name: str, row: int, value) -> pa.Table:
    values = table.column(name).to_pylist()
    values[row] = value
    return table.set_column(table.column_names.index(name), name,
                            pa.array(values, table.column(name).type))


def test_an_error_in_a_later_part_names_its_file_row_and_column(tmp_path, table, monkeypatch):
    # the 18th row of the third file (row 418 of the tape)
    _dataset(tmp_path / "d.parquet", _set(table, "daily_rate", 417, 0.5), [150, 400])
    msg = _refused(_scenario(tmp_path, "d.parquet"))
    assert str(tmp_path / "d.parquet" / "part-2.parquet") in msg
    assert "must be > 0 and <= 0.001" in msg and "(column 'daily_rate', row 18)" in msg
    # a CSV block far into the file: the row of the file, not of the block
    pacsv.write_csv(_set(table, "method", 501, "balloon"), tmp_path / "t.csv")
    monkeypatch.setattr(tape_parts, "CSV_BLOCK_BYTES", 2048)
    msg = _refused(_scenario(tmp_path, "t.csv"))
    assert "must be one of" in msg and "(column 'method', row 502)" in msg


def test_a_borrower_across_files_is_checked_as_one(tmp_path, table):
    ids = table["borrower_id"].to_numpy()
    held, counts = np.unique(ids, return_counts=True)
    b = int(held[counts >= 2][0])
    n_b = int((ids == b).sum())
    # borrower b's rows first; its last row opens the second file, with another income
    rows = table.take(pa.array(np.argsort(ids != b, kind="stable")))
    changed = _set(rows, "monthly_income", n_b - 1, 123.0)
    cut = n_b - 1
    _dataset(tmp_path / "d.parquet", changed, [cut])
    msg = _refused(_scenario(tmp_path, "d.parquet"))
    assert str(tmp_path / "d.parquet" / "part-1.parquet") in msg
    assert "must be the same on every row of a borrower" in msg
    assert "(column 'monthly_income', row 1)" in msg
    # eleven drawdowns of one borrower, six in one file and five in the next
    eleven = pa.concat_tables([table.slice(0, 1)] * 11)
    _dataset(tmp_path / "e.parquet", pa.concat_tables([eleven, table.slice(1)]), [6])
    msg = _refused(_scenario(tmp_path, "e.parquet"))
    assert str(tmp_path / "e.parquet" / "part-1.parquet") in msg
    assert "more than 10 drawdowns" in msg and "(column 'borrower_id', row 5)" in msg


def test_the_money_bound_adds_up_over_the_files(tmp_path):
    # each file alone fits int64 micro-yuan; together they do not
    def rows(n, first):
        return pa.table({
            "borrower_id": np.arange(first, first + n), "segment": ["s"] * n,
            "principal": np.full(n, 1e9), "daily_rate": np.full(n, 0.001),
            "term_months": np.full(n, 36), "method": ["equal_installment"] * n,
            "age_days": np.zeros(n, np.int64), "dpd": np.zeros(n, np.int64),
            "monthly_income": np.full(n, 1e4), "base_pd": np.full(n, 0.02)})

    (tmp_path / "d.parquet").mkdir()
    text = yaml.safe_dump({"name": "big", "horizon_days": 3650, "monte_carlo": {"paths": 1},
                           "book": {"tape": "d.parquet"}})
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    scenario = simulator.load_scenario(tmp_path / "s.yaml")
    one = rows(1, 0)
    cols = {c: one[c].to_numpy(zero_copy_only=False) for c in one.column_names}
    each, _ = money_parts(scenario, money_book(scenario, cols, np.array([10**15], np.int64)))
    per_file = int(MONEY_LIMIT_MICRO // each[0]) // 2  # half the limit's rows in each file
    for k in range(3):
        pq.write_table(rows(per_file, k * per_file), tmp_path / "d.parquet" / f"{k}.parquet")
    msg = _refused(scenario)
    assert f"holds {3 * per_file:,} drawdowns" in msg and "does not fit" in msg
    (tmp_path / "d.parquet" / "2.parquet").unlink()  # two halves: just within
    assert plan_run(scenario).tape.n_drawdowns == 2 * per_file


def test_a_folder_tape_loads_and_its_stamp_follows_its_files(tmp_path, table):
    _dataset(tmp_path / "d.parquet", table, [300])
    scenario = _scenario(tmp_path, "d.parquet")
    assert scenario.book.tape == str((tmp_path / "d.parquet").resolve())
    before = _tape_stamp(scenario.book.tape)
    pq.write_table(table.slice(0, 10), tmp_path / "d.parquet" / "part-2.parquet")
    assert _tape_stamp(scenario.book.tape) != before
    (tmp_path / "c.csv").mkdir()
    with pytest.raises(InputError, match="is a folder, not a CSV file"):
        _scenario(tmp_path, "c.csv")
    (tmp_path / "empty.parquet").mkdir()
    assert "holds no Parquet files" in _refused(_scenario(tmp_path, "empty.parquet"))


def test_a_file_changed_after_indexing_is_refused_by_the_task(tmp_path, table):
    pq.write_table(table, tmp_path / "t.parquet")
    plan = plan_run(_scenario(tmp_path, "t.parquet"), 100)
    pq.write_table(table.slice(0, 300), tmp_path / "t.parquet")
    with pytest.raises(InputError, match="changed after the run read it"):
        chunk_inputs(plan, 0, 100)


@pytest.mark.slow
def test_the_dask_engine_reads_the_same_bits(tmp_path, table):
    pytest.importorskip("distributed")
    _dataset(tmp_path / "d.parquet", _shuffled(table), [250])
    scenario = _scenario(tmp_path, "d.parquet")
    _same(_tables(scenario, engine="dask", chunk_size=90, path_block=2),
          _tables(scenario, threads=1, inputs=kernel_inputs(scenario)))
