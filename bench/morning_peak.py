"""Morning peak: N prompts due in the same minute (one timezone), delivered by real Celery
worker processes to the inbox and a null email backend, against two ceilings measured in the
same run on the same rows.

Set-up is SQL (``INSERT ... SELECT generate_series``): N clients (no quiet hours,
Europe/London), one active break each, one prompt each due at the same instant. The bench
process then sweeps as beat would (``outbox.sweep()`` until nothing is due), two
``celery worker -c 1`` processes deliver, and the end-to-end rate is
prompts / (last prompt finished - due instant). This runs twice: inbox + email, then
inbox only. The ceilings, in 2 processes over the same rows:

- the bare claim loop (``SELECT id ... FOR UPDATE SKIP LOCKED LIMIT batch`` + ``UPDATE ...
  WHERE id = ANY``, commit): what claiming alone costs;
- the same-writes limit loop (``bench/limit_loop.py``): bare psycopg doing exactly the writes
  the pipeline does per prompt (claim, inbox row, deliveries, attempting then sent, prompt
  settled, render and null send), for email and for inbox only: the physical limit of this
  schema on this machine.

    python bench/morning_peak.py [--prompts 100000] [--batch 2000] [--workers 2] [--repeat 1]
                                 [--no-write]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    BENCH_DATABASE_URL,
    ROOT,
    bench_env,
    busy_seconds,
    cpu_text,
    other_columns,
    setup_django,
    write_section,
)

# Issue 16's targets: at 100,000 prompts (at 20,000 in brackets).
TARGETS = {
    "email / claim loop": (0.10, 0.13),
    "email / same-writes limit": (0.75, 0.75),
    "inbox only / claim loop": (0.17, 0.22),
}
THERAPIST_EMAIL = "morning-peak-bench@example.com"
TERMINAL = ("sent", "skipped", "failed", "unconfirmed")


# --- data -------------------------------------------------------------------------------------


def _seed(n: int, due, channels: str = '["inbox", "email"]') -> None:
    """N clients, one active break each, one prompt each due at `due`; all in SQL."""
    from django.db import connection

    from core.models import User
    from planner.models import Break, ScheduledPrompt

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE planner_scheduledprompt, planner_break, planner_client, "
            "planner_inboxmessage, planner_delivery CASCADE"
        )
    therapist, _ = User.objects.get_or_create(email=THERAPIST_EMAIL, defaults={"role": "therapist"})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO planner_client
              (therapist_id, first_name, last_name, email, phone, country, timezone,
               prompt_times, channels, full_text_opt_in, prompt_amount, created_at)
            SELECT %s, 'Client ' || g, '', 'peak-' || g || '@example.invalid', '', 'GB',
                   'Europe/London', '["09:00"]', %s, false, 'usual', now()
            FROM generate_series(1, %s) AS g
            """,
            [therapist.pk, channels, n],
        )
        named = """therapist_id, client_id, kind, status, starts_at, ends_at, timezone,
               prompt_times, max_per_day, min_spacing_minutes, seed, plan_version, warning_signs,
               coping_strategies, distractions, support_contacts, professional_contacts,
               environment_safety, reasons_for_hope, therapist_note, distress_threshold,
               escalation_enabled, share_check_ins_with_covering, activated_at, created_at,
               updated_at, prompt_amount, avoid_topics, booster_sessions, sessions_plan,
               needs_call, news"""
        more, values = other_columns(Break, named)
        cursor.execute(
            f"""
            INSERT INTO planner_break ({named}{more})
            SELECT %s, c.id, 'holiday', 'active', %s - interval '1 day', %s + interval '14 days',
                   'Europe/London', '["09:00"]', 3, 120, 0, 1, '[]', '[]', '[]', '[]', '[]', '[]',
                   '[]', '', 7, false, false, now(), now(), now(), 'usual', '[]', '[]', '',
                   false, ''{", %s" * len(values)}
            FROM planner_client c WHERE c.therapist_id = %s
            """,
            [therapist.pk, due, due, *values, therapist.pk],
        )
        named = """break_id, client_id, category, text, send_at, valid_until, plan_version,
               status, skip_reason, due_at, attempts, last_error, created_at"""
        more, values = other_columns(ScheduledPrompt, named)
        cursor.execute(
            f"""
            INSERT INTO planner_scheduledprompt ({named}{more})
            SELECT b.id, b.client_id, 'coping', 'Take three slow breaths; the break will end.',
                   %s, %s + interval '3 hours', 1, 'pending', '', %s, 0, '',
                   now(){", %s" * len(values)}
            FROM planner_break b WHERE b.therapist_id = %s
            """,
            [due, due, due, *values, therapist.pk],
        )
    _vacuum()


