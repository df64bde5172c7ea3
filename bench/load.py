#!/usr/bin/env python3
"""Load benchmark: the portal under ``make serve`` settings with 30,000 leaders.

    .venv/bin/python bench/load.py            # or: make bench
    .venv/bin/python bench/load.py --duration 10 --leaders 3000   # a quick look

1. creates (once) a separate PostgreSQL database ``bench_load`` and seeds it with
   ``seed_demo --leaders 30000`` (kept for the next run; ``--reseed`` starts over);
2. serves it with gunicorn and gunicorn.conf.py, DJANGO_ENV=production, on
   127.0.0.1 only, with ``bench.site`` adding one bare view (the framework's floor),
   and Redis as production runs it (``REDIS_URL``, default redis://127.0.0.1:6379/5:
   sessions and the kept dashboard; ``--no-redis`` to measure without);
3. signs in a leader, a manager and HR (server-side sessions, as a browser would hold);
4. drives each page with wrk (20 connections, 30 s each, one page at a time) and
   prints requests/s, p50/p95/p99 latency and errors per page, and each page's
   throughput as a share of the bare view's.

With ``--writes N`` it measures every page in three modes, one after the other in the
same run: reads only; reads while leaders enrol and cancel through the real HTML forms
(the CSRF-checked POSTs a browser sends) at N per second from a thread of this script,
one write in ``--sheets-every`` (default 5) HR saving a past session's attendance sheet
in the admin (every leader of the cohort present, then absent the next time);
and kept pages off (gunicorn restarted with ``PAGE_CACHE_SECONDS=0``), reads only. The
table then has a column per mode (share of the bare view's throughput, and p95), and
the writes actually made per second are printed beside it. ``--runs 3`` repeats the
whole and prints each page's median over the runs, with each run's load average.
The writes and the sign-ins are in bench/writes.py. ``--only TEXT`` drives only the
pages whose label holds TEXT (and the bare view): a quick comparison of one page.

Where the server runs without autovacuum (CI's PostgreSQL here: ``autovacuum = off``),
the bench does its work: it compacts the tables every booking rewrites once at the
start (``VACUUM FULL``: earlier runs left them swollen) and vacuums the database before
each page it drives, so that every page meets the tables as a live database keeps them.

With ``--nodes 2`` it runs two gunicorn instances (the two "machines"), each with
its share of the workers, behind nginx (Debian's package; the same upstream block
as docs/operations.md), on the one PostgreSQL and a shared Redis (``REDIS_URL``,
default redis://127.0.0.1:6379/5): sessions are read from Redis first, so a signed-in
leader may land on either node. Before driving, every page is fetched from each node
directly with the same session, to prove the session is shared.

Not a test: nothing here fails the build. Record runs in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project's packages, and bench's own
    sys.path.insert(0, str(ROOT))

from bench.writes import DEMO_CLOCK, Bookings, fetch, sessions  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Page:
    label: str
    path: str
    who: str  # leader, seated, behind, manager, hr


PAGES = [
    Page("bare Django view (floor)", "/bench/bare", "leader"),
    Page("dashboard / (the demo leader: no place yet)", "/", "leader"),
    Page("dashboard / (a seated leader, on track)", "/", "seated"),
    Page("dashboard / (a leader behind: make-ups on offer)", "/", "behind"),
    Page("cohort list /cohorts/", "/cohorts/", "leader"),
    Page("report /reports/ (manager, 2 departments)", "/reports/", "manager"),
    Page("report /reports/ (HR, all departments)", "/reports/", "hr"),
    Page("forecast /reports/forecast/ (HR, the municipality)", "/reports/forecast/", "hr"),
]


@dataclass
class Result:
    page: Page
    requests: int
    seconds: float
    errors: int
    p50: float
    p95: float
    p99: float
    writes: float = 0.0  # writes per second made while it was driven (--writes)
    failed_writes: int = 0
    sheets: int = 0  # of the writes, attendance sheets saved

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def database_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


def ensure_database(base_url: str, name: str, *, reseed: bool) -> None:
    """Create the benchmark database beside the one in ``base_url``."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def cancel_queries(url: str, name: str) -> None:
    """A page given up on keeps its query running in PostgreSQL: stop it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()",
            [name],
        )


# What the portal rewrites on every booking (the kept counts and the pages' versions):
# without autovacuum their dead rows pile up run after run (19 MB for 1,550 departments'
# counts, 62 MB for the three kept summaries, seen on this machine). Measured, the
# recount after a booking was not slower with the counts at 21 MB; the bench vacuums so
# that every run meets the database as a live one is kept, whatever came before.
REWRITTEN = (
    "programme_departmenttally",
    "programme_tallyneed",
    "programme_programmetally",
    "programme_pagewrite",
)


def autovacuum_off(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SHOW autovacuum").fetchone()[0] != "on"


def vacuum(url: str, *, full: bool = False) -> None:
    """Do what autovacuum does on a live database, where the server's is off (CI's
    PostgreSQL here runs with ``autovacuum = off``): ``VACUUM`` the database, or with
    ``full`` first compact the tables every booking rewrites, which earlier runs
    without autovacuum left swollen (a live database never lets them grow so)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if full:
            conn.execute(f"VACUUM FULL {', '.join(REWRITTEN)}")
        conn.execute("VACUUM")


