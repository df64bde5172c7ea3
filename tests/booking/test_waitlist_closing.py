"""Waitlists end cleanly: a leader can always leave one, and one closes when its cohort starts.

Repro: a leader first on Hold 1's waitlist after three of its five sessions was
told to leave the waitlist and choose another cohort, but had no button to leave
it, enrolling elsewhere was refused ("cancel it first"), such leaders were not
counted as not enrolled (so got no reminders), and "contact HR" said nothing
about how.
"""

import pytest
from django.urls import reverse

import booking
from mail.reminders import send_reminders
from programme.models import Enrolment
from reports import rules as reports
from tests.conftest import NOW, local, make_leader, queued


@pytest.fixture
def stranded(leader, cohort, department_b):
    """Hold 1 filled up before its first session (12 January); the leader waits."""
    before = local(2016, 1, 5)
    for n in range(cohort.capacity):
        booking.enrol(
            leader=make_leader(f"s{n}@a.dk", f"Seat {n}", department_b, f"60{n}"),
            cohort=cohort,
            now=before,
        )
    place = booking.enrol(leader=leader, cohort=cohort, now=before)
    assert place.status == Enrolment.Status.WAITLISTED
    return place


def test_the_dashboard_says_the_waitlist_has_closed_and_how_to_reach_hr(
    client, leader, stranded, settings
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    page = client.get("/").text
    assert "Hold 1 er gået i gang, så ventelisten er lukket" in page
    assert "Forlad ventelisten" in page
    assert 'href="mailto:hr@albertslund.dk"' in page
    assert "43 68 68 68" in page


def test_a_leader_can_leave_a_waitlist_after_the_deadline(client, leader, stranded, settings):
    settings.PORTAL_CLOCK = "2016-02-02T10:00"  # Hold 1's deadline was 31 January
    client.force_login(leader.user)
    response = client.post(reverse("dashboard:cancel", args=[stranded.pk]), follow=True)
    assert "Du har forladt ventelisten til Hold 1" in response.text
    stranded.refresh_from_db()
    assert stranded.status == Enrolment.Status.CANCELLED


def test_enrolling_in_an_open_cohort_closes_a_waitlist_place_in_a_started_one(
    client, leader, stranded, open_cohort, settings
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    client.post(reverse("dashboard:enrol", args=[open_cohort.pk]))
    stranded.refresh_from_db()
    assert (stranded.status, stranded.end_reason) == ("cancelled", "waitlist_closed")
    assert Enrolment.objects.get(leader=leader, cohort=open_cohort).status == "enrolled"


def test_a_waitlist_place_in_an_open_cohort_still_stands_in_the_way(
    client, leader, open_cohort, other_cohort, department_b, settings
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    for n in range(open_cohort.capacity):
        booking.enrol(
            leader=make_leader(f"o{n}@a.dk", f"O {n}", department_b, f"61{n}"),
            cohort=open_cohort,
            now=NOW,
        )
    booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    with pytest.raises(booking.BookingError, match="Du har allerede en plads på Hold 3"):
        booking.enrol(leader=leader, cohort=other_cohort, now=NOW)


def test_closing_the_waitlists_tells_the_leaders_and_counts_them_not_enrolled(
    leader,
    stranded,
    programme,
    open_cohort,
    settings,
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    before = len(queued())
    result = booking.close_places(now=NOW)
    assert [e.pk for e in result.waitlists_closed] == [stranded.pk]
    (mail,) = queued()[before:]
    assert mail.subject == "Ventelisten til Hold 1 er lukket"
    assert "Hold 3: 3 ledige pladser" in mail.message

    filters = reports.Filters(programme=programme, now=NOW, status=reports.Status.NOT_ENROLLED)
    assert list(reports.report_leaders(reports.full_scope(), filters)) == [leader]
    summary = send_reminders(now=NOW, leaders=type(leader).objects.filter(pk=leader.pk))
    assert summary.not_enrolled == 1


def test_nobody_is_promoted_into_a_cohort_that_has_begun(leader, stranded, cohort):
    seated = cohort.enrolments.filter(status="enrolled").first()
    result = booking.cancel(enrolment=seated, by_staff=True, now=NOW)
    assert result.promoted == []
    stranded.refresh_from_db()
    assert stranded.status == Enrolment.Status.WAITLISTED


def test_a_full_cohort_that_has_begun_takes_no_new_waitlist_places(colleague, stranded, cohort):
    with pytest.raises(booking.BookingError, match="ventelisten er lukket"):
        booking.enrol(leader=colleague, cohort=cohort, now=NOW, by_staff=True)