def _move_due(shift: timedelta) -> None:
    """Every prompt's times `shift` earlier (the breaks, a day before to 14 days after the
    seeded instant, stay live), then the dead row versions vacuumed as after the seed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE planner_scheduledprompt SET send_at = send_at - %s, due_at = due_at - %s, "
            "valid_until = valid_until - %s",
            [shift, shift, shift],
        )
    _vacuum()


def _vacuum() -> None:
    import psycopg

    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as conn:
        # Clients and breaks too: in production their statistics are old and right (they do
        # not change by the 100,000 in a second); a bench that left them empty-table
        # statistics would measure plans no deployment gets.
        tables = ("planner_scheduledprompt", "planner_delivery", "planner_inboxmessage")
        for table in (*tables, "planner_break", "planner_client"):
            conn.execute(f"VACUUM ANALYZE {table}")


# --- workers ----------------------------------------------------------------------------------


def _start_workers(count: int, batch: int) -> list[subprocess.Popen]:
    env = bench_env()
    env.update({"DISPATCH_BATCH_SIZE": str(batch), "PYTHONUNBUFFERED": "1"})
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    procs = []
    for i in range(count):
        log = open(log_dir / f"bench-worker-{i}.log", "wb")  # noqa: SIM115 - process lifetime
        cmd = [
            sys.executable, "-m", "celery", "-A", "core", "worker", "-l", "warning",
            "-c", "1", "-n", f"peak{i}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        )
    from core.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError("a worker exited early; see var/bench-worker-*.log")
        replies = app.control.ping(timeout=0.5) or []
        names = {next(iter(r)) for r in replies}
        if all(any(f"peak{i}-{os.getpid()}" in n for n in names) for i in range(count)):
            return procs
    raise RuntimeError("workers did not become ready; see var/bench-worker-*.log")


def _stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


# --- the ceilings: the bare claim loop and the same-writes limit loop --------------------------

CLAIM = (
    "SELECT id FROM planner_scheduledprompt WHERE status = 'pending' AND due_at <= now() "
    "ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED"
)
MARK = "UPDATE planner_scheduledprompt SET status = 'sent' WHERE id = ANY(%s)"


def _claim_loop(batch: int, barrier, out) -> None:
    import psycopg

    with psycopg.connect(BENCH_DATABASE_URL) as conn:
        conn.execute("SELECT 1")
        conn.commit()
        barrier.wait()
        total = 0
        while True:
            ids = [r[0] for r in conn.execute(CLAIM, (batch,)).fetchall()]
            if not ids:
                conn.commit()
                break
            conn.execute(MARK, (ids,))
            conn.commit()
            total += len(ids)
    out.put(total)


def _limit_loop(batch: int, barrier, out, attempt_batch: int, inbox_only: bool) -> None:
    from bench import limit_loop

    limit_loop.run(BENCH_DATABASE_URL, batch, attempt_batch, inbox_only, barrier, out)


def _ceiling(
    processes: int, batch: int, ids_filter: str, loop=None, args=()
) -> tuple[float, int, float | None]:
    """Rows/s of `loop` (the claim loop by default) in `processes` processes, over the
    benchmark's rows reset to pending (and without their inbox rows and deliveries); the
    rows; and the machine's CPU a row, in microseconds (None without /proc/stat)."""
    import psycopg

    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as conn:
        conn.execute("TRUNCATE planner_inboxmessage, planner_delivery CASCADE")
        conn.execute(
            "UPDATE planner_scheduledprompt SET status = 'pending', due_at = send_at, "
            f"attempts = 0 WHERE {ids_filter}"
        )
    _vacuum()
    # spawn, not fork: the bench process has Celery/kombu threads; a fork could copy a held lock.
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    out = ctx.Queue()
    target = loop or _claim_loop
    procs = [
        ctx.Process(target=target, args=(batch, barrier, out, *args)) for _ in range(processes)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    t0, busy0 = time.perf_counter(), busy_seconds()
    rows = sum(out.get(timeout=600) for _ in procs)
    elapsed, busy1 = time.perf_counter() - t0, busy_seconds()
    for p in procs:
        p.join()
    return rows / elapsed, rows, _cpu_us(busy0, busy1, rows)


def _cpu_us(busy0: float | None, busy1: float | None, count: int) -> float | None:
    """The machine's busy CPU between two readings, in microseconds per item."""
    if busy0 is None or busy1 is None or not count:
        return None
    return 1e6 * (busy1 - busy0) / count


# --- the run ----------------------------------------------------------------------------------


def _peak(prompts: int, batch: int, *, email: bool) -> dict:
    """Seed, sweep as beat would until every prompt is done, and read what happened."""
    from django.db import connection
    from django.utils import timezone

    from planner.delivery import outbox as dispatch

    # Seeded due an hour ahead, then moved to a whole second just ahead of now, so the sweep
    # starts at the due instant however long the set-up took. (Seeded directly a few seconds
    # ahead, a set-up slower than that lead, 5.4 s for 20,000 prompts on a loaded machine,
    # counted its overrun as delivery time.)
    seeded_due = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    t_seed = time.perf_counter()
    _seed(prompts, seeded_due, '["inbox", "email"]' if email else '["inbox"]')
    # Moving and vacuuming cost less than seeding: a lead of 1.5x the seed's time is enough.
    lead = 2 + 1.5 * (time.perf_counter() - t_seed)
    due = (timezone.now() + timedelta(seconds=lead)).replace(microsecond=0)
    _move_due(seeded_due - due)
    seed_s = time.perf_counter() - t_seed
    late_s = max(0.0, (timezone.now() - due).total_seconds())
    while timezone.now() < due:
        time.sleep(0.01)
    busy0 = busy_seconds()
    sweeps = claimed = 0
    sweep_s = 0.0
    t_sweep = time.perf_counter()
    with connection.cursor() as cursor:
        while True:
            n = dispatch.sweep(batch_size=batch)
            sweeps += 1
            claimed += n
            if claimed >= prompts and not sweep_s:
                sweep_s = time.perf_counter() - t_sweep
            cursor.execute(
                "SELECT count(*) FILTER (WHERE status = ANY(%s)) FROM planner_scheduledprompt",
                [list(TERMINAL)],
            )
            (done,) = cursor.fetchone()
            if done >= prompts:
                break
            if timezone.now() - due > timedelta(minutes=8):
                raise RuntimeError(f"not finished after 8 minutes: {done}/{prompts}")
            if n == 0:
                # All claimed: wait for the workers. (The figures come from the rows' own
                # times; polling more often only took CPU from the workers.)
                time.sleep(1.0)
    observed_end, busy1 = timezone.now(), busy_seconds()
    # Every process on the machine, from the due instant until the sweep saw all done (the
    # workers, the database, Redis, this process's sweep and polls; idle time is not busy).
    cpu_us = _cpu_us(busy0, busy1, prompts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM planner_scheduledprompt GROUP BY status ORDER BY 1"
        )
        by_status = dict(cursor.fetchall())
        cursor.execute(
            "SELECT channel, status, count(*) FROM planner_delivery GROUP BY 1, 2 ORDER BY 1, 2"
        )
        deliveries = {f"{c}:{s}": n for c, s, n in cursor.fetchall()}
        cursor.execute("SELECT count(*), count(DISTINCT prompt_id) FROM planner_inboxmessage")
        inbox, inbox_distinct = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT prompt_id, channel FROM planner_delivery "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        (duplicates,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(DISTINCT message_id) FROM planner_delivery WHERE channel = 'email' "
            "AND status = 'sent'"
        )
        (message_ids,) = cursor.fetchone()
        cursor.execute(
            """
            SELECT max(finished_at),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)
            FROM (SELECT finished_at, extract(epoch FROM sent_at - send_at) AS lag
                  FROM planner_scheduledprompt WHERE status = 'sent') AS sent
            """
        )
        last, p50, p99 = cursor.fetchone()
    end_s = (last - due).total_seconds() if last else float("nan")
    ok = (
        by_status.get("sent") == prompts
        and inbox == inbox_distinct == prompts
        and deliveries.get("email:sent", 0) == message_ids == (prompts if email else 0)
        and duplicates == 0
    )
    label = "inbox + email" if email else "inbox only"
    print(f"  {label}: prompts by status {by_status}; deliveries {deliveries}")
    print(
        f"    inbox messages: {inbox:,} ({inbox_distinct:,} distinct prompts), distinct "
        f"Message-IDs sent: {message_ids:,}, duplicate (prompt, channel) deliveries: "
        f"{duplicates}; correct: {ok}"
    )
    print(
        f"    set-up {seed_s:.1f} s (the sweep started {late_s:.2f} s after due); "
        f"sweep: {sweeps} calls, all {claimed:,} claimed after "
        f"{sweep_s:.2f} s; observed done after {(observed_end - due).total_seconds():.2f} s"
    )
    rate = prompts / end_s
    print(
        f"    end to end: {end_s:.2f} s from due to the last prompt sent = {rate:,.0f} "
        f"prompts/s; due -> sent median {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms; "
        f"machine CPU {cpu_text(cpu_us)} a prompt"
    )
    return {"rate": rate, "end_s": end_s, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000,
            "cpu_us": cpu_us,
            "correct": ok, "by_status": by_status, "deliveries": deliveries, "inbox": inbox,
            "duplicates": duplicates, "message_ids": message_ids}  # fmt: skip


def _once(prompts: int, batch: int, workers: int, attempt_batch: int) -> dict:
    """One measurement: the pipeline (inbox + email, then inbox only), then its ceilings over
    the same rows with the workers stopped."""
    from django.db import connections

    from core.celery import app

    app.control.purge()
    procs = _start_workers(workers, batch)
    try:
        email = _peak(prompts, batch, email=True)
        inbox = _peak(prompts, batch, email=False)
    finally:
        _stop_workers(procs)
        app.control.purge()

    connections.close_all()
    filter_ = (
        "break_id IN (SELECT id FROM planner_break WHERE therapist_id = "
        f"(SELECT id FROM core_user WHERE email = '{THERAPIST_EMAIL}'))"
    )
    c1, _rows, _cpu = _ceiling(1, batch, filter_)
    c2, _rows, _cpu = _ceiling(2, batch, filter_)
    limit_email, _rows, limit_email_cpu = _ceiling(
        2, batch, filter_, _limit_loop, (attempt_batch, False)
    )
    limit_inbox, _rows, limit_inbox_cpu = _ceiling(
        2, batch, filter_, _limit_loop, (attempt_batch, True)
    )
    ratios = {
        "email / claim loop": email["rate"] / c2,
        "email / same-writes limit": email["rate"] / limit_email,
        "inbox only / claim loop": inbox["rate"] / c2,
        "inbox only / same-writes limit": inbox["rate"] / limit_inbox,
        "same-writes limit (email) / claim loop": limit_email / c2,
        "same-writes limit (inbox only) / claim loop": limit_inbox / c2,
    }
    return {"email": email, "inbox": inbox, "ceiling1": c1, "ceiling2": c2,
            "limit_email": limit_email, "limit_inbox": limit_inbox,
            "limit_email_cpu": limit_email_cpu, "limit_inbox_cpu": limit_inbox_cpu,
            "cpu": {"email": email["cpu_us"], "inbox": inbox["cpu_us"]},
            "ratios": ratios}  # fmt: skip


def _median_run(runs: list[dict]) -> dict:
    """Several measurements as one: each ratio is the median of the runs' own ratios (each
    run against its own ceilings), with its range; rates and ceilings are medians too. The
    pipeline's rows are the run whose email ratio is the median's."""
    if len(runs) == 1:
        return {**runs[0], "ranges": {}}
    ratios = {
        name: statistics.median(r["ratios"][name] for r in runs) for name in runs[0]["ratios"]
    }
    ranges = {
        name: (min(r["ratios"][name] for r in runs), max(r["ratios"][name] for r in runs))
        for name in ratios
    }
    middle = sorted(runs, key=lambda r: r["ratios"]["email / claim loop"])[len(runs) // 2]
    inbox_middle = sorted(runs, key=lambda r: r["ratios"]["inbox only / claim loop"])[
        len(runs) // 2
    ]
    median = {key: statistics.median(r[key] for r in runs) for key in
              ("ceiling1", "ceiling2", "limit_email", "limit_inbox")}  # fmt: skip
    for key in ("limit_email_cpu", "limit_inbox_cpu"):
        median[key] = _median_or_none([r[key] for r in runs])
    median["cpu"] = {
        kind: _median_or_none([r["cpu"][kind] for r in runs]) for kind in ("email", "inbox")
    }
    return {**median, "email": middle["email"], "inbox": inbox_middle["inbox"],
            "ratios": ratios, "ranges": ranges, "runs": len(runs)}  # fmt: skip


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def run(prompts: int, batch: int, workers: int, *, repeat: int = 1, write: bool = True) -> dict:
    setup_django()
    from django.conf import settings

    attempt_batch = settings.DISPATCH_ATTEMPT_BATCH
    print(
        f"morning peak: {prompts:,} prompts, batch {batch}, sub-batches of {attempt_batch}, "
        f"{workers} worker processes, {repeat} run(s)"
    )
    runs = []
    for i in range(repeat):
        runs.append(_once(prompts, batch, workers, attempt_batch))
        if repeat > 1:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in runs[-1]["ratios"].items() if k in TARGETS)
            print(f"  run {i + 1}: {shown}")
    combined = _median_run(runs)
    ratios = combined["ratios"]
    c1, c2 = combined["ceiling1"], combined["ceiling2"]
    limit_email, limit_inbox = combined["limit_email"], combined["limit_inbox"]
    print(f"  ceiling: bare claim loop, batch {batch}: {c1:,.0f} rows/s (1 process)")
    print(f"  ceiling: bare claim loop, batch {batch}: {c2:,.0f} rows/s (2 processes)")
    print(
        f"  limit: same writes, inbox + email: {limit_email:,.0f} prompts/s (2 processes), "
        f"machine CPU {cpu_text(combined['limit_email_cpu'])} a prompt"
    )
    print(
        f"  limit: same writes, inbox only: {limit_inbox:,.0f} prompts/s (2 processes), "
        f"machine CPU {cpu_text(combined['limit_inbox_cpu'])} a prompt"
    )
    cpu = combined["cpu"]
    print(
        f"  machine CPU a prompt, pipeline / limit: inbox + email {cpu_text(cpu['email'])} / "
        f"{cpu_text(combined['limit_email_cpu'])}, inbox only {cpu_text(cpu['inbox'])} / "
        f"{cpu_text(combined['limit_inbox_cpu'])}"
    )
    verdicts = {}
    for name, ratio in ratios.items():
        target = TARGETS.get(name)
        verdict = ""
        if target:
            wanted = target[0] if prompts >= 100_000 else target[1]
            verdict = f"target {wanted}: {'met' if ratio >= wanted else 'MISSED'}"
            verdicts[name] = (wanted, ratio >= wanted)
        spread = combined["ranges"].get(name)
        shown = f" (runs: {spread[0]:.4f}-{spread[1]:.4f})" if spread else ""
        print(f"  ratio {name}: {ratio:.4f}{shown} {verdict}")
    print(f"  ratio end-to-end / ceiling (2 processes): {ratios['email / claim loop']:.4f}")
    result = {"prompts": prompts, "batch": batch, "workers": workers, "repeat": repeat,
              **combined}  # fmt: skip
    if write:
        _write(result, attempt_batch, verdicts)
    return result


