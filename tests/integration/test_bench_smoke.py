"""The benchmarks keep working: each runs at a tiny size (figures are not checked here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(script: str, *args: str) -> subprocess.CompletedProcess:
    # Named after the tests' own database, so that runs against different databases on one
    # server (other branches, other migrations) never share, or migrate, each other's.
    base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
    db = f"{base}/{name}_bench_smoke"
    env = {**os.environ, "BENCH_DATABASE_URL": db}
    if os.environ.get("REDIS_URL"):  # the tests' Redis, not the real benchmark's database 9
        env["BENCH_REDIS_URL"] = os.environ["REDIS_URL"]
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


def test_the_morning_peak_benchmark_runs_at_a_tiny_size():
    result = _bench("morning_peak.py", "--prompts", "200", "--batch", "50", "--repeat", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("correct: True") == 4  # inbox + email, and inbox only; twice
    assert "run 2:" in result.stdout and "(runs: " in result.stdout
    assert "ratio email / same-writes limit" in result.stdout
    assert "ratio end-to-end / ceiling" in result.stdout
    # The machine's CPU a prompt, read from /proc/stat around the pipeline and the limit loop.
    assert "machine CPU a prompt, pipeline / limit" in result.stdout
    assert "CPU n/a" not in result.stdout


def test_the_email_cost_benchmark_runs_at_a_tiny_size():
    result = _bench("email_cost.py", "--messages", "20", "--batch", "5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "anymail-batch: 20 of 20 recipients reported sent" in result.stdout


def test_the_api_benchmark_runs_at_a_tiny_size():
    result = _bench("api.py", "--duration", "1", "--connections", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio inbox / trivial" in result.stdout
    # The machine's CPU per request, read from /proc/stat around each endpoint's runs; the
    # inbox again on a second server that counts every request in Redis.
    assert result.stdout.count(" us CPU/request") == 4
    assert "with every request counted in Redis" in result.stdout


def test_the_api_benchmark_falls_back_to_its_own_load_generator_without_wrk(monkeypatch):
    import shutil

    python_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", python_dir)  # no wrk on this PATH
    assert shutil.which("wrk", path=python_dir) is None
    result = _bench("api.py", "--duration", "1", "--connections", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "built-in Python load generator" in result.stdout
