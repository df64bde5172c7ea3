"""Approval where wanted, in a real browser (ENROLMENT_APPROVAL=manager): a leader asks
for a place, the manager gets the e-mail through the real outbox and an SMTP server,
follows its link and approves, and the leader has the seat, the confirmation with the
calendar file, and the calendar download on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mail import outbox
from programme.models import Enrolment
from tests.conftest import NOW
from tests.e2e.conftest import da
from tests.mail.test_outbox import smtp, subject  # noqa: F401 - the SMTP server fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_leader_asks_the_manager_approves_from_the_e_mail_and_the_leader_has_the_place(
    world,
    settings,
    page,
    page_for,
    sign_in_as,
    live_server,
    smtp,  # noqa: F811 - the fixture
):
    settings.ENROLMENT_APPROVAL = "manager"
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.PORTAL_URL = live_server.url
    server, inbox = smtp
    server.start()
    leader, manager, hold_2 = world.colleague, world.manager, world.other_cohort

    sign_in_as(leader)
    page.goto(live_server.url + reverse("dashboard:cohort_detail", args=[hold_2.pk]))
    with page.expect_navigation():
        page.get_by_role(
            "button", name=da("Ask for a place in %(cohort)s", cohort="Hold 2")
        ).click()
    assert page.url == live_server.url + reverse("dashboard:dashboard")
    state = page.locator("#place-request").inner_text()
    assert "Du bad om en plads på Hold 2" in state
    assert not Enrolment.objects.filter(leader=leader).exists()

    outbox.send_queued()  # the outbox worker's round
    [asked] = [m for m in inbox.messages if m["To"] == manager.email]
    assert subject(asked) == f"{leader.name} beder om en plads på Hold 2"
    body = asked.get_payload(decode=True).decode()
    link = re.search(r"http://\S+", body).group(0)
    assert link == live_server.url + reverse("managers:approvals")

    boss = page_for(manager)
    boss.goto(link)
    card = boss.locator(".approval-request", has_text=leader.name)
    with boss.expect_navigation():
        card.get_by_role("button", name=da("Approve"), exact=False).click()
    assert (
        da(
            "%(leader)s is enrolled in %(cohort)s. A confirmation with the calendar is on its way "
            "to their e-mail.",
            leader=leader.name,
            cohort="Hold 2",
        )
        in boss.locator(".messages").inner_text()
    )
    assert boss.locator("#no-requests").is_visible()

    outbox.send_queued()
    [confirmation] = [m for m in inbox.messages if m["To"] == leader.user.email]
    assert subject(confirmation) == "Du er tilmeldt Hold 2"
    calendars = [
        part.get_filename() for part in confirmation.walk() if part.get_filename() is not None
    ]
    assert calendars == ["digital-ledelse.ics"]

    page.goto(live_server.url + reverse("dashboard:dashboard"))
    assert page.locator("#place-request").count() == 0
    with page.expect_download() as download:
        page.get_by_role("link", name=da("Add all my sessions to my calendar (.ics)")).click()
    ics = download.value.path().read_text()
    assert ics.count("BEGIN:VEVENT") == 3
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED
