"""Benchmark the forecast toward the end date (issue 27) at a municipality's size.
Run by hand, not in the test suite:

    .venv/bin/python bench/forecast.py                    # 30,000 leaders, 1,500 departments
    .venv/bin/python bench/forecast.py --leaders 3000 --repeat 10

Creates (once) a PostgreSQL database ``bench_forecast_<N>`` next to the one in
``BENCH_ADMIN_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), migrates
it and seeds ``seed_demo --leaders N --as-of 2016-03-01`` (the booking rush: the last
cohorts full, some leaders unable to finish); a database that already holds N leaders
is reused. Then, in one process with ``DEBUG`` off and the kept pages off (every request
builds its page), after 5 warm-up calls it times ``--repeat`` calls each of:

- ``forecast()``: the rules alone, for the municipality, with the weekly series;
- ``summary()``: the outlooks' counts, as HR's start page and the reports ask them;
- HR's forecast page (``/reports/forecast/``) and its CSV, through Django's test client;
- the manager's forecast page (the demo's manager of two departments);
- HR's and the manager's report overview (``/reports/``), which carry the summary.

It prints the mean and median of each, and the load average (the queries are pinned by
tests/test_query_budget.py).
Nothing here fails the build; record runs in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
AS_OF = "2016-03-01T09:00"
CLOCK = "2016-03-01T12:00"


def database_url(leaders: int) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/bench_forecast_{leaders}"


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_CLOCK": CLOCK,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "f0r3c4" * 10,
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "PAGE_CACHE_SECONDS": "0",
    }


def prepare(leaders: int) -> str:
    import psycopg

    url = database_url(leaders)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    have = 0
    try:
        with psycopg.connect(url) as conn:
            have = conn.execute("SELECT count(*) FROM programme_leader").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        pass
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=_env(url), check=True)
    # DEBUG off serves the hashed static files' names, as production does.
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=_env(url), check=True)
    if have != leaders:
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


def child(repeat: int) -> None:
    """In the seeded database's process: time each case."""
    import django

    django.setup()
    # As gunicorn's master does before it forks a worker (gunicorn.conf.py's pre_fork).
    gc.freeze()
    from django.test import Client
    from django.urls import reverse

    import demo as demo_data
    from programme import clock
    from programme.models import Department, Leader, Programme, User
    from reports import forecast
    from reports.rules import full_scope

    programme = Programme.objects.get()
    now = clock.now()
    hr = User.objects.get(email=demo_data.HR_EMAIL)
    manager = User.objects.get(email=demo_data.MANAGER_EMAIL)
    clients = {}
    for who, user in (("hr", hr), ("manager", manager)):
        clients[who] = Client()
        clients[who].force_login(user)

    def page(who: str, name: str):
        def call():
            response = clients[who].get(reverse(name), secure=True)
            assert response.status_code == 200, response.status_code
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)

        return call

    cases = [
        ("forecast(), the municipality", lambda: forecast.forecast(full_scope(), programme, now)),
        ("summary(), the municipality", lambda: forecast.summary(full_scope(), programme, now)),
        ("HR's forecast page", page("hr", "reports:forecast")),
        ("HR's forecast CSV", page("hr", "reports:forecast_csv")),
        ("the manager's forecast page", page("manager", "reports:forecast")),
        ("HR's report overview (with the forecast's summary)", page("hr", "reports:overview")),
        ("the manager's report overview", page("manager", "reports:overview")),
    ]
    found = forecast.forecast(full_scope(), programme, now)
    print(
        f"{Leader.objects.count()} leaders, {Department.objects.count()} departments; "
        f"outlooks {found.counts}; seats {found.seats.without_place} without a place, "
        f"{found.seats.free_seats} free",
        flush=True,
    )
    print("| case | mean ms | median ms |\n| --- | ---: | ---: |")
    for label, call in cases:
        for _ in range(5):
            call()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"| {label} | {statistics.mean(times):.1f} | {statistics.median(times):.1f} |",
            flush=True,
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.repeat)
        return
    url = prepare(args.leaders)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    subprocess.run(
        [PYTHON, __file__, "--child", "--repeat", str(args.repeat)],
        env=_env(url),
        check=True,
        cwd=ROOT,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
