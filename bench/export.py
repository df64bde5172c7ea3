"""Benchmark the completion export (CSV and .xlsx) against what PostgreSQL itself can do.

Run by hand, not in the test suite:

    .venv/bin/python bench/export.py                     # 3,000, 30,000 and 300,000 leaders
    .venv/bin/python bench/export.py --sizes 30000 --repeat 5
    .venv/bin/python bench/export.py --fresh             # drop and re-seed the databases

For each size it creates a database ``bench_export_<N>`` next to the one in
``BENCH_ADMIN_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``),
migrates it and seeds ``seed_demo --leaders N --as-of 2016-08-01`` (a whole
year of attendance); a database that already holds N leaders is reused.

Each measurement runs in a fresh child process that reports its own wall time
and peak resident memory (``ru_maxrss``):

- ``csv`` / ``xlsx``: the web views ``reports:export`` / ``reports:export_xlsx`` for
  HR, all departments, with every streamed chunk consumed (what a client downloads);
- ``physical``: the physical anchor (``../shared/bench-anchor/``): ``COPY`` of its
  well-designed report query over its own tables (database ``anchor``), filled with the
  same number of leaders (``fill.sql``, then ``ANALYZE``); issue 30's target is the CSV
  within 1.5x of it and the xlsx within 2.5x;
- ``anchor``: ``COPY`` of a plain one-row-per-leader report query over the portal's own
  tables (``_anchor_sql``), the yardstick before issue 30;
- ``own``: ``COPY`` of the export's own SELECT;
- ``csv-python``: the same file written by the Python rows and CSV writer (the path
  SQLite takes; on PostgreSQL the database writes the lines, ``reports/export_sql.py``);
- ``query``: that SELECT through Django's ``iterator()`` without writing a file.

Each is measured with fresh planner statistics (after ``ANALYZE``) and with them
removed (as right after a bulk load), so the query's speed does not hang on them.
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
PHYSICAL = ROOT.parent / "shared" / "bench-anchor"
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
        # The COPY measurements are not web requests: no 20-second web limit on them (the
        # export views set their own, DB_EXPORT_STATEMENT_TIMEOUT).
        "DB_STATEMENT_TIMEOUT": "0",
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


def physical_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/anchor"


def prepare_physical(leaders: int) -> None:
    """The physical anchor's database filled with ``leaders``, as its README says."""
    from urllib.parse import urlparse

    admin = urlparse(ADMIN_URL)
    psql = ["psql", "-q", "-h", admin.hostname or "127.0.0.1", "-p", str(admin.port or 5432)]
    psql += ["-U", admin.username or "postgres", "-v", "ON_ERROR_STOP=1"]
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "cwd": PHYSICAL}
    subprocess.run([*psql, "-d", "postgres", "-f", "schema.sql"], **quiet)
    subprocess.run([*psql, "-d", "postgres", "-v", f"leaders={leaders}", "-f", "fill.sql"], **quiet)


