"""Results: the column registry (schema as code), the atomic run-folder writer and the reader."""

from simulator.results.reader import Run
from simulator.results.writer import default_run_dir, write_run

__all__ = ["Run", "default_run_dir", "write_run"]
