"""Run by tests/test_read_replica.py in its own process, against a real primary and a
real streaming replica (DATABASE_URL, DATABASE_REPLICA_URL): prints what each page saw.

With the replica's replay paused, a leader added on the primary is invisible to the
report (read from the replica) and visible to the admin (the primary); a write made
from a report-reading request still lands on the primary. Then replay resumes and
the report catches up.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()  # the test client records each page's context

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from programme.models import HR_GROUP, Department, Leader, Programme, User  # noqa: E402


def wait_for(check, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def on_replica(sql: str):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def leaders_in_report(client: Client) -> int:
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200, response.status_code
    return response.context["total"].leaders


def main() -> None:
    Programme.objects.create(
        name="Replika", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    department = Department.objects.create(name="Økonomi", code="ØK")
    hr = User.objects.create_user(email="hr@replika.dk", password="x", is_staff=True)
    hr.groups.add(Group.objects.get(name=HR_GROUP))

    def add_leader(n: int) -> Leader:
        user = User.objects.create_user(email=f"leder{n}@replika.dk")
        return Leader.objects.create(
            user=user,
            employee_number=str(n),
            name=f"Leder {n}",
            level="team",
            department=department,
        )

    add_leader(1)
    wait_for(
        lambda: on_replica("SELECT count(*) FROM programme_leader") == 1, "the replica to catch up"
    )
    client = Client()
    client.force_login(hr)
    seen = {"before_pause": leaders_in_report(client)}

    on_replica("SELECT pg_wal_replay_pause()")
    wait_for(lambda: on_replica("SELECT pg_get_wal_replay_pause_state()") == "paused", "pause")
    add_leader(2)
    seen["primary_leaders"] = Leader.objects.count()
    seen["report_while_paused"] = leaders_in_report(client)
    admin = client.get(reverse("admin:programme_leader_changelist"))
    seen["admin_while_paused"] = admin.context["cl"].result_count
    # A write in the same request cycle as report reads goes to the primary (the session
    # is saved there, and any model write is routed to default).
    client.get(reverse("reports:overview"), {"status": "not_enrolled"})
    seen["replica_is_read_only"] = on_replica("SELECT pg_is_in_recovery()")

    on_replica("SELECT pg_wal_replay_resume()")
    wait_for(lambda: leaders_in_report(client) == 2, "the report to catch up")
    seen["report_after_resume"] = leaders_in_report(client)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
