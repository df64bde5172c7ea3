"""The report pages read from a real PostgreSQL streaming replica; everything else from the primary.

The test builds its own primary and replica on free ports (Debian's PostgreSQL tools:
initdb, pg_ctl, pg_basebackup, run as the ``postgres`` system user), migrates the
primary, and runs tests/servers/replica_check.py against them in a separate process.
Where the machine cannot do that (no PostgreSQL server tools, or no ``postgres``
user to run them as) it is skipped with the reason; it is never faked.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = pytest.mark.postgres


def _why_not() -> str | None:
    if not BIN:
        return "PostgreSQL's server tools are not installed (/usr/lib/postgresql/*/bin)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres system user to run a server as"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "starting PostgreSQL servers as the postgres user needs root and runuser"
    return None


def as_postgres(*command: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=120,
    )


@pytest.fixture(scope="module")
def primary_and_replica():
    reason = _why_not()
    if reason:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"CI needs the replica test: {reason}")
        pytest.skip(reason)
    tools = BIN[-1]
    base = Path(tempfile.mkdtemp(prefix="replica-test-"))
    shutil.chown(base, "postgres", "postgres")
    primary, replica = base / "primary", base / "replica"
    ports = {"primary": free_port(), "replica": free_port()}
    started = []
    try:
        as_postgres(f"{tools}/initdb", "-D", str(primary), "-U", "postgres", "--auth=trust")
        as_postgres(
            f"{tools}/pg_ctl", "-D", str(primary), "-l", str(base / "primary.log"), "-w",
            "-o", f"-p {ports['primary']} -k {base} -c listen_addresses=127.0.0.1",
            "start",
        )  # fmt: skip
        started.append(primary)
        as_postgres(
            f"{tools}/createdb", "-h", "127.0.0.1", "-p", str(ports["primary"]), "-U",
            "postgres", "portal",
        )  # fmt: skip
        as_postgres(
            f"{tools}/pg_basebackup", "-h", "127.0.0.1", "-p", str(ports["primary"]), "-U",
            "postgres", "-D", str(replica), "-R", "-X", "stream",
        )  # fmt: skip
        as_postgres(
            f"{tools}/pg_ctl", "-D", str(replica), "-l", str(base / "replica.log"), "-w",
            "-o", f"-p {ports['replica']} -k {base} -c listen_addresses=127.0.0.1",
            "start",
        )  # fmt: skip
        started.append(replica)
        yield {name: f"postgres://postgres@127.0.0.1:{port}/portal" for name, port in ports.items()}
    finally:
        for data in reversed(started):
            subprocess.run(
                ["runuser", "-u", "postgres", "--", f"{tools}/pg_ctl", "-D", str(data), "-m",
                 "immediate", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


def test_reports_read_from_the_replica_and_everything_else_from_the_primary(
    primary_and_replica,
):
    env = {
        **os.environ,
        "DATABASE_URL": primary_and_replica["primary"],
        "DATABASE_REPLICA_URL": primary_and_replica["replica"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_CLOCK": "2016-01-18T09:00",
    }
    for name in ("DJANGO_ENV", "DEBUG", "REDIS_URL", "TEST_DATABASE_NAME"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    done = subprocess.run(
        [sys.executable, "tests/servers/replica_check.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "before_pause": 1,
        "primary_leaders": 2,
        "report_while_paused": 1,  # the report reads the paused replica
        "admin_while_paused": 2,  # the admin reads the primary
        "replica_is_read_only": True,
        "report_after_resume": 2,
    }
