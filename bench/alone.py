#!/usr/bin/env python3
"""Each page of the load bench alone, without kept pages (issue 30's "each page alone
within 3x the bare view"): the time one request takes when nothing else runs.

    .venv/bin/python bench/alone.py                      # after bench/load.py has seeded
    .venv/bin/python bench/alone.py --profile "HR, all"  # where one page's time goes
    .venv/bin/python bench/alone.py --queries "behind"   # the SQL one call sends
    .venv/bin/python bench/alone.py --after-write        # each call right after a booking

On the load bench's database (``bench_load``, made by ``bench/load.py``; demo clock
2016-01-18), in one process with production's settings (DEBUG off, ``bench.site`` for
the bare view), ``PAGE_CACHE_SECONDS=0`` (every request builds its page) and no Redis
(the kept tallies in the database are read as a worker reads them), it signs in the
load bench's readers (bench/writes.py) with Django's test client and times each of
``bench/load.py``'s pages: 5 warm-up calls, then ``--repeat`` (30) calls. It prints the
mean and median of each, its share of the bare view's mean, the queries one call made,
and the load average. ``--profile TEXT`` runs cProfile over the first page whose label
holds TEXT instead.

Where the server's autovacuum is off, the database is vacuumed before each page, as
``bench/load.py`` does.

``--after-write`` times each call right after one committed write, as under
``bench/load.py --writes``: a leader without a place enrols in a cohort open on the
demo's day, or cancels that place, through the portal's own form (not timed; its time is
printed apart). What a page then counts again (the kept tallies, the chances) is in
its time.

Not a test: nothing here fails the build. Record runs in docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project's packages, and bench's own
    sys.path.insert(0, str(ROOT))

from bench.load import PAGES, autovacuum_off, vacuum  # noqa: E402
from bench.writes import DEMO_CLOCK, readers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="bench_load")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1/postgres"),
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--profile", metavar="TEXT", help="cProfile the page whose label holds TEXT"
    )
    parser.add_argument(
        "--queries",
        metavar="TEXT",
        help="print the SQL one call of the page whose label holds TEXT sends",
    )
    parser.add_argument(
        "--after-write",
        action="store_true",
        help="time each call right after one enrolment or cancellation",
    )
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.site",
            "DATABASE_URL": args.base_url.rsplit("/", 1)[0] + "/" + args.database,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "PORTAL_CLOCK": DEMO_CLOCK,
            "PAGE_CACHE_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    # Where the server's autovacuum is off, the database is vacuumed before each page
    # (bench/load.py's vacuum()): the writes of --after-write would swell the kept counts.
    tidy = autovacuum_off(os.environ["DATABASE_URL"])
    if tidy:
        vacuum(os.environ["DATABASE_URL"], full=True)
    import django

    django.setup()
    # As gunicorn's master does before it forks a worker (gunicorn.conf.py).
    gc.freeze()
    from django.db import connection
    from django.test import Client

    clients = {}
    for who, user in readers().items():
        clients[who] = Client()
        clients[who].force_login(user)

    def call(page) -> None:
        response = clients[page.who].get(page.path, secure=True)
        assert response.status_code == 200, (page.path, response.status_code)

    write = writes() if args.after_write else None
    write_times: list[float] = []

    def before_call() -> None:
        if write is not None:
            started = time.perf_counter()
            write()
            write_times.append((time.perf_counter() - started) * 1000)

    if args.profile:
        page = next(page for page in PAGES if args.profile in page.label)
        for _ in range(5):
            call(page)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            profile.disable()
            before_call()
            profile.enable()
            call(page)
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(f"{ROOT}/(?!\\.venv)", 40)  # the portal's own functions
        return

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    if args.queries:
        page = next(page for page in PAGES if args.queries in page.label)
        for _ in range(5):
            call(page)
        with connection.execute_wrapper(count):
            call(page)
        for number, sql in enumerate(queries, 1):
            print(f"{number:2}. {sql[:400]}{' ...' if len(sql) > 400 else ''}\n")
        return

    print("| page | mean ms | median ms | x bare | queries |\n| --- | ---: | ---: | ---: | ---: |")
    bare = None
    for page in PAGES:
        if tidy:
            vacuum(os.environ["DATABASE_URL"])
        for _ in range(5):
            call(page)
        queries.clear()
        with connection.execute_wrapper(count):
            call(page)
        times = []
        for _ in range(args.repeat):
            before_call()
            started = time.perf_counter()
            call(page)
            times.append((time.perf_counter() - started) * 1000)
        mean = statistics.mean(times)
        bare = bare or mean
        print(
            f"| {page.label} | {mean:.1f} | {statistics.median(times):.1f} | "
            f"{mean / bare:.1f} | {len(queries)} |",
            flush=True,
        )
    if write_times:
        print(
            f"writes before the calls: {len(write_times)}, "
            f"median {statistics.median(write_times):.1f} ms each (not in the pages' times)"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def writes():
    """One committed write a call: a leader without a place enrols in a cohort open on
    the demo's day, through the portal's form, or cancels it the next time."""
    from django.test import Client
    from django.urls import reverse

    from programme.models import Cohort, Enrolment, User

    user = (
        User.objects.filter(leader__isnull=False, leader__enrolments__isnull=True)
        .order_by("pk")
        .first()
    )
    client = Client()
    client.force_login(user)
    cohorts = list(
        Cohort.objects.filter(enrolment_deadline__gte=DEMO_CLOCK[:10])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    turn = iter(range(10**9))

    def write() -> None:
        held = Enrolment.objects.filter(
            leader=user.leader, status__in=["enrolled", "waitlisted"]
        ).first()
        if held is None:
            path = reverse("dashboard:enrol", args=[cohorts[next(turn) % len(cohorts)]])
        else:
            path = reverse("dashboard:cancel", args=[held.pk])
        response = client.post(path, secure=True)
        assert response.status_code in (302, 303), (path, response.status_code)

    return write


if __name__ == "__main__":
    main()
