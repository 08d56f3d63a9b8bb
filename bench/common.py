"""Shared set-up for the benchmarks: a PostgreSQL database of their own, Redis, and the report.

Each benchmark prints its figures and writes them, with the machine's description and the
command that produced them, into its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.db.models.fields import NOT_PROVIDED

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/between_bench"
)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": BENCH_DATABASE_URL,
            "REDIS_URL": BENCH_REDIS_URL,
            "SECRET_KEY": env.get("SECRET_KEY", "bench-only-secret-key-not-for-production"),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "THROTTLE_USER": "100000000/minute",
            "THROTTLE_ANON": "100000000/minute",
        }
    )
    return env


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq; not
    idle, iowait or steal) since boot, from /proc/stat; None where there is no /proc/stat.
    Read around a measurement, it gives the CPU one request or one prompt costs in all
    processes (server or workers, database, Redis, load generator), which moves less than a
    rate does when other work shares the machine."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields[i] for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


def cpu_text(cpu_us: float | None) -> str:
    """A CPU figure in microseconds as the reports print it; "n/a" when it was not read."""
    return "n/a" if cpu_us is None else f"{cpu_us:,.0f} us"


def setup_django(*, fresh: bool = False) -> None:
    """Point Django at the benchmark database (created and migrated) and set it up."""
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    sys.path.insert(0, str(ROOT))
    _ensure_database(fresh=fresh)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ensure_database(*, fresh: bool) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(BENCH_DATABASE_URL)
    name = parsed.path.lstrip("/")
    admin = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else cpu
    mem = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s*(\d+)", meminfo.read_text())
        mem = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else mem
    pg = _run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"])
    redis = _run(["redis-server", "--version"]).split(" ")[2:3]
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {pg}, "
        f"Redis {''.join(redis).replace('v=', '')}"
    )


def write_section(key: str, title: str, body: str, command: str) -> None:
    """Replace (or add) one benchmark's section of docs/benchmarks.md."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    text = REPORT.read_text() if REPORT.exists() else _HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- bench:{key} -->\n## {title}\n\n"
        f"Command: `{command}` — run {stamp} on {machine()}.\n\n{body.strip()}\n"
        f"<!-- /bench:{key} -->"
    )
    pattern = re.compile(rf"<!-- bench:{key} -->.*?<!-- /bench:{key} -->", re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text + "\n" + section + "\n"
    )
    REPORT.write_text(text)


_HEADER = """# Benchmarks

Produced by `make bench` (all four) or each script under `bench/`. Every figure is measured
against a ceiling of the same stack measured in the same run on the same machine, and
reported as a ratio, because absolute numbers drift between machines. The project's targets
are these ratios: the morning peak at no less than a quarter of the bare claim loop's rate,
and `GET /api/v1/me/inbox/` at no less than 0.4 times the requests per second of the trivial
endpoint (`GET /api/v1/ping/`).
"""


def other_columns(model, given: str) -> tuple[str, list]:
    """The columns of ``model`` a seeding INSERT does not name in ``given`` (a comma-separated
    column list) but the database needs (NOT NULL, no database default), with each field's
    Python default ready for the driver: ``(", col1, col2", [value1, value2])``, so that a
    column added by a later migration does not break the benchmark's SQL."""
    from django.db import connection

    named = {c.strip() for c in given.replace("\n", " ").split(",")}
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.column in named:
            continue
        if field.db_default is not NOT_PROVIDED:
            continue
        columns.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return "".join(f", {c}" for c in columns), values
