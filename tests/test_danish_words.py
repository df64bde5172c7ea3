"""The words people read: Danish, and the right Danish word for what a control does.

Repro (outside testers): the outbox's columns read "Number of retries", "Last updated"
and "Scheduled Time"; the history's "Årsag til ændring" read "None"; HR's start page
wrote "tor 14. Jan"; the initiative form's cancel link read "Afmeld" (unsubscribe) and
its edit link "Ændring" (a difference), and so did every "Ret" link of the admin.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

import booking
from mail import outbox
from tests.conftest import NOW, local
from tests.outcomes.test_outcome_reports import make_initiative


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


def text(response) -> str:
    """The page's words, without its markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_outbox_columns_are_danish(client, hr):
    outbox.queue(to="leder@albertslund.dk", subject="Du er tilmeldt Hold 1", body="Hej")
    client.force_login(hr)
    page = text(client.get(reverse("admin:post_office_email_changelist")))
    for danish in ("Nye forsøg", "Senest ændret", "Næste forsøg"):
        assert danish in page
    for english in ("Number of retries", "Last updated", "Scheduled Time"):
        assert english not in page


def test_a_history_without_a_reason_shows_a_dash_not_none(client, hr, leader, cohort):
    place = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    client.force_login(hr)
    page = client.get(reverse("admin:programme_enrolment_history", args=[place.pk]))
    assert "Årsag til ændring" in page.text
    assert "None" not in text(page)


def test_hr_reads_weekdays_and_months_in_lower_case(client, hr, cohort):
    client.force_login(hr)
    page = text(client.get(reverse("hr:start")))
    # Hold 1's kick-off, Tuesday 12 January, is not recorded yet.
    assert "tir 12. jan 09:00" in page
    assert "12. Jan" not in page


def test_english_pages_keep_english_month_names(client, hr, cohort, settings):
    client.force_login(hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(client.get(reverse("hr:start")))
    assert "Tue 12 Jan 09:00" in page


def test_the_initiative_form_cancels_and_the_list_edits_in_plain_danish(client, leader, programme):
    initiative = make_initiative(leader, programme)
    client.force_login(leader.user)
    listing = client.get(reverse("outcomes:initiative_list"))
    edit = reverse("outcomes:initiative_edit", args=[initiative.pk])
    assert re.search(rf'<a href="{edit}">Ret<span', listing.text)
    form = text(client.get(edit))
    assert "Annullér" in form
    assert "Afmeld" not in form


def test_the_admin_says_ret_for_change_and_the_outcomes_aendring_for_a_difference(client, hr):
    client.force_login(hr)
    index = client.get(reverse("admin:index")).text
    assert re.search(r'class="changelink"[^>]*>Ret</a>', index)
    assert "Ændring" not in index
    with translation.override("da"):
        assert translation.pgettext("difference", "Change") == "Ændring"
        assert translation.pgettext("booking", "Cancel") == "Afmeld"


def test_a_make_up_seat_is_still_cancelled_with_afmeld(client, leader, cohort, other_cohort):
    from programme.models import Attendance

    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    kickoff = cohort.sessions.get(module__order=1)
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.ABSENT)
    booking.book_makeup(leader=leader, session=other_cohort.sessions.get(module__order=1), now=NOW)
    client.force_login(leader.user)
    assert re.search(r"Afmeld<span class=\"visually-hidden\">: Kick-off", client.get("/").text)
