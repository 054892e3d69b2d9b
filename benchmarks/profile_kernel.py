"""Where the portfolio kernel spends its time, by source function.

The kernel is one compiled function with its helpers inlined, so a sampling profiler sees
only anonymous addresses. This runs ``simulate`` under ``perf record`` with numba's line
tables on and a private compile cache, takes the kernel's object code from that cache (the
same bytes that ran), maps every sample to its source line with ``addr2line`` and sums the
samples by the Python function the line belongs to. Inlined code is credited to the
innermost line the line table names; samples a slow instruction causes often land on the
next one, so read neighbouring rows together.

    python benchmarks/profile_kernel.py [scenario.yaml] [--set key=value ...]

Needs Linux ``perf`` and binutils' ``addr2line``. Measures the second of two runs (the first
compiles), 1 thread.
"""

from __future__ import annotations

import argparse
import ast
import collections
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

SIZE = ["monte_carlo.paths=10", "book.borrowers=60000", "book.burn_in_months=0"]


def _child(scenario: str, overrides: list[str], out: Path) -> None:
    """Run the kernel twice; record the compiled kernel's address and cache folder."""
    import simulator
    from simulator.book.inputs import kernel_inputs
    from simulator.kernels import portfolio

    sc = simulator.load_scenario(scenario, [*SIZE, *overrides])
    inputs = kernel_inputs(sc)
    simulator.simulate(sc, threads=1, inputs=inputs)
    simulator.simulate(sc, threads=1, inputs=inputs)
    (cres,) = portfolio._simulate.overloads.values()
    address = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
    out.write_text(f"{address}\n{portfolio._simulate.stats.cache_path}\n")


def _object_code(cache_path: str) -> bytes:
    """The kernel's ELF object as numba cached it (one ``_simulate`` entry: a fresh cache)."""
    (nbc,) = Path(cache_path).glob("portfolio._simulate-*.nbc")
    blob = nbc.read_bytes()
    start = blob.index(b"\x7fELF")
    (section_headers,) = struct.unpack_from("<Q", blob, start + 0x28)
    entry_size, entries = struct.unpack_from("<HH", blob, start + 0x3A)
    return blob[start : start + section_headers + entry_size * entries]


def _functions(path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function in a Python file."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError):
        return []
    return [(n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef)]


def _by_function(lines: list[str]) -> collections.Counter:
    """Samples per ``file:function`` from ``addr2line``'s ``path:line`` answers."""
    counts: collections.Counter = collections.Counter()
    cache: dict[str, list] = {}
    for answer in lines:
        path, _, number = answer.strip().rpartition(":")
        number = number.split()[0] if number else "0"
        line = int(number) if number.isdigit() else 0
        name = "(no line)"
        if line:
            spans = cache.setdefault(path, _functions(path))
            inner = [s for s in spans if s[0] <= line <= s[1]]
            name = min(inner, key=lambda s: s[1] - s[0])[2] if inner else "(module)"
        counts[f"{Path(path).name}:{name}"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.scenario, args.overrides, args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_DEBUGINFO": "1", "OVERDUE_CACHE_DIR": f"{tmp}/cache"}
        facts = Path(tmp) / "facts"
        cmd = [sys.executable, __file__, args.scenario, "--child", str(facts),
               *[a for o in args.overrides for a in ("--set", o)]]
        subprocess.run(["perf", "record", "-q", "-F", "2000", "-o", f"{tmp}/perf.data", "--",
                        *cmd], env=env, check=True)
        address, cache_path = facts.read_text().split()
        obj = Path(tmp) / "kernel.o"
        obj.write_bytes(_object_code(cache_path))
        script = subprocess.run(["perf", "script", "-i", f"{tmp}/perf.data", "-F", "ip"],
                                capture_output=True, text=True, check=True).stdout
        size = obj.stat().st_size
        offsets = [int(ip, 16) - int(address) for ip in script.split()]
        inside = [hex(o) for o in offsets if 0 <= o < size]
        lines = subprocess.run(["addr2line", "-e", str(obj)], input="\n".join(inside),
                               capture_output=True, text=True, check=True).stdout.splitlines()
    counts = _by_function(lines)
    total = sum(counts.values())
    print(f"{total:,} samples in the kernel ({len(offsets):,} in the process)")
    for name, n in counts.most_common(args.top):
        print(f"{100 * n / total:6.1f}%  {name}")


if __name__ == "__main__":
    main()