def run(args: list[str], env: dict) -> None:
    print("$", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def wait_until_up(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited; see its log above")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz in time")


def drive(base: str, page: Page, cookie: str, args, script: str) -> Result:
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        script,
        "-H",
        f"Cookie: {cookie}",
        "-H",
        "X-Forwarded-Proto: https",
        base + page.path,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=args.duration + 60
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    n, micros, *errors, p50, p95, p99 = (int(x) for x in line.split()[1:])
    return Result(page, n, micros / 1e6, sum(errors), p50 / 1000, p95 / 1000, p99 / 1000)


def print_table(results: list[Result]) -> None:
    bare = results[0].rps or 1.0
    print()
    print(
        f"{'page':44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'of bare':>8}"
    )
    for r in results:
        print(
            f"{r.page.label:44} {r.rps:8.1f} {r.p50:8.1f} {r.p95:8.1f} {r.p99:8.1f} "
            f"{r.errors:7d} {r.rps / bare:8.2f}"
        )
    print()
    for r in results[1:]:
        ok = r.errors == 0 and r.p95 < 50 and r.rps >= bare / 2
        print(
            f"{'meets' if ok else 'MISSES'} targets (0 errors, p95 < 50 ms, >= 1/2 bare): "
            f"{r.page.label}"
        )


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream portal {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def start_nginx(port: int, node_ports: list[int], nginx: str) -> tuple[subprocess.Popen, str]:
    directory = tempfile.mkdtemp(prefix="bench-nginx-")
    os.chmod(directory, 0o755)  # nginx's workers run as www-data
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in node_ports)
    conf = Path(directory) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, servers=servers, port=port))
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", directory, "-g", "daemon off;"])
    return process, directory


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=30_000)
    parser.add_argument("--duration", type=int, default=30, help="seconds per page")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    parser.add_argument("--database", default="bench_load")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server; the benchmark uses its own beside it",
    )
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="no shared cache: sessions from the database, no kept dashboard",
    )
    parser.add_argument(
        "--max-single",
        type=float,
        default=10.0,
        help="seconds one request may take alone; slower pages are reported, not driven",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument(
        "--nodes", type=int, default=1, help="gunicorn instances behind nginx (needs Redis)"
    )
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument(
        "--writes",
        type=float,
        default=0,
        help="writes per second through the forms while reading (adds the modes table)",
    )
    parser.add_argument(
        "--sheets-every",
        type=int,
        default=5,
        help="with --writes: one write in this many is HR saving an attendance sheet (0: none)",
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat; the table shows medians")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="drive only the pages whose label holds TEXT (repeatable), and the bare view",
    )
    args = parser.parse_args()
    args.pages = [PAGES[0]] + [
        page for page in PAGES[1:] if not args.only or any(text in page.label for text in args.only)
    ]

    url = database_url(args.base_url, args.database)
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "bench.site",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Only the links in e-mails; production requires an https:// address.
        "PORTAL_URL": f"https://127.0.0.1:{args.port}",
        "PORTAL_CLOCK": DEMO_CLOCK,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    # Production's shared cache: gunicorn's workers are separate processes, so the kept
    # dashboard (programme/pagecache.py) and cached sessions need Redis even on one node.
    if not args.no_redis:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
        env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    elif args.nodes > 1:
        raise SystemExit("--nodes needs the shared cache: drop --no-redis")

    ensure_database(args.base_url, args.database, reseed=args.reseed)
    run([PYTHON, "manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
    # seed_demo adds only what is missing, and brings the standings up to date.
    started = time.monotonic()
    run([PYTHON, "manage.py", "seed_demo", "--leaders", str(args.leaders)], env)
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
    # Fresh planner statistics after bulk inserts, as autovacuum would give a live database.
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    args.vacuum = autovacuum_off(url)
    if args.vacuum:
        print(
            "the server's autovacuum is off: the bench vacuums the database before each"
            " page it drives, as autovacuum keeps a live one",
            flush=True,
        )
        vacuum(url, full=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env)
    cookies, writers, hr = sessions(env, n_writers=200 if args.writes else 0)
    if args.writes and not writers:
        raise SystemExit("--writes: the demo has no leader without a place to book with")

    modes = ["reads"] if not args.writes else ["reads", "writes", "off"]
    runs: list[dict[str, list[Result]]] = []
    for number in range(1, args.runs + 1):
        run_results = {}
        for mode in modes:
            print(f"\n== run {number} of {args.runs}: {MODES[mode]}", flush=True)
            run_results[mode] = measure(args, env, cookies, (writers, hr), mode, url)
        run_results["load"] = os.getloadavg()
        runs.append(run_results)
    print(
        f"\n{args.leaders} leaders requested; {args.nodes} node(s)"
        f"{' behind nginx, sessions in Redis' if args.nodes > 1 else ''}; gunicorn workers "
        f"per node: {env.get('WEB_CONCURRENCY', 'config default')}; {os.cpu_count()} CPUs; "
        f"wrk {args.connections} connections, {args.duration} s per page"
    )
    if args.writes:
        for number, run_results in enumerate(runs, start=1):
            load = ", ".join(f"{x:.2f}" for x in run_results["load"])
            print(f"run {number}: load average after it {load}")
        print_modes(runs, modes)
    elif runs and runs[0]["reads"] and runs[0]["reads"][0].page.path == "/bench/bare":
        print_table(runs[0]["reads"])


MODES = {
    "reads": "reads only, kept pages",
    "writes": "reads while leaders book, kept pages",
    "off": "reads only, kept pages off (PAGE_CACHE_SECONDS=0)",
}


def measure(args, env: dict, cookies: dict, writing: tuple, mode: str, url: str):
    """Serve the portal in ``mode``, drive every page, and stop it: the pages' results.
    ``writing``: the leaders who book and HR's writer (``--writes``)."""
    writers, hr = writing
    base = f"http://127.0.0.1:{args.port}"
    if mode == "off":
        env = {**env, "PAGE_CACHE_SECONDS": "0"}
    node_ports = (
        [args.port] if args.nodes == 1 else [args.port + n for n in range(1, args.nodes + 1)]
    )
    servers = [
        subprocess.Popen(
            [GUNICORN, "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{node_port}"},
        )
        for node_port in node_ports
    ]
    proxy = None
    results = []
    try:
        for node_port, server in zip(node_ports, servers, strict=True):
            wait_until_up(f"http://127.0.0.1:{node_port}", server)
        if args.nodes > 1:
            proxy, _ = start_nginx(args.port, node_ports, args.nginx)
            wait_until_up(base, proxy)
            for page in args.pages:  # the same session on every node: shared through Redis
                for node_port in node_ports:
                    status, _ = fetch(f"http://127.0.0.1:{node_port}{page.path}", cookies[page.who])
                    print(f"{page.label} on node :{node_port}: {status}")
                    if status != 200:
                        raise SystemExit("a node refused a session another node made")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        for page in args.pages:
            if args.vacuum:
                vacuum(url)
            status, seconds = fetch(base + page.path, cookies[page.who], args.max_single + 5)
            print(f"{page.label}: one request alone: {status} in {seconds * 1000:.0f} ms")
            if status != 200 or seconds > args.max_single:
                print(f"  not driven: needs 200 within {args.max_single} s", flush=True)
                continue
            for _ in range(10):  # warm every worker's connection and caches
                fetch(base + page.path, cookies[page.who])
            bookings = None
            if mode == "writes":
                bookings = Bookings(base, writers, args.writes, url, hr, args.sheets_every)
                bookings.start()
            print(f"  driving for {args.duration} s ...", flush=True)
            try:
                result = drive(base, page, cookies[page.who], args, script.name)
            finally:
                if bookings is not None:
                    bookings.stopping.set()
                    bookings.join(60)
            if bookings is not None:
                result.writes = bookings.per_second()
                result.failed_writes = bookings.failed
                result.sheets = bookings.sheets
            results.append(result)
            print(
                f"  {result.rps:.1f} req/s, p95 {result.p95:.0f} ms, {result.errors} errors"
                + (
                    f"; {result.writes:.1f} writes/s ({result.sheets} attendance sheets),"
                    f" {result.failed_writes} refused"
                    if bookings is not None
                    else ""
                )
            )
            time.sleep(2)  # let gunicorn's queue drain before the next page
        os.unlink(script.name)
    finally:
        if proxy is not None:
            stop(proxy)
        for server in servers:
            stop(server)
        cancel_queries(url, args.database)
    return results


def print_modes(runs: list[dict], modes: list[str]) -> None:
    """Each page's share of the bare view (the same run and mode) and p95, per mode: the
    median over the runs."""
    print()
    header = f"{'page':50}" + "".join(f" {mode + ' share':>13} {'p95 ms':>7}" for mode in modes)
    print(header + f" {'writes/s':>10}")
    labels = [r.page.label for r in runs[0][modes[0]]]
    for label in labels:
        line = f"{label:50}"
        writes = []
        for mode in modes:
            shares, p95s = [], []
            for run_results in runs:
                by_label = {r.page.label: r for r in run_results[mode]}
                bare = by_label.get(PAGES[0].label)
                if label in by_label and bare is not None and bare.rps:
                    shares.append(by_label[label].rps / bare.rps)
                    p95s.append(by_label[label].p95)
                    if mode == "writes":
                        writes.append(by_label[label].writes)
            if shares:
                line += f" {statistics.median(shares):13.2f} {statistics.median(p95s):7.0f}"
            else:
                line += f" {'-':>13} {'-':>7}"
        line += f" {statistics.median(writes):10.1f}" if writes else f" {'-':>10}"
        print(line)


if __name__ == "__main__":
    main()
