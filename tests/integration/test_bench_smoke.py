"""The benchmarks keep working: each runs at a tiny size (figures are not checked here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(script: str, *args: str) -> subprocess.CompletedProcess:
    db = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/between_bench_smoke"
    env = {**os.environ, "BENCH_DATABASE_URL": db}
    return subprocess.run(
        [sys.executable, f"bench/{script}", *args, "--no-write"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_caseload_benchmark_runs_at_a_tiny_size():
    result = _bench("caseload.py", "--sizes", "2,3")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "caseload    3 clients" in result.stdout


def test_the_sweep_cost_benchmark_runs_at_a_tiny_size():
    result = _bench("sweep_cost.py", "--sizes", "100,200", "--repeat", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    # At a tiny size PostgreSQL may rightly prefer a sequential scan; the figure is printed.
    assert "index used:" in result.stdout
