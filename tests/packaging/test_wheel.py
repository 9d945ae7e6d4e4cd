"""#20: the package works outside the repository, from a wheel built by ``pip wheel .``.

The wheel is built from this checkout and installed (without dependencies: they are this
environment's) under a temporary prefix; every subcommand then runs a smoke job from a
temporary folder, with that prefix first on the path and the repository nowhere on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SMOKE = {
    "demo": ["demo", "--n", "16"],
    "simulate": ["simulate", "theorem1", "--settings", "S1", "--reps", "2", "--points", "3",
                 "--quiet", "--out", "sim"],
    "check": ["check", "--only", "tucker_like_form"],
    "count": ["count", "bottleneck"],
    "audit": ["audit", "mobilenet_v2", "--input-shape", "3", "32", "32"],
    "ablation": ["ablation", "--config", "smoke", "--t", "1", "--seeds", "1", "--epochs", "1",
                 "--max-train", "64", "--max-test", "32", "--image-size", "8",
                 "--out", "abl"],
    "train": ["train", "--model", "d-fc", "--dataset", "digits", "--image-size", "8",
              "--epochs", "1", "--quiet", "--out", "train"],
    "shrinknet": ["shrinknet", "--skip-tradeoff", "--gammas", "0.5", "--reps", "1",
                  "--epochs", "1", "--out", "shr"],
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    # a copy of the sources: pip builds in the tree, and a stale build/ must not leak in
    source = tmp_path_factory.mktemp("source") / "tensorcnn"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "runs", "__pycache__", ".*_cache", ".hypothesis"))
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(build), str(source)], check=True, capture_output=True)
    wheel = next(build.glob("tensorcnn-*.whl"))
    prefix = tmp_path_factory.mktemp("prefix")
    # --ignore-installed: a --prefix install must not uninstall this environment's copy
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--ignore-installed", "--prefix", str(prefix), str(wheel)], check=True,
                   capture_output=True)
    site = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    env = dict(os.environ, PYTHONPATH=site, MPLBACKEND="Agg")
    return env


def test_the_environment_keeps_its_own_install(installed):
    from importlib import metadata

    assert metadata.distribution("tensorcnn") is not None


def test_the_wheel_carries_the_package_and_the_checks(installed):
    code = ("import tensorcnn, sys; from tensorcnn.cli.check import find_check_dir;"
            "print(tensorcnn.__file__); print(find_check_dir(None))")
    out = subprocess.run([sys.executable, "-c", code], env=installed, cwd=installed["PYTHONPATH"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert str(ROOT) not in out[0] and str(ROOT) not in out[1]
    assert (Path(out[1]) / "tucker_like_form.py").is_file()


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_every_subcommand_runs_outside_the_repository(installed, tmp_path, name):
    result = subprocess.run([sys.executable, "-m", "tensorcnn", *SMOKE[name]], env=installed,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    located = subprocess.run([sys.executable, "-c", "import tensorcnn; print(tensorcnn.__file__)"],
                             env=installed, cwd=tmp_path, capture_output=True, text=True)
    assert str(ROOT) not in located.stdout
