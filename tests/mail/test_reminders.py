"""Reminders: a session in the coming days, or no place yet; each sent once."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from post_office.models import Email

import booking
from mail.models import SentReminder
from mail.reminders import send_reminders
from programme.models import MakeUpBooking
from tests.conftest import NOW, queued, room, send_outbox


@pytest.fixture
def people(cohort, other_cohort, leader, colleague, outsider):
    """Søren has a seat in Hold 1 (session 9 Feb), Bodil a make-up at Hold 2 (23 Feb),
    Åse no place at all."""
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    booking.enrol(leader=outsider, cohort=cohort, now=NOW)
    MakeUpBooking.objects.create(
        leader=outsider, session=other_cohort.sessions.get(module__order=1)
    )
    Email.objects.all().delete()  # the enrolment confirmations: not what these tests count
    return leader, colleague, outsider


def recipients(mailoutbox):
    return sorted((m.to[0], m.subject) for m in mailoutbox)


def test_leaders_with_a_session_soon_and_leaders_without_a_place_are_reminded(people, mailoutbox):
    leader, colleague, outsider = people
    summary = send_reminders(days=40, now=NOW)
    assert (summary.sessions, summary.not_enrolled) == (3, 1)
    send_outbox()
    to = [m.to[0] for m in mailoutbox]
    assert sorted(to) == sorted(
        [leader.user.email, outsider.user.email, outsider.user.email, colleague.user.email]
    )
    makeup_mail = [m for m in mailoutbox if m.to == [outsider.user.email] and "Hold 2" in m.body]
    assert len(makeup_mail) == 1
    assert "Kick-off" in makeup_mail[0].subject and "23.02.2016" in makeup_mail[0].subject


def test_a_rerun_sends_nothing_twice(people, mailoutbox):
    first = send_reminders(days=40, now=NOW)
    send_outbox()
    sent = len(mailoutbox)
    second = send_reminders(days=40, now=NOW)
    send_outbox()
    assert first.sent == sent == 4
    assert second.sent == 0
    assert len(mailoutbox) == sent
    assert SentReminder.objects.count() == 4


def test_only_sessions_inside_the_window_are_reminded(people, mailoutbox):
    leader, colleague, outsider = people
    summary = send_reminders(days=7, now=NOW)  # 9 February is 22 days away
    send_outbox()
    assert summary.sessions == 0
    assert [m.to[0] for m in mailoutbox] == [colleague.user.email]


def test_a_leader_who_has_left_gets_no_reminder(people, mailoutbox):
    leader, colleague, outsider = people
    colleague.left_on = NOW.date()
    colleague.save()
    send_reminders(days=7, now=NOW)
    assert queued() == []


def test_reminders_record_what_they_were_about(people, programme, mailoutbox):
    leader, colleague, outsider = people
    send_reminders(days=30, now=NOW)
    session = leader.enrolments.get().cohort.sessions.get(module__order=2)
    assert set(SentReminder.objects.values_list("leader", "kind", "subject_key")) == {
        (leader.pk, "session", f"session:{session.pk}"),
        (outsider.pk, "session", f"session:{session.pk}"),
        (colleague.pk, "not_enrolled", f"programme:{programme.pk}"),
    }


def test_the_command_sends_and_prints_a_summary(people, mailoutbox, settings):
    settings.PORTAL_CLOCK = NOW.isoformat()
    out = io.StringIO()
    call_command("send_reminders", "--days", "40", stdout=out)
    assert "Queued 4 reminders (3 about sessions, 1 about enrolling)" in out.getvalue()
    out = io.StringIO()
    call_command("send_reminders", "--days", "40", stdout=out)
    assert out.getvalue().startswith("Queued 0 reminders")
    send_outbox()
    assert len(mailoutbox) == 4


def test_the_admin_action_reminds_only_the_selected_leaders(
    client, hr, people, mailoutbox, settings
):
    leader, colleague, outsider = people
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(hr)
    client.post(
        reverse("admin:programme_leader_changelist"),
        {"action": "send_reminders", "_selected_action": [colleague.pk]},
    )
    send_outbox()
    assert [m.to[0] for m in mailoutbox] == [colleague.user.email]
    assert "Hold 1" in mailoutbox[0].body  # an open cohort to enrol in


def test_a_leader_named_with_ampersand_and_quotes_reads_exactly_that(people, mailoutbox, settings):
    leader, colleague, outsider = people
    leader.name = 'Hansen & "Co"'
    leader.save()
    leader.enrolments.get().cohort.sessions.update(
        location=room('Rådhuset, "Store sal" & kantine', address="")
    )
    send_reminders(days=40, now=NOW)
    send_outbox()
    (message,) = [m for m in mailoutbox if m.to == [leader.user.email]]
    assert 'Kære Hansen & "Co"' in message.body
    assert 'Hvor: Rådhuset, "Store sal" & kantine' in message.body
    assert "&amp;" not in message.body and "&quot;" not in message.body
    assert "http://testserver/" in message.body
