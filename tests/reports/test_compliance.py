"""The compliance lists (not enrolled, behind) and their "Send reminder" button."""

import datetime as dt

import pytest
from django.urls import reverse
from post_office.models import Email

import booking
from mail.models import SentReminder
from tests.conftest import NOW, session_reads


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    settings.REMINDER_INTERVAL_DAYS = 7


@pytest.fixture
def people(cohort, other_cohort, leader, colleague, outsider):
    """Søren has a seat in Hold 1 and missed its first session (12 January): behind.
    Åse (his department) and Bodil (another) have no place."""
    booking.enrol(leader=leader, cohort=cohort, now=NOW - dt.timedelta(days=30))
    Email.objects.all().delete()
    return leader, colleague, outsider


NOT_ENROLLED = reverse("reports:compliance", args=["not_enrolled"])
BEHIND = reverse("reports:compliance", args=["behind"])


def remind(client, url, *leaders):
    return client.post(url, {"leader": [leader.pk for leader in leaders]}, follow=True)


def test_hr_sees_every_leader_without_a_place(client, hr, people):
    leader, colleague, outsider = people
    client.force_login(hr)
    response = client.get(NOT_ENROLLED)
    assert [row.name for row in response.context["rows"]] == [outsider.name, colleague.name]


def test_a_manager_sees_only_their_departments(client, manager_a, people):
    leader, colleague, outsider = people
    client.force_login(manager_a)
    response = client.get(NOT_ENROLLED)
    assert [row.name for row in response.context["rows"]] == [colleague.name]


def test_a_leader_may_not_see_the_lists(client, people):
    leader, colleague, outsider = people
    client.force_login(colleague.user)
    assert client.get(NOT_ENROLLED).status_code == 403
    assert client.post(NOT_ENROLLED, {"leader": [outsider.pk]}).status_code == 403
    assert SentReminder.objects.count() == 0


def test_hr_reminds_the_chosen_leaders_through_the_outbox(client, hr, people):
    leader, colleague, outsider = people
    client.force_login(hr)
    response = remind(client, NOT_ENROLLED, colleague, outsider)
    assert "En påmindelse er på vej til 2 ledere." in response.content.decode()
    assert sorted(e.to[0] for e in Email.objects.all()) == sorted(
        [colleague.user.email, outsider.user.email]
    )
    assert "Hold 2" in Email.objects.get(to=colleague.user.email).message  # open cohorts
    reminder = SentReminder.objects.get(leader=colleague)
    assert (reminder.kind, reminder.sent_by) == (SentReminder.Kind.NOT_ENROLLED, hr)


def test_a_leader_is_reminded_at_most_once_in_the_interval(client, hr, people, settings):
    leader, colleague, outsider = people
    client.force_login(hr)
    remind(client, NOT_ENROLLED, colleague)
    response = remind(client, NOT_ENROLLED, colleague)
    assert "1 leder blev påmindet for mindre end 7 dage siden" in response.content.decode()
    assert Email.objects.count() == 1
    assert "påmindet 18. januar" in client.get(NOT_ENROLLED).content.decode()

    settings.PORTAL_CLOCK = "2016-01-25T09:01"  # seven days and a minute later
    remind(client, NOT_ENROLLED, colleague)
    assert Email.objects.count() == 2
    assert SentReminder.objects.filter(leader=colleague).count() == 2


def test_a_manager_reminds_their_own_leaders_only(client, manager_a, people):
    leader, colleague, outsider = people
    client.force_login(manager_a)
    remind(client, NOT_ENROLLED, colleague, outsider)  # Bodil is in another department
    assert [e.to[0] for e in Email.objects.all()] == [colleague.user.email]
    assert SentReminder.objects.get().sent_by == manager_a


def test_leaders_behind_are_reminded_of_the_make_up_sessions(client, hr, people):
    leader, colleague, outsider = people
    client.force_login(hr)
    response = client.get(BEHIND)
    assert [row.name for row in response.context["rows"]] == [leader.name]
    remind(client, BEHIND, leader, colleague)  # Åse is not behind: not reminded
    email = Email.objects.get()
    assert email.to == [leader.user.email]
    assert "Kick-off" in email.message and "Hold 2" in email.message
    assert SentReminder.objects.get().kind == SentReminder.Kind.BEHIND


def test_the_daily_job_and_the_button_share_the_interval(client, hr, people):
    from mail.reminders import send_reminders

    leader, colleague, outsider = people
    send_reminders(days=0, now=NOW)  # the not-enrolled reminders of the daily job
    client.force_login(hr)
    remind(client, NOT_ENROLLED, colleague, outsider)
    assert Email.objects.count() == 2


def test_the_list_runs_a_fixed_number_of_queries(client, hr, people, django_assert_num_queries):
    client.force_login(hr)
    client.get(NOT_ENROLLED)  # the first request after sign-in writes the session
    # user (with leader profile and roles), the programme (shared with the header),
    # required modules, the leaders with their standing and last reminder
    with django_assert_num_queries(4 + session_reads()):
        response = client.get(NOT_ENROLLED)
    assert len(response.context["rows"]) == 2
