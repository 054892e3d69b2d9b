"""The benchmark suite behind ``overdue bench``.

Every case reports throughput in drawdown-days (one drawdown stepped over one day on one path):
drawdown-days per second and nanoseconds per drawdown-day. The cases:

``kernel_1m`` / ``kernel_100k_x100``
    the real kernel through :func:`simulator.simulate` with baseline behaviour, 2 threads,
    the best of 3 and 2 runs (full mode); book, macro and parameters are built once
    beforehand and timed apart (``inputs_s``).
``thread_scaling``
    ``kernel_1m`` again on 1 thread: the 2-thread / 1-thread throughput ratio.
``numpy_peer``
    a vectorised numpy day-stepping version of the same model against the kernel (1 thread,
    no engine) on the same small book: kernel / numpy throughput, the regression gate's figure
    (a ratio measured in one run, so a noisy shared machine slows both sides alike).
``large_memory``
    10,000,000 borrowers x 1 path in a subprocess, the book drawn by the tasks chunk by chunk
    as ``overdue run`` draws it; its peak resident memory.
``cold_start`` / ``warm_small_run`` / ``cache_fallback``
    ``overdue run`` in subprocesses: with a fresh, empty cache (wall time including
    compilation), with that cache warm, and with the cache folder unwritable (must still run).

``--scale`` runs a separate group (:func:`run_scale_suite`): whole ``overdue run`` commands
far beyond one chunk (100,000,000 borrowers x 365 days; 1,000,000 and 20,000,000 borrowers x
60 days; a two-worker loopback Dask run of 20,000,000; 1,000,000 borrowers x 1,000 paths),
each process's peak memory and the whole command's time.

``quick`` mode runs every case once at tiny sizes through the same code paths (under a minute);
the gate compares like with like (a quick baseline against a quick run).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from simulator.bench.numpy_peer import peer_book, simulate_numpy
from simulator.errors import InputError
from simulator.scenario.shipped import shipped_scenario

SCHEMA = "overdue-bench/1"
SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the imported ``simulator`` package: a checkout's root, or site-packages."""
DEFAULT_SCENARIO = shipped_scenario("baseline.yaml")
GATE_TOLERANCE = 0.25  # a kernel/numpy ratio more than 25% below the baseline's fails

SIZES = {
    "full": dict(
        kernel_1m=(1_000_000, 1), kernel_100k_x100=(100_000, 100), chunk_size=None,
        peer_drawdowns=20_000, repeats=5, kernel_repeats=(3, 2), large=(10_000_000, 1),
        cold=(1_000, 1, 30), warm=(10_000, 10, 365), burn_in=(100_000, 10),
    ),
    "quick": dict(
        kernel_1m=(20_000, 1), kernel_100k_x100=(2_000, 10), chunk_size=2_500,
        peer_drawdowns=20_000, repeats=5, kernel_repeats=(1, 1), large=(50_000, 1),
        cold=(1_000, 1, 30), warm=(1_000, 2, 365), burn_in=(2_000, 2),
    ),
}

Log = Callable[[str], None]


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        pass
    return {"host": socket.gethostname(), "cpu_model": cpu, "cores": os.cpu_count(),
            "usable_cores": usable, "memory_mb": mem, "platform": platform.platform()}


def versions() -> dict:
    import numba
    import pyarrow

    from simulator._version import __version__

    commit, dirty = _git_state(SOURCE_ROOT)
    return {"overdue": __version__, "git_commit": commit,
            "uncommitted_changes_in_simulator": dirty, "python": sys.version.split()[0],
            "numpy": np.__version__, "numba": numba.__version__, "pyarrow": pyarrow.__version__}


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    """(commit, uncommitted changes under simulator/) of the checkout the code runs from;
    (None, None) for an installed package, even one inside some other repository, or no git."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              timeout=10)

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root.resolve():
            return None, None
        commit = git("rev-parse", "--short", "HEAD").stdout.strip() or None
        status = git("status", "--porcelain", "--untracked-files=no", "--", "simulator")
        return commit, (bool(status.stdout.strip()) if commit else None)
    except (OSError, subprocess.SubprocessError):
        return None, None


def _rates(drawdown_days: int, seconds: float) -> dict:
    seconds = max(seconds, 1e-9)
    return {"drawdown_days": int(drawdown_days), "seconds": round(seconds, 4),
            "drawdown_days_per_s": round(drawdown_days / seconds),
            "ns_per_drawdown_day": round(seconds * 1e9 / max(drawdown_days, 1), 3)}


def _child_env(cache_dir: str | None = None) -> dict:
    """The environment of a benchmark child: this one, importing the same ``simulator``; with
    ``cache_dir``, compiled kernels go there instead of this process's cache folder."""
    env = dict(os.environ)
    if cache_dir is not None:
        for key in ("NUMBA_CACHE_DIR", "OVERDUE_NO_CACHE"):
            env.pop(key, None)
        env["OVERDUE_CACHE_DIR"] = cache_dir
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")]))
    return env


