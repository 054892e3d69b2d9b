"""Damaged run folders given to `overdue report`, `overdue compare` and ``simulator.Run.open``:
every damage x every consumer ends in exit 2 (InputError for the API) naming the damaged file,
never 0 or an internal error, with no traceback and nothing written.

One real run (2,000 borrowers x 2 paths x 60 days) is copied and damaged once per case; the
commands run in this process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from simulator.errors import InputError
from simulator.results import Run
from tests.cli_helpers import run_cli
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"




@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("damage") / "good"
    code, text = run_cli(["run", str(BASELINE), "--borrowers", "2000", "--paths", "2",
                       "--horizon-days", "60", "--quiet", "--out", str(out),
                       *QUICK_ARGS])
    assert code == 0, text
    return out


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _reseal(folder: Path, **tables: int) -> None:
    """Update the manifest's sha256s (and row counts) to the damaged files: damage that the
    checksums alone no longer reveal."""
    m = _manifest(folder)
    for name in m["files"]:
        if (folder / name).exists():
            m["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    m["tables"].update(tables)
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x10
    path.write_bytes(bytes(data))


def _zero_rows(folder: Path) -> None:
    table = pq.read_table(folder / "paths.parquet")
    pq.write_table(table.slice(0, 0), folder / "paths.parquet")
    _reseal(folder, paths=0)


def _files_not_strings(folder: Path) -> None:
    m = _manifest(folder)
    m["files"]["paths.parquet"] = 5
    (folder / "manifest.json").write_text(json.dumps(m))


def _rows_disagree(folder: Path) -> None:
    m = _manifest(folder)
    m["tables"]["paths"] += 1
    (folder / "manifest.json").write_text(json.dumps(m))


def _swap_tables(folder: Path) -> None:
    shutil.copyfile(folder / "quantiles.parquet", folder / "paths.parquet")
    _reseal(folder)


# damage id -> (apply(folder), the file the message must name)
DAMAGES = {
    "truncated_table": (lambda f: _truncate(f / "timeseries.parquet"), "timeseries.parquet"),
    "empty_table": (lambda f: (f / "paths.parquet").write_bytes(b""), "paths.parquet"),
    "missing_table": (lambda f: (f / "quantiles.parquet").unlink(), "quantiles.parquet"),
    "changed_byte": (lambda f: _flip(f / "paths.parquet"), "paths.parquet"),
    "missing_scenario": (lambda f: (f / "scenario.yaml").unlink(), "scenario.yaml"),
    "manifest_missing": (lambda f: (f / "manifest.json").unlink(), "manifest.json"),
    "manifest_empty": (lambda f: (f / "manifest.json").write_text(""), "manifest.json"),
    "manifest_not_json": (lambda f: (f / "manifest.json").write_text("{bad"), "manifest.json"),
    "manifest_not_object": (lambda f: (f / "manifest.json").write_text("[1, 2]"),
                            "manifest.json"),
    "manifest_not_utf8": (lambda f: (f / "manifest.json").write_bytes(b'{"\xff": 1}'),
                          "manifest.json"),
    "manifest_files_not_strings": (_files_not_strings, "manifest.json"),
    "manifest_rows_disagree": (_rows_disagree, "paths.parquet"),
    "truncated_and_resealed": (lambda f: _truncate(f / "paths.parquet") or _reseal(f),
                               "paths.parquet"),
    "emptied_and_resealed": (lambda f: (f / "paths.parquet").write_bytes(b"") or _reseal(f),
                             "paths.parquet"),
    "zero_rows_and_resealed": (_zero_rows, "paths.parquet"),
    "other_table_and_resealed": (_swap_tables, "paths.parquet"),
}
CONSUMERS = ["report", "compare", "compare_first", "Run.open"]


@pytest.mark.parametrize("consumer", CONSUMERS)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_run_folder_is_refused(damage, consumer, good_run, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(good_run, folder)
    apply, fname = DAMAGES[damage]
    apply(folder)
    before = sorted(p.name for p in folder.iterdir())
    if consumer == "Run.open":
        with pytest.raises(InputError) as info:
            Run.open(folder)
        text = str(info.value)
    else:
        argv = {
            "report": ["report", str(folder), "-o", str(tmp_path / "report.pdf")],
            "compare": ["compare", str(good_run), str(folder)],
            "compare_first": ["compare", str(folder), str(good_run)],
        }[consumer]
        code, text = run_cli(argv)
        assert code == 2, text
        assert "Traceback" not in text and "internal error" not in text, text
        assert text.startswith("error: ") and len(text.strip().splitlines()) == 1, text
    assert fname in text, f"the message does not name {fname}: {text}"
    assert "damaged run folder" in text, text
    assert sorted(p.name for p in folder.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged"]  # no report, no temp
