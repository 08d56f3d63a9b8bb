"""API: requests/s and latency of ``GET /api/v1/me/inbox/`` and ``GET /api/v1/breaks/`` under
gunicorn (2 sync workers, persistent database connections), next to the trivial endpoint
``GET /api/v1/ping/`` on the same server in the same run, with a load generator in another
process (wrk; a small built-in Python one when wrk is not installed).

    python bench/api.py [--duration 10] [--connections 20] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    bench_env,
    busy_seconds,
    cpu_text,
    setup_django,
    write_section,
)

TARGETS = {"inbox": 0.4, "breaks": 0.15}  # issue 16: ratios to the trivial endpoint
CLIENT_EMAIL = "api-bench-client@example.com"
THERAPIST_EMAIL = "api-bench-therapist@example.com"
URLS = [
    ("trivial", "/api/v1/ping/", None),
    ("inbox", "/api/v1/me/inbox/", "client"),
    ("breaks", "/api/v1/breaks/", "therapist"),
]


def _seed(messages: int, breaks: int) -> dict[str, str]:
    """A client with `messages` inbox messages, a therapist with `breaks` breaks; tokens."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from core.models import User
    from core.tokens import issue_token
    from planner.models import Break, Client, InboxMessage

    with transaction.atomic():
        # A previous run's data (breaks protect their therapist: delete them first).
        InboxMessage.objects.filter(client__therapist__email=THERAPIST_EMAIL).delete()
        Break.objects.filter(therapist__email=THERAPIST_EMAIL).delete()
        Client.objects.filter(therapist__email=THERAPIST_EMAIL).delete()
        User.objects.filter(email__in=[CLIENT_EMAIL, THERAPIST_EMAIL]).delete()
        therapist = User.objects.create_user(THERAPIST_EMAIL, None, role="therapist")
        client_user = User.objects.create_user(CLIENT_EMAIL, None, role="client")
        own = Client.objects.create(
            therapist=therapist, user=client_user, first_name="Inbox", timezone="Europe/London"
        )
        clients = [
            own,
            *Client.objects.bulk_create(
                Client(therapist=therapist, first_name=f"Client {i}", timezone="Europe/London")
                for i in range(breaks - 1)
            ),
        ]
        now = timezone.now()
        made = Break.objects.bulk_create(
            Break(
                client=c,
                therapist=therapist,
                kind="holiday",
                status="active",
                starts_at=now - timedelta(days=3),
                ends_at=now + timedelta(days=11),
                return_session_at=now + timedelta(days=12),
                timezone="Europe/London",
                therapist_note="Back on the 12th.",
            )
            for c in clients
        )
        InboxMessage.objects.bulk_create(
            InboxMessage(
                client=own,
                break_obj=made[0],
                category="coping",
                text=f"Message {i}: take three slow breaths; the break will end.",
                delivered_at=now - timedelta(minutes=i),
            )
            for i in range(messages)
        )
        return {
            "client": issue_token(client_user)[1],
            "therapist": issue_token(therapist)[1],
        }