def _start_child(args: list[str], env: dict) -> tuple[subprocess.Popen, float, list[str]]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    return proc, time.perf_counter(), args


def _finish_child(started: tuple[subprocess.Popen, float, list[str]],
                  timeout: float) -> tuple[float, str]:
    proc, t0, args = started
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed ({proc.returncode}): "
                           f"{' '.join(args[:4])}...\n{err[-2000:]}")
    return wall, out


def _run_child(args: list[str], env: dict, timeout: float) -> tuple[float, str]:
    return _finish_child(_start_child(args, env), timeout)


def _run_args(scenario: Path, borrowers: int, paths: int, horizon: int, out: Path,
              threads: int = 2) -> list[str]:
    return [sys.executable, "-c", "from simulator.cli import main; main()", "run",
            str(scenario), "--paths", str(paths), "--borrowers", str(borrowers),
            "--horizon-days", str(horizon), "--threads", str(threads), "--quiet",
            "--force", "--out", str(out), "--set", "book.burn_in_months=0"]


def _overdue_run(scenario: Path, borrowers: int, paths: int, horizon: int, out: Path,
                 env: dict) -> tuple[float, dict]:
    """``overdue run`` end to end in a fresh interpreter: (wall seconds, manifest)."""
    wall, _ = _run_child(_run_args(scenario, borrowers, paths, horizon, out), env, timeout=1800)
    return wall, json.loads((out / "manifest.json").read_text())


_LARGE_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import simulator
from simulator.book.inputs import plan_run
sc = simulator.load_scenario(sys.argv[1], ["monte_carlo.paths=" + sys.argv[3],
                                           "book.borrowers=" + sys.argv[2],
                                           "book.burn_in_months=0"])
t1 = time.perf_counter()
inputs = plan_run(sc)  # as overdue run: the tasks draw the book chunk by chunk
t2 = time.perf_counter()
tables, facts = simulator.simulate(sc, threads=int(sys.argv[4]), inputs=inputs)
t3 = time.perf_counter()
print(json.dumps({"import_load_s": t1 - t0, "inputs_s": t2 - t1, "simulate_s": t3 - t2,
                  "simulate_facts_s": facts["timings_s"]["simulate"],
                  "drawdowns": facts["drawdowns"], "drawdown_days": facts["drawdown_days"],
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


# --------------------------------------------------------------------------- cases


def _load(scenario: Path, borrowers: int, paths: int, burn_in_months: int = 0):
    """The scenario at this size; without its burn-in unless asked (the kernel cases measure
    the horizon's days, comparable over the history; the burn-in is a case of its own)."""
    import simulator

    return simulator.load_scenario(scenario, [f"monte_carlo.paths={paths}",
                                              f"book.borrowers={borrowers}",
                                              f"book.burn_in_months={burn_in_months}"])


def case_burn_in(scenario: Path, borrowers: int, paths: int, repeats: int) -> dict:
    """What the burn-in adds: the run with the scenario's own burn-in (12 months if it has
    none) against the same run without, best of ``repeats`` each, 2 threads."""
    import simulator

    months = simulator.load_scenario(scenario).book.burn_in_months or 12
    seconds = {}
    for m in (0, months):
        sc = _load(scenario, borrowers, paths, m)
        runs = []
        for _ in range(max(1, repeats)):
            _, facts = simulator.simulate(sc, threads=2)
            runs.append(facts["timings_s"]["simulate"])
        seconds[m] = min(runs)
    extra = seconds[months] - seconds[0]
    return {"borrowers": borrowers, "paths": paths, "burn_in_months": months,
            "without_s": round(seconds[0], 3), "with_s": round(seconds[months], 3),
            "burn_in_s": round(extra, 3),
            "burn_in_s_per_month_per_m_borrower_paths":
                round(extra / months / (borrowers * paths / 1e6), 3)}


def case_kernel(scenario: Path, borrowers: int, paths: int, threads: int,
                chunk_size: int | None, inputs=None, repeats: int = 1) -> tuple[dict, object]:
    """The kernel through the engine, best of ``repeats`` runs (a shared machine only ever
    slows a run down); inputs built once and timed apart."""
    import simulator
    from simulator.book.inputs import kernel_inputs

    sc = _load(scenario, borrowers, paths)
    t0 = time.perf_counter()
    inputs = inputs or kernel_inputs(sc)
    inputs_s = time.perf_counter() - t0
    runs = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        _, facts = simulator.simulate(sc, threads=threads, chunk_size=chunk_size, inputs=inputs)
        runs.append(facts["timings_s"]["simulate"] or time.perf_counter() - t0)
    rec = {"borrowers": borrowers, "paths": paths, "horizon_days": int(sc.horizon_days),
           "threads": facts["threads"], "tasks": facts["tasks"], "drawdowns": facts["drawdowns"],
           "inputs_s": round(inputs_s, 3), "tables_s": facts["timings_s"]["tables"],
           "runs_s": [round(x, 4) for x in runs],
           **_rates(facts["drawdown_days"], min(runs))}
    return rec, inputs


def case_numpy_peer(scenario: Path, drawdowns: int, repeats: int) -> dict:
    """Kernel (1 thread, one task, no engine) against the numpy peer on the same book;
    best of ``repeats`` for each side."""
    from simulator.engine.tasks import Task, run_task

    sc = _load(scenario, 1, 1)
    book = peer_book(sc, drawdowns)
    inputs = book.inputs
    horizon = int(sc.horizon_days)
    n_b = len(inputs.book.borrower_id)
    task = Task(0, 1, 0, n_b)
    run_task(inputs, Task(0, 1, 0, min(n_b, 10)))  # compile or load before timing
    kernel_s, numpy_s = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_task(inputs, task)
        kernel_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        simulate_numpy(book, horizon, seed=int(sc.monte_carlo.seed))
        numpy_s.append(time.perf_counter() - t0)
    dd = len(book.principal) * horizon
    kernel, peer = _rates(dd, min(kernel_s)), _rates(dd, min(numpy_s))
    return {"drawdowns": len(book.principal), "borrowers": n_b, "horizon_days": horizon,
            "threads": 1, "repeats": repeats,
            "kernel_drawdown_days_per_s": kernel["drawdown_days_per_s"],
            "kernel_ns_per_drawdown_day": kernel["ns_per_drawdown_day"],
            "numpy_drawdown_days_per_s": peer["drawdown_days_per_s"],
            "numpy_ns_per_drawdown_day": peer["ns_per_drawdown_day"],
            "kernel_s": [round(x, 4) for x in kernel_s], "numpy_s": [round(x, 4) for x in numpy_s],
            "ratio_kernel_to_numpy": round(min(numpy_s) / min(kernel_s), 3)}


def case_large_memory(scenario: Path, borrowers: int, paths: int, threads: int = 2) -> dict:
    args = [sys.executable, "-c", _LARGE_CHILD, str(scenario), str(borrowers), str(paths),
            str(threads)]
    wall, out = _run_child(args, _child_env(), timeout=3600)  # this process's cache folder
    child = json.loads(out.strip().splitlines()[-1])
    rss_mb = child["maxrss_kb"] / 1024 if sys.platform != "darwin" else child["maxrss_kb"] / 2**20
    return {"borrowers": borrowers, "paths": paths, "threads": threads,
            "drawdowns": child["drawdowns"], "wall_s": round(wall, 3),
            "inputs_s": round(child["inputs_s"], 3), "peak_rss_mb": round(rss_mb, 1),
            "bytes_per_drawdown": round(child["maxrss_kb"] * 1024 / max(child["drawdowns"], 1)),
            **_rates(child["drawdown_days"], child["simulate_facts_s"] or child["simulate_s"])}


def _unwritable_dir(tmp: Path) -> tuple[Path, str]:
    ro = tmp / "read-only"
    ro.mkdir()
    os.chmod(ro, 0o555)
    if not os.access(ro, os.W_OK):
        return ro, "chmod 555 folder"
    blocker = tmp / "a-file"  # root ignores permissions: a path below a plain file instead
    blocker.write_text("")
    return blocker / "cache", "path below a plain file (running as root)"


def case_subprocess_runs(scenario: Path, cold: tuple, warm: tuple, log: Log,
                         concurrent: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="overdue-bench-"))
    try:
        cache = tmp / "cache"
        cache.mkdir()
        env = _child_env(str(cache))
        bad, how = _unwritable_dir(tmp)
        fallback = None
        if concurrent:  # quick mode: both compile from nothing, so overlap them
            log("cold start and cache fallback (unwritable cache folder), concurrently")
            fallback = _start_child(_run_args(scenario, *cold, tmp / "fallback"),
                                    _child_env(str(bad)))
        else:
            log("cold start (fresh cache)")
        cold_wall, m = _overdue_run(scenario, *cold, tmp / "cold", env)
        if fallback is not None:
            fb_wall, _ = _finish_child(fallback, timeout=1800)
        cold_again, _ = _overdue_run(scenario, *cold, tmp / "cold-again", env)
        cached_files = sum(1 for _ in cache.rglob("*.nbi"))
        log("warm small run")
        warm_wall, wm = _overdue_run(scenario, *warm, tmp / "warm", env)
        t = wm["timings_s"]
        warm_rec = {"borrowers": warm[0], "paths": warm[1], "horizon_days": warm[2],
                    "wall_s": round(warm_wall, 3),
                    "phases_s": {"book_and_macro": t["book_and_macro"],
                                 "simulate": t["simulate"], "tables": t["tables"],
                                 "startup_and_write": round(warm_wall - t["total_before_write"],
                                                            3)},
                    **_rates(wm["drawdown_days"], warm_wall)}
        if fallback is None:
            log("cache fallback (unwritable cache folder)")
            fb_wall, _ = _overdue_run(scenario, *cold, tmp / "fallback", _child_env(str(bad)))
        fm = json.loads((tmp / "fallback" / "manifest.json").read_text())
        leaked = bad.exists() and any(bad.iterdir()) if bad.is_dir() else False
        return {
            "cold_start": {"borrowers": cold[0], "paths": cold[1], "horizon_days": cold[2],
                           "wall_s": round(cold_wall, 3), "warm_wall_s": round(cold_again, 3),
                           "compile_s": round(max(cold_wall - cold_again, 0.0), 3),
                           "cache_index_files": cached_files,
                           "concurrent_with_cache_fallback": concurrent},
            "warm_small_run": warm_rec,
            "cache_fallback": {"ok": fm["drawdown_days"] == m["drawdown_days"] and not leaked,
                               "how": how, "wall_s": round(fb_wall, 3),
                               "concurrent_with_cold_start": concurrent},
        }
    finally:
        for p in tmp.rglob("*"):
            if p.is_dir():
                os.chmod(p, 0o755)
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- suite


def run_suite(quick: bool = False, skip_large: bool = False, scenario: Path | None = None,
              log: Log | None = None) -> dict:
    """Run every case and return the result document (see the module docstring)."""
    log = log or (lambda msg: None)
    scenario = Path(scenario or DEFAULT_SCENARIO)
    if not scenario.is_file():
        raise InputError(f"scenario {scenario} not found", path="--scenario")
    mode = "quick" if quick else "full"
    size = SIZES[mode]
    t_start = time.perf_counter()
    started_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    code_versions = versions()  # the code imported now is the code measured
    from simulator.engine.tasks import Task, run_task

    cases: dict[str, dict] = {}
    log("first kernel call (load or compile)")
    sc = _load(scenario, 10, 1)
    from simulator.book.inputs import kernel_inputs

    tiny = kernel_inputs(sc)
    t0 = time.perf_counter()
    run_task(tiny, Task(0, 1, 0, 10))
    first_call_s = time.perf_counter() - t0

    log("numpy peer vs kernel")
    cases["numpy_peer"] = case_numpy_peer(scenario, size["peer_drawdowns"], size["repeats"])
    background = None
    if quick:  # the two cold compilations dominate: overlap them with the in-process cases
        box: dict = {}

        def work() -> None:
            try:
                box["cases"] = case_subprocess_runs(scenario, size["cold"], size["warm"], log,
                                                    concurrent=True)
            except BaseException as exc:  # re-raised in the main thread
                box["error"] = exc

        background = threading.Thread(target=work, name="bench-subprocesses", daemon=True)
        background.start()
    b, p = size["kernel_1m"]
    r1m, r100k = size["kernel_repeats"]
    log(f"kernel {b:,} borrowers x {p} path, 2 threads, best of {r1m}")
    cases["kernel_1m"], inputs_1m = case_kernel(scenario, b, p, 2, size["chunk_size"],
                                                repeats=r1m)
    log(f"kernel {b:,} borrowers x {p} path, 1 thread, best of {r1m}")
    one, _ = case_kernel(scenario, b, p, 1, size["chunk_size"], inputs=inputs_1m, repeats=r1m)
    del inputs_1m
    two = cases["kernel_1m"]
    cases["thread_scaling"] = {
        "case": "kernel_1m", "threads_1_drawdown_days_per_s": one["drawdown_days_per_s"],
        "threads_2_drawdown_days_per_s": two["drawdown_days_per_s"],
        "threads_1_s": one["seconds"], "threads_2_s": two["seconds"],
        "ratio_2_to_1": round(one["seconds"] / max(two["seconds"], 1e-9), 3)}
    b, p = size["kernel_100k_x100"]
    log(f"kernel {b:,} borrowers x {p} paths, 2 threads, best of {r100k}")
    cases["kernel_100k_x100"], _ = case_kernel(scenario, b, p, 2, size["chunk_size"],
                                               repeats=r100k)
    b, p = size["burn_in"]
    log(f"burn-in: {b:,} borrowers x {p} paths with and without, best of {r100k}")
    cases["burn_in"] = case_burn_in(scenario, b, p, r100k)
    if skip_large:
        cases["large_memory"] = {"skipped": True}
    else:
        b, p = size["large"]
        log(f"peak memory: {b:,} borrowers x {p} path in a subprocess")
        cases["large_memory"] = case_large_memory(scenario, b, p)
    if background is None:
        cases.update(case_subprocess_runs(scenario, size["cold"], size["warm"], log))
    else:
        background.join()
        if "error" in box:
            raise box["error"]
        cases.update(box["cases"])
    cases["cold_start"]["in_process_first_call_s"] = round(first_call_s, 3)
    return {
        "schema": SCHEMA, "mode": mode,
        "note": ("quick mode: tiny sizes, for the smoke test and the regression gate; only "
                 "the numpy_peer ratio is measured alone, the subprocess cases overlap the "
                 "kernel cases" if quick else "full mode: every case measured alone"),
        "created_utc": started_utc,
        "scenario": scenario.name,
        "machine": machine_info(), "versions": code_versions,
        "total_s": round(time.perf_counter() - t_start, 1),
        "gate": {"figure": "cases.numpy_peer.ratio_kernel_to_numpy",
                 "ratio_kernel_to_numpy": cases["numpy_peer"]["ratio_kernel_to_numpy"]},
        "cases": cases,
    }


def default_output(machine: dict | None = None) -> Path:
    host = (machine or machine_info())["host"].split(".")[0] or "host"
    return Path("benchmarks") / "results" / f"{time.strftime('%Y-%m-%d')}-{host}.json"


def compare(result: dict, baseline: dict, tolerance: float = GATE_TOLERANCE) -> tuple[bool, str]:
    """The gate: this run's kernel/numpy ratio may fall at most ``tolerance`` below the
    baseline's. Modes must match (quick against quick)."""
    if baseline.get("schema") != SCHEMA:
        raise InputError(f"baseline is not an {SCHEMA} document", path="--compare")
    if baseline.get("mode") != result.get("mode"):
        raise InputError(f"baseline was measured in {baseline.get('mode')} mode and this run in "
                         f"{result.get('mode')} mode; compare like with like "
                         f"(add or drop --quick)", path="--compare")
    base = float(baseline["cases"]["numpy_peer"]["ratio_kernel_to_numpy"])
    now = float(result["cases"]["numpy_peer"]["ratio_kernel_to_numpy"])
    change = now / base - 1.0
    ok = change >= -tolerance
    msg = (f"kernel/numpy ratio {now:.3f} vs baseline {base:.3f} ({change:+.1%}; "
           f"fails below {-tolerance:.0%}): {'ok' if ok else 'REGRESSION'}")
    return ok, msg


def _fmt(x, unit: str = "") -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.3g}{unit}" if abs(x) < 100 else f"{x:,.0f}{unit}"
    return f"{int(x):,}{unit}"


def table_rows(result: dict) -> list[tuple[str, str, str, str, str]]:
    """(case, size, drawdown-days/s, ns per drawdown-day, other) rows for the printed table."""
    c = result["cases"]
    rows = []
    for name in ("kernel_1m", "kernel_100k_x100"):
        r = c[name]
        rows.append((name, f"{r['borrowers']:,} b x {r['horizon_days']} d x {r['paths']} p, "
                     f"{r['threads']} thr", _fmt(r["drawdown_days_per_s"]),
                     _fmt(r["ns_per_drawdown_day"]),
                     f"simulate {r['seconds']:.2f} s, inputs {r['inputs_s']:.2f} s"))
    r = c.get("burn_in")
    if r:
        rows.append(("burn_in", f"{r['borrowers']:,} b x {r['paths']} p, "
                     f"{r['burn_in_months']} months, 2 thr", "-", "-",
                     f"burn-in {r['burn_in_s']:.2f} s ({r['with_s']:.2f} s against "
                     f"{r['without_s']:.2f} s without), "
                     f"{r['burn_in_s_per_month_per_m_borrower_paths']:.3f} s a month per "
                     f"million borrower-paths"))
    s = c["thread_scaling"]
    rows.append(("thread_scaling", "kernel_1m, 1 vs 2 threads",
                 f"{_fmt(s['threads_1_drawdown_days_per_s'])} -> "
                 f"{_fmt(s['threads_2_drawdown_days_per_s'])}", "-",
                 f"2/1 ratio {s['ratio_2_to_1']:.2f}"))
    r = c["numpy_peer"]
    rows.append(("numpy_peer", f"{r['drawdowns']:,} dd x {r['horizon_days']} d, 1 thr",
                 f"kernel {_fmt(r['kernel_drawdown_days_per_s'])} / numpy "
                 f"{_fmt(r['numpy_drawdown_days_per_s'])}",
                 f"{_fmt(r['kernel_ns_per_drawdown_day'])} / "
                 f"{_fmt(r['numpy_ns_per_drawdown_day'])}",
                 f"kernel/numpy {r['ratio_kernel_to_numpy']:.2f}x"))
    r = c["large_memory"]
    if r.get("skipped"):
        rows.append(("large_memory", "skipped (--skip-large)", "-", "-", "-"))
    else:
        rows.append(("large_memory", f"{r['borrowers']:,} b x {r['paths']} p, subprocess",
                     _fmt(r["drawdown_days_per_s"]), _fmt(r["ns_per_drawdown_day"]),
                     f"peak RSS {r['peak_rss_mb']:,.0f} MB, wall {r['wall_s']:.1f} s, "
                     f"inputs {r['inputs_s']:.1f} s"))
    r = c["cold_start"]
    rows.append(("cold_start", f"overdue run {r['borrowers']:,} b x {r['paths']} p x "
                 f"{r['horizon_days']} d", "-", "-",
                 f"wall {r['wall_s']:.1f} s (warm {r['warm_wall_s']:.1f} s), "
                 f"compile ~{r['compile_s']:.1f} s"))
    r = c["warm_small_run"]
    ph = r["phases_s"]
    rows.append(("warm_small_run", f"overdue run {r['borrowers']:,} b x {r['paths']} p x "
                 f"{r['horizon_days']} d", _fmt(r["drawdown_days_per_s"]),
                 _fmt(r["ns_per_drawdown_day"]),
                 f"wall {r['wall_s']:.1f} s: book+macro {ph['book_and_macro']}, simulate "
                 f"{ph['simulate']}, tables {ph['tables']}, startup+write "
                 f"{ph['startup_and_write']}"))
    r = c["cache_fallback"]
    rows.append(("cache_fallback", "unwritable cache folder", "-", "-",
                 f"{'ran' if r['ok'] else 'FAILED'} in {r['wall_s']:.1f} s ({r['how']})"))
    return rows


def markdown_table(result: dict) -> str:
    head = "| case | size | drawdown-days/s | ns/drawdown-day | other |\n|---|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(r) + " |" for r in table_rows(result)) + "\n"


# --------------------------------------------------------------------------- scale group

SCALE = dict(
    huge=(100_000_000, 1, 365),  # borrowers, paths, days
    memory_pair=((1_000_000, 20_000_000), 1, 60),
    dask=(20_000_000, 1, 60),
    paths=(1_000_000, 1_000, 365),
)
SCALE_LIMITS_MB = dict(huge=3 * 1024, pair_difference=300, dask_process=1.5 * 1024)

_DASK_CHILD = """
import json, resource, sys, time
from pathlib import Path
import distributed
import simulator
scenario, borrowers, paths, horizon, out = sys.argv[1:6]
sc = simulator.load_scenario(scenario, ["monte_carlo.paths=" + paths,
                                        "book.borrowers=" + borrowers,
                                        "horizon_days=" + horizon, "book.burn_in_months=0"])

def peak_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None) as cluster, \\
        distributed.Client(cluster) as client:
    t0 = time.perf_counter()
    run = simulator.run(sc, out=out, force=True, engine="dask",
                        scheduler=cluster.scheduler_address)
    wall = time.perf_counter() - t0
    workers = sorted(client.run(peak_kb).values())
print(json.dumps({"run_s": wall, "client_kb": peak_kb(), "workers_kb": workers,
                  "manifest": run.manifest}))
"""


def _measured_child(args: list[str], env: dict, timeout: float) -> tuple[float, str, float]:
    """Run a child to its end: (wall seconds, stdout, its peak resident memory in MB, read
    from the kernel's accounting of that process by wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.2)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark subprocess failed ({proc.returncode}): "
                               f"{' '.join(args[:6])}...\n{err.read()[-2000:]}")
        kb = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
        return wall, out.read(), kb / 1024


def case_scale_run(scenario: Path, borrowers: int, paths: int, horizon: int, tmp: Path) -> dict:
    """``overdue run`` (2 threads, default chunks) in a fresh interpreter: whole-command wall
    time, peak resident memory of the process, throughput, and the Parquet digests."""
    out = tmp / f"run-{borrowers}-{paths}-{horizon}"
    args = _run_args(scenario, borrowers, paths, horizon, out)
    wall, _, rss_mb = _measured_child(args, _child_env(), timeout=4 * 3600)
    m = json.loads((out / "manifest.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    return {"borrowers": borrowers, "paths": paths, "horizon_days": horizon, "threads": 2,
            "tasks": m["tasks"], "drawdowns": m["drawdowns"], "wall_s": round(wall, 1),
            "simulate_s": m["timings_s"]["simulate"], "peak_rss_mb": round(rss_mb, 1),
            "parquet_sha256": {k: v for k, v in m["files"].items() if k.endswith(".parquet")},
            **_rates(m["drawdown_days"], m["timings_s"]["simulate"])}


def case_scale_dask(scenario: Path, borrowers: int, paths: int, horizon: int,
                    tmp: Path) -> dict:
    """A two-worker loopback Dask run: each process's peak resident memory (VmHWM: the client
    process, which also holds the loopback scheduler and the nannies, and each worker process)
    and the Parquet digests, to compare with the local engine's."""
    out = tmp / "dask-run"
    args = [sys.executable, "-c", _DASK_CHILD, str(scenario), str(borrowers), str(paths),
            str(horizon), str(out)]
    wall, stdout, _ = _measured_child(args, _child_env(), timeout=4 * 3600)
    child = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    m = child["manifest"]
    return {"borrowers": borrowers, "paths": paths, "horizon_days": horizon, "workers": 2,
            "wall_s": round(wall, 1), "run_s": round(child["run_s"], 1),
            "client_peak_rss_mb": round(child["client_kb"] / 1024, 1),
            "worker_peak_rss_mb": [round(kb / 1024, 1) for kb in child["workers_kb"]],
            "parquet_sha256": {k: v for k, v in m["files"].items() if k.endswith(".parquet")},
            **_rates(m["drawdown_days"], m["timings_s"]["simulate"])}


