"""The package works installed from a wheel, away from the repository: the wheel is built from
this tree, installed into a fresh virtual environment (which borrows this environment's
dependencies rather than downloading them), and run from a folder outside any checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "simulator", "scenarios")


def _run(args: list, cwd: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no path to the checkout
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**clean, **env})
    assert proc.returncode == 0, f"{args[:3]}: {proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves nothing in the working tree
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    # pip fetches the build backend (pyproject's build-system) into an isolated environment.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp / "dist", src],
         cwd=tmp)
    (wheel,) = (tmp / "dist").glob("overdue-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    site = Path(_run([venv / "bin" / "python", "-c", "import sysconfig; "
                      "print(sysconfig.get_paths()['purelib'])"], cwd=tmp).strip())
    # This environment's packages (numpy, numba, ...) after the venv's own; a folder named in a
    # .pth file does not run that folder's own .pth files, so the editable overdue stays out.
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "borrowed.pth").write_text("\n".join(sorted(here)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
          "--no-deps", "--no-index", "--quiet", wheel], cwd=tmp)
    return venv / "bin"


@pytest.mark.slow  # builds and installs a wheel: about 15 s
def test_installed_bench_finds_its_default_scenario(installed, tmp_path):
    out = _run([installed / "python", "-c", """
import json, simulator
from simulator.bench.suite import DEFAULT_SCENARIO, versions
scenario = simulator.load_scenario(DEFAULT_SCENARIO)
print(json.dumps({"package": simulator.__file__, "scenario": str(DEFAULT_SCENARIO),
                  "name": scenario.name, "commit": versions()["git_commit"]}))
"""], cwd=tmp_path)
    found = json.loads(out)
    venv = installed.parent
    assert Path(found["package"]).is_relative_to(venv)  # the wheel's copy, not this checkout
    assert Path(found["scenario"]).is_relative_to(venv)
    assert Path(found["scenario"]).read_bytes() == (ROOT / "scenarios" / "baseline.yaml"
                                                    ).read_bytes()
    assert found["name"] == "baseline" and found["commit"] is None

    help_text = _run([installed / "overdue", "bench", "--help"], cwd=tmp_path, COLUMNS="80")
    assert "--scenario" in help_text and "--quick" in help_text