def _analyze() -> None:
    """Table statistics for the rows just seeded, as a running database has them: without,
    PostgreSQL's planner takes the freshly bulk-loaded tables for nearly empty (it chose a
    nested loop over every client for the breaks list, 15-20 ms a request)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("planner_client", "planner_break", "planner_inboxmessage"):
                cursor.execute(f"ANALYZE {table}")


def _query_counts(tokens: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, path, who in URLS:
        headers = {"HTTP_AUTHORIZATION": f"Token {tokens[who]}"} if who else {}
        http = Client(HTTP_HOST="127.0.0.1")
        http.get(path, **headers)  # warm
        with CaptureQueriesContext(connection) as queries:
            response = http.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(queries.captured_queries)
    return counts


ROUNDS = 5


def _combined(runs: list[dict]) -> dict:
    """Several short runs of one endpoint as one: requests over the time of all; the median
    run's latencies."""
    seconds = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    requests = sum(r["requests"] for r in runs)
    return {
        "rps": requests / seconds if seconds else 0.0,
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "requests": requests,
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = bench_env()
    env.update({"DB_CONN_MAX_AGE": "60", "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    log = open(ROOT / "var" / "bench-gunicorn.log", "wb")  # noqa: SIM115 - process lifetime
    cmd = [sys.executable, "-m", "gunicorn", "core.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"]
    cmd += ["--access-logfile", "/dev/null", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited; see var/bench-gunicorn.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping/", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer; see var/bench-gunicorn.log")


# --- load generators --------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def _wrk(url: str, token: str | None, duration: int, connections: int) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Token {token}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _python_load(url: str, token: str | None, duration: int, connections: int) -> dict:
    """Threads, each with its own keep-alive connection; latency of every request."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    headers = {"Authorization": f"Token {token}"} if token else {}
    latencies: list[list[float]] = [[] for _ in range(connections)]
    non_2xx = [0] * connections
    stop = time.perf_counter() + duration

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            conn.request("GET", parsed.path, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append((time.perf_counter() - t0) * 1000)
            if response.status >= 300:
                non_2xx[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    every = sorted(x for per in latencies for x in per)
    return {
        "rps": len(every) / elapsed,
        "p50": statistics.median(every),
        "p99": every[min(len(every) - 1, int(len(every) * 0.99))],
        "requests": len(every),
        "non_2xx": sum(non_2xx),
        "socket_errors": "",
    }


def run(duration: int, connections: int, *, write: bool = True) -> dict:
    setup_django()
    from django.db import connections as db_connections

    tokens = _seed(messages=200, breaks=50)
    _analyze()
    queries = _query_counts(tokens)
    db_connections.close_all()
    loader = _wrk if shutil.which("wrk") else _python_load
    generator = (
        f"wrk -t2 -c{connections}, {ROUNDS} x {max(1, duration // ROUNDS)} s per endpoint"
        if loader is _wrk
        else f"built-in Python load generator ({connections} threads; wrk is not installed)"
    )
    (ROOT / "var").mkdir(exist_ok=True)
    results = _measure(URLS, tokens, loader, duration, connections)
    # Again with every request counted in Redis (no process keeps a share of the limit): what
    # a request costs when it comes from one of many callers making one request each, where
    # a share is never reused. Its ratio is to the trivial endpoint of that second server.
    counted = _measure(URLS[:2], tokens, loader, duration, connections, {"THROTTLE_SHARE_MAX": "1"})
    counted_ratio = counted["inbox"]["rps"] / counted["trivial"]["rps"]
    trivial = results["trivial"]["rps"]
    ratios = {name: results[name]["rps"] / trivial for name in ("inbox", "breaks")}
    meets = {name: ratios[name] >= target for name, target in TARGETS.items()}
    verdict = "; ".join(
        f"{name} / trivial: {ratios[name]:.3f} (target {TARGETS[name]}: "
        f"{'met' if meets[name] else 'MISSED'})"
        for name in TARGETS
    )
    print(f"API under gunicorn -w 2 (sync), load: {generator}")
    for name, path, _who in URLS:
        r = results[name]
        print(
            f"  GET {path:<20} {r['rps']:8,.0f} req/s  p50 {r['p50']:6.1f} ms  "
            f"p99 {r['p99']:6.1f} ms  {queries[name]} queries/request  "
            f"{cpu_text(r.get('cpu_us'))} CPU/request  "
            f"({r['requests']:,} requests, non-2xx {r['non_2xx']}"
            f"{', socket errors ' + r['socket_errors'] if r['socket_errors'] else ''})"
        )
    print(f"  ratio {verdict}")
    c = counted["inbox"]
    print(
        f"  GET /api/v1/me/inbox/ with every request counted in Redis (THROTTLE_SHARE_MAX=1, "
        f"a second server): {c['rps']:,.0f} req/s, {cpu_text(c.get('cpu_us'))} CPU/request, "
        f"ratio to its trivial endpoint {counted_ratio:.3f}"
    )
    if write:
        lines = [
            f"Server: `gunicorn core.wsgi -w 2` (sync workers), DEBUG=0, `DB_CONN_MAX_AGE=60`, "
            f"Redis cache; load generator: {generator}, the endpoints taking turns in "
            f"{ROUNDS} rounds after a warm-up (p50 and p99: the median round's).",
            "",
            "| endpoint | requests/s | p50 | p99 | SQL queries per request | "
            "machine CPU per request | ratio to trivial |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, path, _who in URLS:
            r = results[name]
            ratio = r["rps"] / trivial
            lines.append(
                f"| `GET {path}` | {r['rps']:,.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | "
                f"{queries[name]} | {cpu_text(r.get('cpu_us'))} | {ratio:.3f} |"
            )
        lines += [
            "",
            "Ratios to the trivial endpoint, same server, same run: "
            + "; ".join(
                f"{name} **{ratios[name]:.3f}** (target ≥ {TARGETS[name]}: "
                f"{'met' if meets[name] else 'missed'})"
                for name in TARGETS
            )
            + f". With every request counted in Redis (`THROTTLE_SHARE_MAX=1`, a second server "
            f"measured the same way against its own trivial endpoint): inbox {c['rps']:,.0f} "
            f"req/s, {cpu_text(c.get('cpu_us'))} a request, **{counted_ratio:.3f}** the trivial "
            "endpoint. The load is one client's token; under the default, each web process "
            "counts a share of that caller's limit (16 requests here, 12 under the default "
            "1,200 a minute) and asks Redis once a share. Many callers making a request each "
            "would each cost a round trip, as in the second figure."
            + " Machine CPU per request: the whole machine's busy CPU time (all processes: "
            "server, database, Redis and the load generator; /proc/stat, steal time left out) "
            "during the endpoint's runs, over its requests. The inbox holds 200 messages "
            "(a page is 20, cursor-paginated); the therapist "
            "has 50 breaks (one page of 50 summaries, page-number paginated, the count in the "
            "page's query).",
        ]
        write_section(
            "api",
            "4. API",
            "\n".join(lines),
            f"python bench/api.py --duration {duration} --connections {connections}",
        )
    return {"results": results, "ratios": ratios, "queries": queries, "generator": generator,
            "counted": counted, "counted_ratio": counted_ratio}  # fmt: skip


def _measure(
    urls: list, tokens: dict, loader, duration: int, connections: int, env: dict | None = None
) -> dict[str, dict]:
    """Each endpoint of ``urls`` on a gunicorn of its own (with ``env``), after a warm-up,
    in turns: its combined runs and the machine's CPU a request."""
    port = _free_port()
    server = _start_gunicorn(port, env)
    try:
        for _name, path, who in urls:  # warm-up: connections, caches
            loader(f"http://127.0.0.1:{port}{path}", tokens[who] if who else None, 1, connections)
        # Round-robin in short runs, so that other load on a shared machine falls on every
        # endpoint alike and the ratios stay comparable.
        rounds: dict[str, list[dict]] = {name: [] for name, _path, _who in urls}
        busy: dict[str, float] = dict.fromkeys(rounds, 0.0)
        for _ in range(ROUNDS):
            for name, path, who in urls:
                url = f"http://127.0.0.1:{port}{path}"
                token = tokens[who] if who else None
                before = busy_seconds()
                rounds[name].append(loader(url, token, max(1, duration // ROUNDS), connections))
                after = busy_seconds()
                if before is not None and after is not None:
                    busy[name] += after - before
        results = {name: _combined(runs) for name, runs in rounds.items()}
        for name, result in results.items():
            result["cpu_us"] = 1e6 * busy[name] / result["requests"] if busy[name] else None
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run(args.duration, args.connections, write=not args.no_write)


if __name__ == "__main__":
    main()