def run_scale_suite(scenario: Path | None = None, paths: int | None = None,
                    log: Log | None = None) -> dict:
    """The scale group (``overdue bench --scale``): books far beyond one chunk, each run in
    its own process. ``paths`` sets the 1,000,000-borrower many-path case (0 skips it; fewer
    than 1,000 gives the measured rate and the time extrapolated to 1,000 paths)."""
    log = log or (lambda msg: None)
    scenario = Path(scenario or DEFAULT_SCENARIO)
    if not scenario.is_file():
        raise InputError(f"scenario {scenario} not found", path="--scenario")
    t_start = time.perf_counter()
    started_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    code_versions = versions()
    cases: dict[str, dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix="overdue-bench-scale-"))
    try:
        (small, large), p, days = SCALE["memory_pair"]
        pair = {}
        for b in (small, large):
            log(f"overdue run {b:,} borrowers x {p} path x {days} days: peak memory")
            pair[b] = case_scale_run(scenario, b, p, days, tmp)
        diff = pair[large]["peak_rss_mb"] - pair[small]["peak_rss_mb"]
        cases["memory_pair"] = {"small": pair[small], "large": pair[large],
                                "peak_rss_difference_mb": round(diff, 1),
                                "limit_mb": SCALE_LIMITS_MB["pair_difference"],
                                "ok": abs(diff) < SCALE_LIMITS_MB["pair_difference"]}
        b, p, days = SCALE["dask"]
        log(f"Dask, two loopback workers, {b:,} borrowers x {p} path x {days} days")
        dask = case_scale_dask(scenario, b, p, days, tmp)
        local = pair[large] if (b, p, days) == (large, SCALE["memory_pair"][1],
                                                SCALE["memory_pair"][2]) else None
        peaks = [dask["client_peak_rss_mb"], *dask["worker_peak_rss_mb"]]
        dask["same_bits_as_local"] = (None if local is None
                                      else dask["parquet_sha256"] == local["parquet_sha256"])
        dask["limit_mb"] = SCALE_LIMITS_MB["dask_process"]
        dask["ok"] = max(peaks) < SCALE_LIMITS_MB["dask_process"] and \
            dask["same_bits_as_local"] is not False
        cases["dask_loopback"] = dask
        b, p, days = SCALE["huge"]
        log(f"overdue run {b:,} borrowers x {p} path x {days} days")
        huge = case_scale_run(scenario, b, p, days, tmp)
        huge["limit_mb"] = SCALE_LIMITS_MB["huge"]
        huge["ok"] = huge["peak_rss_mb"] < SCALE_LIMITS_MB["huge"]
        cases["huge_book"] = huge
        b, full_paths, days = SCALE["paths"]
        p = full_paths if paths is None else int(paths)
        if p > 0:
            log(f"overdue run {b:,} borrowers x {p:,} paths x {days} days")
            many = case_scale_run(scenario, b, p, days, tmp)
            if p != full_paths:
                per_path = many["simulate_s"] / p
                many["extrapolated_simulate_s_at"] = {str(full_paths): round(per_path
                                                                             * full_paths)}
            cases["many_paths"] = many
        else:
            cases["many_paths"] = {"skipped": True}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "schema": SCHEMA, "mode": "scale",
        "note": "scale group: every case an `overdue run` (or a Dask run) in its own process",
        "created_utc": started_utc, "scenario": scenario.name,
        "machine": machine_info(), "versions": code_versions,
        "total_s": round(time.perf_counter() - t_start, 1), "cases": cases,
    }


