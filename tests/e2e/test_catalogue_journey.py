"""The catalogue of ideas in a real browser: a leader shares an initiative, a leader of
another area finds it by a Danish word form (on PostgreSQL; the word as written on
SQLite), presses "Vil samarbejde", both get the e-mail through the real outbox and an
SMTP server, and the second leader carries the initiative too."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.db import connection
from django.urls import reverse

from mail import outbox
from outcomes.models import Initiative
from tests.e2e.conftest import da
from tests.mail.test_outbox import smtp  # noqa: F401 - the SMTP server fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_leader_shares_another_area_finds_it_by_a_word_form_and_they_work_on_it_together(
    world,
    settings,
    page,
    sign_in_as,
    live_server,
    smtp,  # noqa: F811 - the fixture
):
    server, inbox = smtp
    server.start()
    owner, other = world.leader, world.outsider
    assert owner.department_id != other.department_id
    assert owner.department.parent_id is None and other.department.parent_id is None

    sign_in_as(owner)
    page.goto(live_server.url + reverse("outcomes:initiative_new"))
    page.fill("#id_title", "Digitalisering af visitationen")
    page.fill("#id_problem", "Sagsbehandlerne skriver de samme oplysninger tre gange")
    page.check('input[name="dimensions"][value="processes"]')
    page.fill("#id_expected_benefit", "Kortere ventetid for borgerne")
    page.check("#id_share")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert Initiative.objects.get(leader=owner).shared_at is not None

    sign_in_as(other)
    page.goto(live_server.url + reverse("outcomes:catalogue"))
    # PostgreSQL stems Danish: the definite form finds the word; SQLite matches as written.
    word = "digitaliseringen" if connection.vendor == "postgresql" else "digitalisering"
    page.fill("#id_q", word)
    with page.expect_navigation():
        page.get_by_role("button", name=da("Search"), exact=True).click()
    card = page.locator("article", has_text="Digitalisering af visitationen")
    assert card.count() == 1
    assert owner.name in card.inner_text()
    with page.expect_navigation():
        card.get_by_role("button", name=da("I want to work on it")).click()
    assert "Vi har sendt jer begge en e-mail" in page.locator(".messages").inner_text()
    card = page.locator("article", has_text="Digitalisering af visitationen")
    assert da("You work on it too.") in card.inner_text()
    assert other.name in card.inner_text()

    outbox.send_queued()  # the outbox worker's round (the world's booking e-mails too)
    about = [
        message
        for message in inbox.messages
        if str(make_header(decode_header(message["Subject"])))
        == "Samarbejde om Digitalisering af visitationen"
    ]
    assert sorted(message["To"] for message in about) == sorted(
        [owner.user.email, other.user.email]
    )
    initiative = Initiative.objects.get(leader=owner)
    assert list(initiative.collaborators.values_list("leader", flat=True)) == [other.pk]
