"""Deciders pressing at once (PostgreSQL row locks): a request is answered once, and
approvals of many requests into one cohort never overbook it."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals import rules as approval
from approvals.models import EnrolmentRequest
from programme.models import Cohort, Department, Enrolment, Leader, User
from tests.booking.test_concurrency import NOW, run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("many_connections"),
]


@pytest.fixture
def requests(programme):
    cohort = Cohort.objects.create(
        programme=programme, name="Hold 1", capacity=3, enrolment_deadline=dt.date(2016, 1, 31)
    )
    department = Department.objects.create(name="Afdeling", code="A")
    manager = User.objects.create_user(email="chef@albertslund.dk")
    department.managers.add(manager)
    items = []
    for n in range(8):
        leader = Leader.objects.create(
            user=User.objects.create_user(email=f"leder{n}@albertslund.dk"),
            employee_number=str(n),
            name=f"Leder {n}",
            level="team",
            department=department,
        )
        items.append(approval.request_place(leader=leader, cohort=cohort, now=NOW))
    return cohort, manager, items


def test_two_deciders_at_once_answer_a_request_once(requests):
    cohort, manager, items = requests
    hr = User.objects.create_superuser(email="hr@albertslund.dk", password="x")
    item = items[0]

    def work(i):
        by, staff = (manager, False) if i % 2 else (hr, True)
        return approval.approve(request=item, by=by, by_staff=staff, now=NOW)

    results, errors = run_at_once(6, work)
    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == 5
    assert all(isinstance(e, approval.ApprovalError) for e in errors), errors
    assert Enrolment.objects.filter(leader=item.leader).count() == 1
    item.refresh_from_db()
    assert item.state == EnrolmentRequest.State.APPROVED


def test_approving_every_request_at_once_fills_the_seats_then_the_waitlist(requests):
    cohort, manager, items = requests

    def work(i):
        return approval.approve(request=items[i], by=manager, by_staff=False, now=NOW)

    results, errors = run_at_once(len(items), work)
    assert errors == []
    statuses = sorted(e.status for e in results)
    assert statuses == ["enrolled"] * 3 + ["waitlisted"] * 5
    assert Enrolment.objects.filter(cohort=cohort, status="enrolled").count() == 3