def scale_rows(result: dict) -> list[tuple[str, str, str, str, str]]:
    """(case, size, drawdown-days/s, ns per drawdown-day, other) rows of the scale group."""
    c = result["cases"]

    def size(r: dict) -> str:
        return f"{r['borrowers']:,} b x {r['paths']:,} p x {r['horizon_days']} d"

    rows = []
    pair = c["memory_pair"]
    for key in ("small", "large"):
        r = pair[key]
        rows.append((f"memory_pair.{key}", size(r), _fmt(r["drawdown_days_per_s"]),
                     _fmt(r["ns_per_drawdown_day"]),
                     f"peak RSS {r['peak_rss_mb']:,.0f} MB, wall {r['wall_s']:.0f} s"))
    rows.append(("memory_pair", "large - small", "-", "-",
                 f"{pair['peak_rss_difference_mb']:+,.0f} MB (limit {pair['limit_mb']}): "
                 f"{'ok' if pair['ok'] else 'OVER'}"))
    r = c["dask_loopback"]
    rows.append(("dask_loopback", size(r) + ", 2 workers", _fmt(r["drawdown_days_per_s"]),
                 _fmt(r["ns_per_drawdown_day"]),
                 f"client {r['client_peak_rss_mb']:,.0f} MB, workers "
                 + " / ".join(f"{x:,.0f}" for x in r["worker_peak_rss_mb"])
                 + f" MB, same bits as local: {r['same_bits_as_local']}"))
    r = c["huge_book"]
    rows.append(("huge_book", size(r), _fmt(r["drawdown_days_per_s"]),
                 _fmt(r["ns_per_drawdown_day"]),
                 f"peak RSS {r['peak_rss_mb']:,.0f} MB, whole command {r['wall_s']:,.0f} s: "
                 f"{'ok' if r['ok'] else 'OVER'}"))
    r = c["many_paths"]
    if r.get("skipped"):
        rows.append(("many_paths", "skipped (--scale-paths 0)", "-", "-", "-"))
    else:
        extra = r.get("extrapolated_simulate_s_at")
        rows.append(("many_paths", size(r), _fmt(r["drawdown_days_per_s"]),
                     _fmt(r["ns_per_drawdown_day"]),
                     f"simulate {r['simulate_s']:,.0f} s, wall {r['wall_s']:,.0f} s"
                     + (f"; extrapolated to {next(iter(extra))} paths: "
                        f"{next(iter(extra.values())):,} s" if extra else "")))
    return rows
