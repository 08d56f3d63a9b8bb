"""Sweep cost: the dispatch sweep's time when nothing is due, at 10,000 and 1,000,000 stored
future prompts, and the query plan of its claim query (it must use the partial index).

    python bench/sweep_cost.py [--sizes 10000,1000000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import other_columns, setup_django, write_section

CLAIM_SQL = (
    "SELECT id FROM planner_scheduledprompt "
    "WHERE status IN ('pending', 'claimed') AND due_at <= now() "
    "ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED"
)


def _fill(total: int) -> None:
    """Make the table hold exactly `total` pending prompts, all due in the future."""
    from django.db import connection

    from core.models import User
    from planner.models import Break, Client, ScheduledPrompt

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE planner_scheduledprompt CASCADE")
    therapist, _ = User.objects.get_or_create(
        email="sweep-bench@example.com", defaults={"role": "therapist"}
    )
    client, _ = Client.objects.get_or_create(therapist=therapist, first_name="Sweep")
    brk, _ = Break.objects.get_or_create(
        client=client,
        therapist=therapist,
        kind="holiday",
        defaults={
            "starts_at": "2030-01-01T00:00Z",
            "ends_at": "2030-02-01T00:00Z",
            "timezone": "Europe/London",
            "status": "scheduled",
        },
    )
    with connection.cursor() as cursor:
        # One INSERT ... SELECT: a million rows in seconds, spread over the next year.
        named = """break_id, client_id, category, text, send_at, valid_until, plan_version,
               status, skip_reason, due_at, attempts, last_error, created_at"""
        more, values = other_columns(ScheduledPrompt, named)
        cursor.execute(
            f"""
            INSERT INTO planner_scheduledprompt ({named}{more})
            SELECT %s, %s, 'coping', 'bench', t, t + interval '3 hours', 1, 'pending', '', t, 0,
                   '', now(){", %s" * len(values)}
            FROM (SELECT now() + (g * interval '30 seconds') + interval '1 hour' AS t
                  FROM generate_series(1, %s) AS g) AS times
            """,
            [brk.pk, client.pk, *values, total],
        )
        cursor.execute("ANALYZE planner_scheduledprompt")


def _explain() -> str:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + CLAIM_SQL)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(sizes: list[int], repeat: int, *, write: bool = True) -> list[dict]:
    setup_django()
    from planner.delivery import outbox as dispatch

    results = []
    for size in sizes:
        _fill(size)
        dispatch.sweep()  # warm the connection and caches
        timings = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            claimed = dispatch.sweep()
            timings.append(time.perf_counter() - t0)
            assert not claimed, "nothing should be due"
        plan = _explain()
        uses_index = "prompt_due_open_idx" in plan
        row = {
            "size": size,
            "median_ms": statistics.median(timings) * 1000,
            "max_ms": max(timings) * 1000,
            "plan": plan,
            "index": uses_index,
        }
        results.append(row)
        print(
            f"sweep with nothing due, {size:>9,} future prompts: median "
            f"{row['median_ms']:.2f} ms, max {row['max_ms']:.2f} ms, index used: {uses_index}"
        )
        print("  " + plan.replace("\n", "\n  "))
    if write:
        lines = [
            "| stored future prompts | sweep median | sweep max | claim query uses "
            "`prompt_due_open_idx` |",
            "|---:|---:|---:|---|",
        ]
        for r in results:
            lines.append(
                f"| {r['size']:,} | {r['median_ms']:.2f} ms | {r['max_ms']:.2f} ms | "
                f"{'yes' if r['index'] else 'NO'} |"
            )
        lines += [
            "",
            f"Query plan of the claim query at {results[-1]['size']:,} rows:",
            "",
            "```",
            results[-1]["plan"],
            "```",
        ]
        first, last = results[0]["median_ms"], results[-1]["median_ms"]
        lines += [
            "",
            f"Ratio of the sweep's median time at {results[-1]['size']:,} to "
            f"{results[0]['size']:,} rows: {last / first:.2f}x.",
        ]
        write_section("sweep", "3. Sweep cost", "\n".join(lines), "python bench/sweep_cost.py")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.repeat, write=not args.no_write)


if __name__ == "__main__":
    main()