def _runs_note(r: dict) -> list[str]:
    if r.get("repeat", 1) < 2:
        return []
    spread = "; ".join(
        f"{name} {low:.3f}-{high:.3f}" for name, (low, high) in r["ranges"].items()
        if name in TARGETS
    )  # fmt: skip
    return [
        f"Median of {r['repeat']} runs, each ratio against the ceilings measured in its own run "
        f"(the rates and ceilings above are medians too; the rows are the median run's). "
        f"The runs' ratios ranged: {spread}.",
        "",
    ]


def _write(r: dict, attempt_batch: int, verdicts: dict) -> None:
    email, inbox, ratios = r["email"], r["inbox"], r["ratios"]

    def verdict(name: str) -> str:
        if name not in verdicts:
            return ""
        wanted, met = verdicts[name]
        return f" (target ≥ {wanted}: {'met' if met else 'missed'})"

    rows = [
        "| figure | inbox + email | inbox only |",
        "|---|---:|---:|",
        f"| prompts (one timezone, all due at the same instant) | {r['prompts']:,} "
        f"| {r['prompts']:,} |",
        f"| end to end (due → last sent) | {email['end_s']:.2f} s | {inbox['end_s']:.2f} s |",
        f"| **end-to-end rate** | **{email['rate']:,.0f} prompts/s** "
        f"| **{inbox['rate']:,.0f} prompts/s** |",
        f"| due → sent, median / p99 | {email['p50_ms']:,.0f} / {email['p99_ms']:,.0f} ms "
        f"| {inbox['p50_ms']:,.0f} / {inbox['p99_ms']:,.0f} ms |",
        f"| same-writes limit loop, 2 processes | {r['limit_email']:,.0f} prompts/s "
        f"| {r['limit_inbox']:,.0f} prompts/s |",
        f"| **ratio to the bare claim loop (2 processes)** "
        f"| **{ratios['email / claim loop']:.3f}**{verdict('email / claim loop')} "
        f"| **{ratios['inbox only / claim loop']:.3f}**{verdict('inbox only / claim loop')} |",
        f"| **ratio to the same-writes limit** "
        f"| **{ratios['email / same-writes limit']:.3f}**"
        f"{verdict('email / same-writes limit')} "
        f"| **{ratios['inbox only / same-writes limit']:.3f}** |",
        f"| machine CPU a prompt, pipeline / same-writes limit "
        f"| {cpu_text(r['cpu']['email'])} / {cpu_text(r['limit_email_cpu'])} "
        f"| {cpu_text(r['cpu']['inbox'])} / {cpu_text(r['limit_inbox_cpu'])} |",
        f"| the limit's own ratio to the claim loop "
        f"| {ratios['same-writes limit (email) / claim loop']:.3f} "
        f"| {ratios['same-writes limit (inbox only) / claim loop']:.3f} |",
        "",
        f"Batch {r['batch']}, email sub-batches of {attempt_batch}, {r['workers']} x "
        f"`celery worker -c 1`, null email backend. Bare claim loop: {r['ceiling1']:,.0f} "
        f"rows/s in 1 process, {r['ceiling2']:,.0f} in 2. Machine CPU: every process's busy "
        "time (/proc/stat, steal left out) while the pipeline ran (from the due instant until "
        "the sweep saw every prompt done: workers, database, Redis, the sweep) or the limit "
        "loop ran, per prompt; medians over the runs.",
        "",
        *_runs_note(r),
        f"Correctness, inbox + email: {email['by_status']}; deliveries {email['deliveries']}; "
        f"{email['inbox']:,} inbox messages; {email['message_ids']:,} distinct Message-IDs "
        f"sent; {email['duplicates']} duplicate (prompt, channel). Inbox only: "
        f"{inbox['by_status']}; deliveries {inbox['deliveries']}; {inbox['inbox']:,} inbox "
        f"messages; {inbox['duplicates']} duplicate (prompt, channel).",
    ]
    write_section(
        f"morning-{r['prompts']}",
        f"1. Morning peak, {r['prompts']:,} prompts",
        "\n".join(rows),
        f"python bench/morning_peak.py --prompts {r['prompts']} --batch {r['batch']} "
        f"--workers {r['workers']}" + (f" --repeat {r['repeat']}" if r["repeat"] > 1 else ""),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure N times; report the median ratios"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run(args.prompts, args.batch, args.workers, repeat=max(1, args.repeat), write=not args.no_write)


if __name__ == "__main__":
    main()
