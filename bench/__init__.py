"""Benchmarks: each module measures one thing at production scale on PostgreSQL and prints JSON.

They are never part of the test suite. Run them all with `make bench` (`python -m bench.run_all`), or one
with `python -m bench.enterprise_list`. They use their own database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/finbridge_bench), created and seeded on first use and reused after;
DATABASE_URL is ignored so that a benchmark never touches a development database.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/finbridge_bench"
BENCH_ENTERPRISES = 1_000_000


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def _server_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database "postgres", name of the benchmark database)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("The benchmarks run on PostgreSQL only: set BENCH_DATABASE_URL to a postgres:// URL.")
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def prepare_database(*, fresh: bool = False) -> None:
    """Create the benchmark database if missing (drop it first when `fresh`), then set up Django on it."""
    import psycopg

    url = database_url()
    server, name = _server_url(url)
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "0"  # no SQL logging: measure what production runs

    import django

    django.setup()


def ensure_demo_data(enterprises: int = BENCH_ENTERPRISES) -> dict[str, Any]:
    """Migrate, and load the demo district with `enterprises` enterprises unless already there.

    Returns how the data came to be: {"seeded": bool, "seed_seconds": float | None, "enterprises": int}.
    Refuses a database holding a different number of enterprises (use --fresh).
    """
    from django.core.management import call_command
    from django.db import connection

    from finbridge.enterprises.demo import demo_data_present
    from finbridge.enterprises.models import Enterprise

    call_command("migrate", verbosity=0)
    seeded, seconds = False, None
    if not demo_data_present():
        started = time.perf_counter()
        call_command("seed_demo", enterprises=enterprises)
        seconds = round(time.perf_counter() - started, 1)
        seeded = True
        with connection.cursor() as cursor:  # settle statistics and visibility maps as in a steady state
            cursor.execute("VACUUM ANALYZE")
    count = Enterprise.objects.count()
    if abs(count - enterprises) > enterprises // 100:
        raise SystemExit(
            f"The benchmark database holds {count:,} enterprises, not about {enterprises:,}: run with --fresh."
        )
    return {"seeded": seeded, "seed_seconds": seconds, "enterprises": count}


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of latencies in milliseconds, rounded to 0.1 ms."""
    ordered = sorted(samples_ms)
    p95_index = max(0, round(0.95 * len(ordered)) - 1)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[p95_index], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "max_ms": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def timed_ms(action: Callable[[], Any]) -> tuple[float, Any]:
    """Run `action` once; (elapsed milliseconds, its result)."""
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def machine() -> dict[str, Any]:
    """The machine and database server the figures were measured on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        settings = {}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "jit"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    return {
        "cpu": cpu,
        "nproc": int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average_1_5_15_min": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": server_version,
        "postgresql_settings": settings,
    }
