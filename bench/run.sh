#!/usr/bin/env bash
# All benchmarks, one after the other; each prints its figures and updates docs/benchmarks.md.
# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see bench/common.py).
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/morning_peak.py bench/caseload.py bench/sweep_cost.py bench/api.py; do
  if [ -f "$script" ]; then
    echo "== $script"
    python "$script"
  fi
done
echo "Figures written to docs/benchmarks.md"
