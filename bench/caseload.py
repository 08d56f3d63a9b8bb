"""Caseload absence: a therapist plans a 4-week holiday for 6, 60 and 600 clients.

Reports wall time and SQL query count for creating the drafts (`absence_plan`) and for
activating them all (`breaks_activate`, which stores every prompt). The query count must not
grow with the number of clients.

    python bench/caseload.py [--sizes 6,60,600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import setup_django, write_section


def run(sizes: list[int], *, write: bool = True) -> list[dict]:
    setup_django()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils.timezone import now

    from core.models import Practice, User
    from planner.breaks import services
    from planner.models import Client, PromptTemplate

    if not PromptTemplate.objects.exists():
        from planner.breaks.prompts import library_load

        library_load()
    practice, _ = Practice.objects.get_or_create(name="Bench practice")
    results = []
    for size in sizes:
        with transaction.atomic():
            therapist = User.objects.create_user(
                f"bench-{size}-{time.time_ns()}@example.com",
                None,
                role="therapist",
                practice=practice,
            )
            Client.objects.bulk_create(
                Client(therapist=therapist, first_name=f"Client {i}", timezone="Europe/London")
                for i in range(size)
            )
        start_at = now() + timedelta(days=21)
        with CaptureQueriesContext(connection) as plan_q:
            t0 = time.perf_counter()
            breaks = services.absence_plan(
                actor=therapist,
                therapist=therapist,
                clients="all",
                kind="holiday",
                starts_at=start_at,
                ends_at=start_at + timedelta(days=28),
                return_session_at=start_at + timedelta(days=29),
            )
            plan_s = time.perf_counter() - t0
        with CaptureQueriesContext(connection) as act_q:
            t0, c0 = time.perf_counter(), time.process_time()
            services.breaks_activate(breaks=breaks, actor=therapist)
            act_s = time.perf_counter() - t0
            act_cpu = time.process_time() - c0
        prompts = sum(
            1
            for _ in connection.cursor().execute(
                "SELECT 1 FROM planner_scheduledprompt p JOIN planner_break b ON b.id = p.break_id "
                "WHERE b.therapist_id = %s",
                [therapist.pk],
            )
        )
        row = {
            "clients": size,
            "plan_s": plan_s,
            "plan_queries": len(plan_q.captured_queries),
            "activate_s": act_s,
            "activate_queries": len(act_q.captured_queries),
            "activate_cpu": act_cpu,
            "prompts": prompts,
        }
        results.append(row)
        print(
            f"caseload {size:>4} clients: drafts {plan_s * 1000:8.1f} ms "
            f"{row['plan_queries']:>3} queries | activate {act_s * 1000:8.1f} ms "
            f"(Python {act_cpu * 1000:6.1f} ms) "
            f"{row['activate_queries']:>3} queries | {prompts} prompts stored"
        )
    if write:
        lines = [
            "| clients | drafts: wall time | drafts: queries | activate: wall time | "
            "activate: Python (CPU) | activate: queries | prompts stored |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            lines.append(
                f"| {r['clients']} | {r['plan_s'] * 1000:.0f} ms | {r['plan_queries']} | "
                f"{r['activate_s'] * 1000:.0f} ms | {r['activate_cpu'] * 1000:.0f} ms | "
                f"{r['activate_queries']} | {r['prompts']} |"
            )
        same = (
            len({r["plan_queries"] for r in results}) == 1
            and len({r["activate_queries"] for r in results}) == 1
        )
        lines.append("")
        big = results[-1]
        lines.append(
            f"Activation of {big['clients']} clients: {big['activate_s'] * 1000:.0f} ms "
            f"(target under 1 s: {'met' if big['activate_s'] < 1 else 'missed'}). "
            "Wall time includes the database's work (COPY, indexes, the commit); the "
            "Python column is this process's CPU time (other load inflates it less, "
            "but not zero)."
        )
        lines.append("")
        lines.append(
            "Query counts are the same at every size."
            if same
            else "Query counts differ between sizes (see the table)."
        )
        write_section(
            "caseload", "2. Caseload absence", "\n".join(lines), "python bench/caseload.py"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="6,60,600")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], write=not args.no_write)


if __name__ == "__main__":
    main()
