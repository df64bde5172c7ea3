#!/usr/bin/env python3
"""The leader import at its limit, as HR does it, while the portal serves other people.

    .venv/bin/python bench/import_job.py                 # 50,000 rows with invitations
    .venv/bin/python bench/import_job.py --rows 5000     # a quick look

1. creates a fresh PostgreSQL database ``bench_import_job`` beside the one in
   ``--base-url`` (default ``DATABASE_URL``, else the local ``postgres``), migrates it and
   loads the demo (``seed_demo``), plus 20 departments for the file;
2. serves it with gunicorn and gunicorn.conf.py (DJANGO_ENV=production, its 30 s
   timeout), and runs the import worker beside it (``manage.py run_imports --loop``);
3. keeps ``--readers`` threads fetching pages (a leader's dashboard and the cohort list,
   a manager's report, HR's start page and leader list) for the whole run;
4. as HR: uploads a CSV of ``--rows`` new leaders (the limit, IMPORT_MAX_ROWS, by
   default), follows the check's status page until it leads to the preview (the worker
   reads and checks the file), opens the preview, confirms it with "send each new leader
   an invitation", then follows the import's status page until it says done;
5. prints the seconds of each request, each job's time in the queue and in the worker,
   the reads' latency while it ran, whether gunicorn stopped any worker (WORKER TIMEOUT
   in its log), and whether the outbox holds one invitation per new leader, each once.

Not a test: nothing here fails the build. Record runs in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

# The load benchmark's paths, clock and process stop (this folder is on sys.path when a
# script in it runs).
from load import DEMO_CLOCK, GUNICORN, PYTHON, ROOT, stop

DEPARTMENTS = 20
PREFIX = "bench.leder"

# (who, path): what the other users keep asking for while HR imports.
READS = [
    ("seated", "/"),
    ("leader", "/cohorts/"),
    ("manager", "/reports/"),
    ("hr", "/hr/"),
    ("hr", "/admin/programme/leader/"),
]


def csv_file(rows: int) -> bytes:
    lines = ["Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling"]
    levels = ["Direktør", "Centerchef", "Afdelingsleder", "Teamleder"]
    for n in range(rows):
        lines.append(
            f"9{n:06};Bench Leder {n};{PREFIX}{n}@albertslund.dk;Leder {n % 7};"
            f"{levels[n % 4]};B{n % DEPARTMENTS:02}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer we time


OPENER = urllib.request.build_opener(NoRedirect)


def request(base: str, path: str, cookie: str, *, data=None, content_type=None):
    """(status, Location or body, seconds) of one request, as a browser behind the proxy."""
    headers = {
        "Cookie": cookie,
        "X-Forwarded-Proto": "https",
        "Referer": f"https://{base.split('//', 1)[1]}{path}",
    }
    if content_type:
        headers["Content-Type"] = content_type
    started = time.monotonic()
    req = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with OPENER.open(req, timeout=120) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        body = error.headers.get("Location") or error.read().decode(errors="replace")
    return status, body, time.monotonic() - started


def csrf_of(cookie: str) -> str:
    return cookie.split("csrftoken=", 1)[1].split(";", 1)[0]


def multipart(fields: dict[str, str], name: str, filename: str, content: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Readers:
    """Threads fetching READS round-robin; each result is (started, seconds, status)."""

    def __init__(self, base: str, cookies: dict[str, str], count: int):
        self.base, self.cookies = base, cookies
        self.results: list[tuple[float, float, int]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(count)]

    def run(self, n: int) -> None:
        turn = n
        while not self.stopping.is_set():
            who, path = READS[turn % len(READS)]
            turn += 1
            started = time.monotonic()
            try:
                status, _body, seconds = request(self.base, path, self.cookies[who])
            except OSError:
                status, seconds = 0, time.monotonic() - started
            self.results.append((started, seconds, status))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def summary(self, start: float, end: float) -> str:
        inside = [(s, status) for began, s, status in self.results if start <= began < end]
        if not inside:
            return "no reads"
        seconds = sorted(s for s, _ in inside)
        errors = sum(1 for _, status in inside if status != 200)
        p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
        return (
            f"{len(inside)} reads, {errors} not 200, median {statistics.median(seconds):.2f} s, "
            f"p95 {p95:.2f} s, slowest {seconds[-1]:.2f} s"
        )


def follow(base: str, path: str, cookie: str) -> tuple[list[int], str]:
    """HR's status page, asked every 3 s as its script does until the job has finished:
    the statuses of the answers, and the last page."""
    statuses = []
    while True:
        status, html, _seconds = request(base, path, cookie)
        statuses.append(status)
        if "import-job-done" in html or "import-job-failed" in html:
            return statuses, html
        time.sleep(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--readers", type=int, default=4, help="threads fetching pages")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--database", default="bench_import_job")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server; the benchmark uses its own beside it",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench.load import database_url, ensure_database, run, sessions, wait_until_up

    url = database_url(args.base_url, args.database)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CACHE_"))},
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_URL": f"https://127.0.0.1:{args.port}",
        "PORTAL_CLOCK": DEMO_CLOCK,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "LOG_LEVEL": "INFO",
    }
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    ensure_database(args.base_url, args.database, reseed=True)
    run([PYTHON, "manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
    run([PYTHON, "manage.py", "seed_demo"], env)
    departments = (
        "from programme.models import Department\n"
        f"for n in range({DEPARTMENTS}):\n"
        "    Department.objects.get_or_create(code=f'B{n:02}', defaults={'name': f'Bench {n}'})\n"
    )
    run([PYTHON, "manage.py", "shell", "-v", "0", "-c", departments], env)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env)
    cookies = sessions(env)  # sets up Django in this process, against the bench database

    from post_office.models import Email

    from hr.models import ImportJob
    from mail.models import Invitation
    from programme.models import Leader

    base = f"http://127.0.0.1:{args.port}"
    logs = Path(tempfile.mkdtemp(prefix="bench-import-job-"))
    gunicorn_log = logs / "gunicorn.log"
    worker_log = logs / "worker.log"
    server = subprocess.Popen(
        [GUNICORN, "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=gunicorn_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [PYTHON, "manage.py", "run_imports", "--loop", "--interval", "2"],
        cwd=ROOT,
        env=env,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    readers = Readers(base, cookies, args.readers)
    hr = cookies["hr"]
    leaders_before = Leader.objects.count()
    try:
        wait_until_up(base, server)
        readers.start()
        time.sleep(5)  # the reads alone, as a baseline
        began = time.monotonic()

        body, content_type = multipart(
            {"csrfmiddlewaretoken": csrf_of(hr)}, "import_file", "ledere.csv", csv_file(args.rows)
        )
        status, location, upload_s = request(
            base, "/admin/programme/leader/import/", hr, data=body, content_type=content_type
        )
        if status != 302 or "/import/jobs/" not in location:
            raise SystemExit(f"the upload answered {status}: {location[-2000:]}")
        check_pages, html = follow(base, location, hr)
        checked = time.monotonic()
        link = re.search(r'href="(/admin/programme/leader/import/[0-9a-f-]{36}/)"', html)
        if link is None:
            raise SystemExit(f"the check's page leads to no preview: {html[-3000:]}")
        preview_path = link.group(1)
        status, html, preview_s = request(base, preview_path, hr)
        confirm_path = preview_path + "confirm/"
        if confirm_path not in html:
            raise SystemExit(f"the preview ({status}) has no confirm form")

        confirm_began = time.monotonic()
        data = f"csrfmiddlewaretoken={csrf_of(hr)}&send_invitations=1".encode()
        status, job_path, confirm_s = request(
            base, confirm_path, hr, data=data, content_type="application/x-www-form-urlencoded"
        )
        if status != 302 or "/import/jobs/" not in job_path:
            raise SystemExit(f"the confirmation answered {status}: {job_path[-2000:]}")
        confirm_ended = time.monotonic()

        page_status, _html = follow(base, job_path, hr)
        job_ended = time.monotonic()
        time.sleep(5)  # the reads after it
        ended = time.monotonic()
    finally:
        readers.stop()
        stop(worker)
        stop(server)

    check = ImportJob.objects.get(kind=ImportJob.Kind.CHECK)
    job = ImportJob.objects.get(kind=ImportJob.Kind.WRITE)
    new_leaders = Leader.objects.count() - leaders_before
    invitations = Email.objects.filter(to__startswith=PREFIX)
    distinct = len({str(to) for to in invitations.values_list("to", flat=True)})
    timeouts = gunicorn_log.read_text().count("WORKER TIMEOUT")
    print()
    print(f"rows: {args.rows}; gunicorn workers: config default; readers: {args.readers}")
    print(f"upload request (stores the file): {upload_s:.2f} s, status 302 to the check's page")
    waited = (check.started_at - check.created_at).total_seconds()
    checking = (check.finished_at - check.started_at).total_seconds()
    print(f"check: {check.status} after {check.attempts} attempt(s); {waited:.1f} s waiting,")
    print(f"     {checking:.1f} s in the worker (read and check every line, store the preview);")
    print(f"     HR saw the preview's link {checked - began:.0f} s after uploading")
    print(f"     ({len(check_pages)} status pages, statuses {set(check_pages)})")
    print(f"preview: {preview_s:.2f} s")
    print(f"confirm request: {confirm_s:.2f} s, status 302 to the status page")
    queued = (job.started_at - job.created_at).total_seconds()
    working = (job.finished_at - job.started_at).total_seconds()
    print(f"job: {job.status} after {job.attempts} attempt(s); {queued:.1f} s waiting, ")
    print(f"     {working:.1f} s in the worker; HR saw it done {job_ended - confirm_ended:.0f} s")
    print(f"     after confirming ({len(page_status)} status pages, statuses {set(page_status)})")
    print(f"     counts: {job.new_count} new, {job.update_count} updated, {job.invited_count} inv.")
    print(f"WORKER TIMEOUT in gunicorn's log: {timeouts}")
    print(
        f"outbox: {invitations.count()} invitations to {distinct} addresses; "
        f"new leaders {new_leaders}; invitation records {Invitation.objects.count()}; "
        f"each once: {invitations.count() == distinct == new_leaders}"
    )
    print(f"reads before: {readers.summary(began - 5, began)}")
    print(f"reads during upload+confirm: {readers.summary(began, confirm_began + confirm_s)}")
    print(f"reads while the job ran: {readers.summary(confirm_ended, job_ended)}")
    print(f"reads after: {readers.summary(job_ended, ended)}")
    print(f"load average at the end: {os.getloadavg()}; logs in {logs}")


if __name__ == "__main__":
    main()
