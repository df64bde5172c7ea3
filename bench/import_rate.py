"""Benchmark the leader import: rows per second through HR's own pages, on PostgreSQL.

Run by hand, not in the test suite:

    .venv/bin/python bench/import_rate.py                    # 3,000 and 30,000 rows
    .venv/bin/python bench/import_rate.py --sizes 30000 --repeat 5
    .venv/bin/python bench/import_rate.py --fresh            # drop and re-create the database

It creates a database ``bench_import`` next to the one in ``BENCH_ADMIN_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``), migrates it, collects the static files
(the admin pages render with ``DEBUG`` off, as in production) and adds 20 departments
and an HR user (staff in the HR group, not a superuser). Each measurement runs in a
fresh child process with the web's settings (``DEBUG`` off, the web's lock and
statement timeouts), empties the leaders, and then, through Django's test client and
the real admin views, for a file of N rows:

- ``new``: upload a CSV of N new leaders and let the import worker check it (read,
  check every row, store the preview), open the preview's first page, confirm and let
  the worker write it (logins, leaders and history);
- ``changed``: the same N leaders with every job title changed: N updates;
- ``unchanged``: the same file again: nothing to write.

It prints the seconds for each step (each request with the worker's part it queued) and
rows per second for upload + confirm. Both run in the import worker now, so they are
no longer bound by gunicorn's 30-second request timeout; ``bench/import_job.py``
measures the requests themselves under load.
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
DATABASE = "bench_import"
HR_EMAIL = "bench-hr@albertslund.dk"
DEPARTMENTS = 20
SCENARIOS = ["new", "changed", "unchanged"]


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x1y2z3" * 10,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "PGOPTIONS": "-c jit=off",
    }


def prepare(fresh: bool) -> str:
    import psycopg

    url = database_url()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        exists = admin.execute(query, [DATABASE]).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=_env(url), check=True)
    # The admin pages render with DEBUG off: hashed static files, as in production.
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=_env(url), check=True)
    setup = (
        "from django.contrib.auth.models import Group\n"
        "from programme.models import Department, User\n"
        f"for n in range({DEPARTMENTS}):\n"
        "    Department.objects.get_or_create(\n"
        "        code=f'B{n:02}', defaults={'name': f'Afdeling {n}'}\n"
        "    )\n"
        f"user = User.objects.filter(email='{HR_EMAIL}').first()\n"
        f"user = user or User.objects.create_user(email='{HR_EMAIL}', is_staff=True)\n"
        "user.groups.add(Group.objects.get(name='HR'))\n"
    )
    subprocess.run([*manage, "shell", "-v", "0", "-c", setup], env=_env(url), check=True)
    return url


def measure(url: str, rows: int) -> dict:
    done = subprocess.run(
        [PYTHON, __file__, "--child", str(rows)],
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: one measurement in a fresh process -------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _csv(rows: int, title: str) -> bytes:
    lines = ["Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling"]
    levels = ["Direktør", "Centerchef", "Afdelingsleder", "Teamleder"]
    for n in range(rows):
        lines.append(
            f"{100000 + n};Leder Nummer {n};leder{n}@albertslund.dk;{title} {n % 7};"
            f"{levels[n % 4]};B{n % DEPARTMENTS:02}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def child(rows: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from hr import import_jobs
    from hr.models import ImportBatch
    from programme.models import Leader, User

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programme_historicalleader, programme_leader CASCADE")
    User.objects.exclude(email=HR_EMAIL).delete()
    ImportBatch.objects.all().delete()
    client = Client()
    client.force_login(User.objects.get(email=HR_EMAIL))
    client.get(reverse("admin:index"))  # the session's first write, not in the figures
    files = {"new": _csv(rows, "Teamleder"), "changed": _csv(rows, "Afdelingsleder")}
    files["unchanged"] = files["changed"]
    results = {}
    for scenario in SCENARIOS:
        upload = SimpleUploadedFile("ledere.csv", files[scenario])
        started = time.perf_counter()
        response = client.post(reverse("admin:programme_leader_import"), {"import_file": upload})
        assert response.status_code == 302, response.content[-3000:]
        # The import worker checks the file (hr/import_jobs.py), timed with the
        # upload that queued it: the same work the request did before it became a job.
        assert import_jobs.run_pending() == 1
        checked = time.perf_counter()
        batch = ImportBatch.objects.defer("rows").get()
        page = reverse("admin:programme_leader_import_preview", args=[batch.pk])
        assert client.get(page).status_code == 200
        shown = time.perf_counter()
        confirm = reverse("admin:programme_leader_import_confirm", args=[batch.pk])
        confirmed_at = time.perf_counter()
        response = client.post(confirm)
        # The import worker's part (hr/import_jobs.py), timed with the request
        # that queued it: the same work the request did before it became a job.
        assert import_jobs.run_pending() == 1
        finished = time.perf_counter()
        assert "/import/jobs/" in response["Location"]
        results[scenario] = {
            "check_s": checked - started,
            "preview_s": shown - checked,
            "confirm_s": finished - confirmed_at,
            "counts": [batch.new_count, batch.update_count, batch.unchanged_count],
        }
    assert Leader.objects.count() == rows
    print(json.dumps({"rows": rows, "scenarios": results, "peak_mb": _peak_mb()}))


# --- the report -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)", flush=True)
    url = prepare(args.fresh)
    table = []
    for rows in args.sizes:
        runs = [measure(url, rows) for _ in range(args.repeat)]
        for scenario in SCENARIOS:
            measured = [run["scenarios"][scenario] for run in runs]

            def median(key, measured=measured):
                return statistics.median(m[key] for m in measured)

            total = median("check_s") + median("confirm_s")
            table.append(
                {
                    "rows": rows,
                    "scenario": scenario,
                    "counts": measured[0]["counts"],
                    "check_s": median("check_s"),
                    "preview_s": median("preview_s"),
                    "confirm_s": median("confirm_s"),
                    "total_s": total,
                    "rows_per_s": rows / total,
                    "peak_mb": max(run["peak_mb"] for run in runs),
                }
            )
            print(json.dumps(table[-1]), flush=True)

    print()
    print(
        "| rows | file | new / updated / unchanged | check s | preview page s | confirm s |"
        " check + confirm s | rows/s | peak RSS MB |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for r in table:
        counts = " / ".join(f"{n:,}" for n in r["counts"])
        print(
            f"| {r['rows']:,} | {r['scenario']} | {counts} | {r['check_s']:.2f} |"
            f" {r['preview_s']:.2f} | {r['confirm_s']:.2f} | {r['total_s']:.2f} |"
            f" {r['rows_per_s']:,.0f} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
