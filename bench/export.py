"""Benchmark the streamed CSV export against PostgreSQL's own COPY of the same rows.

Run by hand, not in the test suite:

    .venv/bin/python bench/export.py                     # 3,000 and 30,000 leaders
    .venv/bin/python bench/export.py --sizes 30000 --repeat 5
    .venv/bin/python bench/export.py --fresh             # drop and re-seed the databases

For each size it creates a database ``bench_export_<N>`` next to the one in
``BENCH_ADMIN_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``),
migrates it and seeds ``seed_demo --leaders N --as-of 2016-08-01`` (a whole
year of attendance); a database that already holds N leaders is reused.

Each measurement runs in a fresh child process that reports its own wall time
and peak resident memory (``ru_maxrss``):

- ``export``: the web view ``reports:export`` for HR, all departments, Excel
  (dansk), with every streamed chunk consumed (what a client downloads);
- ``copy``: ``COPY (<the same SELECT>) TO STDOUT WITH CSV`` through psycopg's
  ``cursor.copy()``: the reference, PostgreSQL formatting the same rows itself;
- ``query``: the same SELECT through Django's ``iterator()`` without CSV, to
  show where the export's time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
AS_OF = "2016-08-01T00:00"
CLOCK = "2016-08-01T12:00"


def database_url(leaders: int) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/bench_export_{leaders}"


def _env(url: str, *, jit: bool = False) -> dict[str, str]:
    extra = {} if jit else {"PGOPTIONS": "-c jit=off"}
    return {
        **os.environ,
        **extra,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_CLOCK": CLOCK,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x1y2z3" * 10,
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }


def prepare(leaders: int, fresh: bool) -> str:
    """The seeded database for ``leaders``, created and seeded only when needed."""
    import psycopg

    url = database_url(leaders)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    have = 0
    try:
        with psycopg.connect(url) as conn:
            have = conn.execute("SELECT count(*) FROM programme_leader").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        pass
    manage = [PYTHON, str(ROOT / "manage.py")]
    # Always: a database seeded by an older checkout gets the newer tables.
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=_env(url), check=True)
    if have == leaders:
        subprocess.run(
            [*manage, "refresh_standings"], env=_env(url), check=True, stdout=subprocess.DEVNULL
        )
    else:
        print(f"seeding {leaders} leaders into {name} ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [*manage, "seed_demo", "--leaders", str(leaders), "--as-of", AS_OF],
            env=_env(url),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def measure(url: str, mode: str, *, jit: bool) -> dict:
    done = subprocess.run(
        [PYTHON, __file__, "--child", mode],
        env=_env(url, jit=jit),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: one measurement in a fresh process -------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _same_select():
    """The queryset the export view builds for HR with no filters, as one SELECT."""
    from programme import clock, csv_export
    from programme.models import Programme
    from programme.reports import (
        Filters,
        full_scope,
        report_leaders,
        sorted_leaders,
    )

    programme = Programme.current()
    filters = Filters(programme=programme, now=clock.now())
    modules = list(programme.modules.order_by("order"))
    leaders = sorted_leaders(report_leaders(full_scope(), filters), "department")
    return csv_export.export_values(leaders, modules)


def child(mode: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import translation

    from programme.models import User
    from programme.report_views import export

    user = User.objects.get(email="hr@albertslund.dk")
    assert user.is_hr
    select = _same_select()
    baseline = _peak_mb()
    rows = size = 0
    started = time.perf_counter()
    if mode == "export":
        translation.activate("da")
        request = RequestFactory().get("/reports/export.csv", {"dialect": "excel_da"})
        request.user = user
        response = export(request)
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        rows -= 1  # the header
    elif mode == "copy":
        sql, params = select.query.sql_with_params()
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            copy_sql = f"COPY ({sql}) TO STDOUT WITH CSV"
            with cursor.copy(copy_sql, params) as copy:
                for data in copy:
                    size += len(data)
                    rows += bytes(data).count(b"\n")
    elif mode == "query":
        for _ in select.iterator(chunk_size=2000):
            rows += 1
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "mode": mode,
                "rows": rows,
                "bytes": size,
                "seconds": seconds,
                "peak_mb": _peak_mb(),
                "baseline_mb": baseline,
            }
        )
    )


# --- the report -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--modes", nargs="+", default=["copy", "query", "export"], help="what to measure"
    )
    parser.add_argument(
        "--jit",
        action="store_true",
        help="leave PostgreSQL's JIT on (default: off for the measuring connections, "
        "as the JIT spends seconds compiling this query; see docs/performance.md)",
    )
    parser.add_argument("--child", choices=["export", "copy", "query"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
        f"jit {'on' if args.jit else 'off'}"
    )
    results = []
    for leaders in args.sizes:
        url = prepare(leaders, args.fresh)
        # Interleaved (copy, query, export, copy, ...) so load from elsewhere hits all alike.
        runs = {mode: [] for mode in args.modes}
        for _ in range(args.repeat):
            for mode in args.modes:
                runs[mode].append(measure(url, mode, jit=args.jit))
        for mode, measured in runs.items():
            median = statistics.median(run["seconds"] for run in measured)
            results.append(
                {
                    "leaders": leaders,
                    "mode": mode,
                    "rows": measured[0]["rows"],
                    "mb_file": measured[0]["bytes"] / 1e6,
                    "median_s": median,
                    "best_s": min(run["seconds"] for run in measured),
                    "rows_per_s": measured[0]["rows"] / median,
                    "peak_mb": max(run["peak_mb"] for run in measured),
                    "baseline_mb": min(run["baseline_mb"] for run in measured),
                }
            )
            print(json.dumps(results[-1]), flush=True)

    print()
    print(
        "| leaders | what | rows | median s | best s | rows/s | peak RSS MB | RSS before MB |"
        " x COPY |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    copy_time = {r["leaders"]: r["median_s"] for r in results if r["mode"] == "copy"}
    copy_time = {r["leaders"]: copy_time.get(r["leaders"], float("nan")) for r in results}
    for r in results:
        print(
            f"| {r['leaders']:,} | {r['mode']} | {r['rows']:,} | {r['median_s']:.2f} |"
            f" {r['best_s']:.2f} | {r['rows_per_s']:,.0f} | {r['peak_mb']:.0f} |"
            f" {r['baseline_mb']:.0f} | {r['median_s'] / copy_time[r['leaders']]:.2f} |"
        )


if __name__ == "__main__":
    main()