def measure(url: str, mode: str, *, jit: bool) -> dict:
    done = subprocess.run(
        [PYTHON, __file__, "--child", mode],
        env=_env(url, jit=jit),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(f"measuring {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: one measurement in a fresh process -------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _hr_export():
    """What the export view reads for HR with no filters: (leaders, modules, moment)."""
    from programme import clock
    from programme.models import Programme
    from reports.rules import Filters, full_scope, report_leaders, sorted_leaders

    programme = Programme.current()
    filters = Filters(programme=programme, now=clock.now())
    modules = list(programme.modules.order_by("order"))
    leaders = sorted_leaders(report_leaders(full_scope(), filters), "department")
    return leaders, modules, filters.now


def _same_select():
    """The queryset the export view builds for HR with no filters, as one SELECT."""
    from reports import csv_export

    leaders, modules, _now = _hr_export()
    return csv_export.export_values(leaders, modules)


def _anchor_sql() -> str:
    """The anchor: a plain one-row-per-leader report over the same tables, in SQL.

    Each leader with their login, department and place, each module's first
    attended date, the modules done, whether all required are, and the last date,
    computed from attendance as it stands: what the database can do without any
    stored summary. The export must stay within 1.5 x COPY of this.
    """
    from programme.models import Module, Programme

    programme = Programme.current()
    modules = list(Module.objects.filter(programme=programme).order_by("order"))
    done = "a.status IN ('present', 'late')"
    columns = ",\n".join(
        f"min(s.starts_at) FILTER (WHERE s.module_id = {m.pk} AND {done}) AS m{m.pk}"
        for m in modules
    )
    required = ", ".join(str(m.pk) for m in modules if m.required) or "0"
    return f"""
        SELECT l.employee_number, l.name, u.email, d.name AS department, l.level,
               c.name AS cohort, e.status,
               {columns},
               count(DISTINCT s.module_id) FILTER (WHERE {done} AND s.module_id IN ({required}))
                   AS modules_done,
               count(DISTINCT s.module_id) FILTER (WHERE {done} AND s.module_id IN ({required}))
                   = {len(required.split(","))} AS completed,
               max(s.starts_at) FILTER (WHERE {done}) AS last_date
        FROM programme_leader l
        JOIN programme_user u ON u.id = l.user_id
        JOIN programme_department d ON d.id = l.department_id
        LEFT JOIN programme_enrolment e
            ON e.leader_id = l.id AND e.programme_id = {programme.pk}
            AND e.status IN ('enrolled', 'waitlisted')
        LEFT JOIN programme_cohort c ON c.id = e.cohort_id
        LEFT JOIN programme_attendance a ON a.leader_id = l.id
        LEFT JOIN programme_session s ON s.id = a.session_id
        WHERE l.anonymised_at IS NULL
        GROUP BY l.id, u.email, d.name, c.name, e.status
        ORDER BY d.name, l.name
    """


def _copy(sql: str, params=None, *, raw_connection=None) -> tuple[int, int]:
    """COPY of ``sql`` read to the end: (rows, bytes). On Django's connection, or on
    ``raw_connection`` (a psycopg one: the physical anchor's own database)."""
    from django.db import connection

    if raw_connection is None:
        connection.ensure_connection()
        raw_connection = connection.connection
    rows = size = 0
    with (
        raw_connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH CSV", params) as copy,
    ):
        for data in copy:
            size += len(data)
            rows += bytes(data).count(b"\n")
    return rows, size


def _copy_physical() -> tuple[int, int]:
    """COPY of the physical anchor's report.sql over its own database, read to the end."""
    import psycopg

    sql = (PHYSICAL / "report.sql").read_text().strip().rstrip(";")
    options = os.environ.get("PGOPTIONS", "")
    with psycopg.connect(physical_url(), options=options) as conn:
        return _copy(sql, raw_connection=conn)


def child(mode: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import RequestFactory
    from django.utils import translation

    from programme.models import User
    from reports.views import export, export_xlsx

    user = User.objects.get(email="hr@albertslund.dk")
    assert user.is_hr
    select = _same_select()
    anchor = _anchor_sql()
    baseline = _peak_mb()
    rows = size = 0
    started = time.perf_counter()
    if mode in ("csv", "xlsx"):
        translation.activate("da")
        view = export if mode == "csv" else export_xlsx
        request = RequestFactory().get(f"/reports/export.{mode}", {"dialect": "excel_da"})
        request.user = user
        response = view(request)
        for chunk in response.streaming_content:
            size += len(chunk)
            if mode == "csv":
                rows += chunk.count(b"\r\n")
        rows = rows - 1 if mode == "csv" else select.count()
    elif mode == "csv-python":
        # The file the view streams, written by the Python rows and csv writer (the
        # path SQLite takes), for a before/after beside ``csv``.
        from reports import csv_export

        translation.activate("da")
        leaders, modules, now = _hr_export()
        head = csv_export.header(modules)
        for chunk in csv_export.encode(head, csv_export.rows(leaders, modules, now), "excel_da"):
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        rows -= 1
    elif mode == "own":
        sql, params = select.query.sql_with_params()
        rows, size = _copy(sql, params)
    elif mode == "anchor":
        rows, size = _copy(anchor)
    elif mode == "physical":
        rows, size = _copy_physical()
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


def forget_statistics(url: str) -> None:
    """Make PostgreSQL plan as on a fresh load: no column statistics, no row counts."""
    import psycopg

    tables = [
        "programme_leader",
        "programme_user",
        "programme_department",
        "programme_enrolment",
        "programme_cohort",
        "programme_attendance",
        "programme_session",
        "programme_standing",
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            conn.execute("DELETE FROM pg_statistic WHERE starelid = %s::regclass", [table])
            conn.execute(
                "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = %s::regclass",
                [table],
            )


def analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


# --- the report -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000, 300000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["physical", "anchor", "own", "csv", "xlsx"],
        help="what to measure: physical, anchor, own, csv, csv-python, xlsx, query",
    )
    parser.add_argument(
        "--statistics",
        nargs="+",
        default=["fresh", "none"],
        help="fresh: after ANALYZE; none: with the planner's statistics removed",
    )
    parser.add_argument(
        "--jit",
        action="store_true",
        help="leave PostgreSQL's JIT on (default: off for the measuring connections)",
    )
    parser.add_argument(
        "--child",
        choices=["csv", "csv-python", "xlsx", "own", "anchor", "physical", "query"],
        help=argparse.SUPPRESS,
    )
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
        if "physical" in args.modes:
            prepare_physical(leaders)
        for stats in args.statistics:
            if stats == "none":
                forget_statistics(url)
            else:
                analyze(url)
            # Interleaved so that load from elsewhere hits every mode alike.
            runs = {mode: [] for mode in args.modes}
            for _ in range(args.repeat):
                for mode in args.modes:
                    runs[mode].append(measure(url, mode, jit=args.jit))
            for mode, measured in runs.items():
                median = statistics.median(run["seconds"] for run in measured)
                results.append(
                    {
                        "leaders": leaders,
                        "statistics": stats,
                        "mode": mode,
                        "rows": measured[0]["rows"],
                        "mb_file": measured[0]["bytes"] / 1e6,
                        "median_s": median,
                        "best_s": min(run["seconds"] for run in measured),
                        "peak_mb": max(run["peak_mb"] for run in measured),
                        "baseline_mb": min(run["baseline_mb"] for run in measured),
                    }
                )
                print(json.dumps(results[-1]), flush=True)
        analyze(url)

    print()
    print(
        "| leaders | statistics | what | rows | MB | median s | best s | peak RSS MB |"
        " ÷ physical anchor | ÷ anchor COPY | ÷ own COPY |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by = {(r["leaders"], r["statistics"], r["mode"]): r["median_s"] for r in results}
    for r in results:
        key = (r["leaders"], r["statistics"])
        anchor = by.get((*key, "anchor"), float("nan"))
        own = by.get((*key, "own"), float("nan"))
        physical = by.get((*key, "physical"), float("nan"))
        print(
            f"| {r['leaders']:,} | {r['statistics']} | {r['mode']} | {r['rows']:,} |"
            f" {r['mb_file']:.1f} | {r['median_s']:.2f} | {r['best_s']:.2f} |"
            f" {r['peak_mb']:.0f} | {r['median_s'] / physical:.2f} |"
            f" {r['median_s'] / anchor:.2f} | {r['median_s'] / own:.2f} |"
        )


if __name__ == "__main__":
    main()
