"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): e-mails wait while the
server is down, each arrives exactly once when it is back, none for a rolled-back booking;
failures are retried with growing waits and then shown to HR, who can send them again."""

from __future__ import annotations

import datetime as dt
import io
import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

from programme import booking, outbox

from .conftest import local, queued, session_reads


class Inbox(MessageHandler):
    """What the SMTP server received."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """An SMTP server on a free port of 127.0.0.1, not yet started; the portal sends to it."""
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT = 5
    yield server, inbox
    if getattr(server, "_thread", None) is not None:
        server.stop()


def due_now():
    """Let the clock pass the retry wait, as the next minutes would."""
    Email.objects.update(scheduled_time=timezone.now() - dt.timedelta(seconds=1))


def test_mail_waits_for_the_server_and_arrives_exactly_once(
    smtp, leader, colleague, outsider, cohort, settings
):
    server, inbox = smtp
    settings.PORTAL_CLOCK = "2016-01-20T10:00"
    cohort.capacity = 1
    cohort.save()
    # The server is down: book, wait-list, cancel (promotes), and one booking rolls back.
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    waiting = booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    with pytest.raises(RuntimeError), transaction.atomic():
        booking.enrol(leader=outsider, cohort=cohort, now=local(2016, 1, 7))
        raise RuntimeError("the request failed after booking")
    booking.cancel(enrolment=leader.enrolments.get(), now=local(2016, 1, 8))
    assert len(queued()) == 4  # enrolled, waitlisted, cancelled, promoted

    summary = outbox.send_queued()
    assert (summary.sent, summary.retrying) == (0, 4)
    assert inbox.messages == []
    assert {e.status for e in queued()} == {STATUS.requeued}

    server.start()
    assert outbox.send_queued().sent == 0  # not due yet: they wait a minute first
    due_now()
    assert outbox.send_queued().sent == 4
    assert outbox.send_queued().sent == 0
    received = sorted((m["To"], subject(m)) for m in inbox.messages)
    assert received == sorted(
        [
            (leader.user.email, "Du er tilmeldt Hold 1"),
            (colleague.user.email, "Du er på ventelisten til Hold 1"),
            (leader.user.email, "Din plads på Hold 1 er afmeldt"),
            (colleague.user.email, "Du har fået en plads på Hold 1"),
        ]
    )
    assert outsider.user.email not in {m["To"] for m in inbox.messages}
    assert waiting.pk  # the waitlisted colleague got the freed seat and its e-mail


def test_failed_sends_wait_longer_each_time_then_fail_for_hr_to_see(smtp, leader, settings):
    settings.OUTBOX_MAX_RETRIES = 2
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 2}
    outbox.queue(to=leader.user.email, subject="Prøve", body="Hej")
    waits = []
    for _ in range(2):
        before = timezone.now()
        outbox.send_queued()
        email = Email.objects.get()
        waits.append(round((email.scheduled_time - before).total_seconds() / 60))
        due_now()
    assert waits == [1, 2]
    outbox.send_queued()
    email = Email.objects.get()
    assert email.status == STATUS.failed
    assert email.logs.filter(status=STATUS.failed).count() == 3
    assert "Connection refused" in email.logs.latest("date").message


def test_hr_sees_the_error_and_sends_a_failed_e_mail_again(client, hr, smtp, leader):
    server, inbox = smtp
    email = outbox.queue(to=leader.user.email, subject="Prøve", body="Hej")
    email.status = STATUS.failed
    email.save()
    email.logs.create(status=STATUS.failed, message="Connection refused", exception_type="OSError")
    client.force_login(hr)
    page = client.get(reverse("admin:post_office_email_changelist"), {"state": STATUS.failed})
    assert [e.pk for e in page.context["cl"].result_list] == [email.pk]
    assert "Connection refused" in page.text
    assert "mislykkedes" in page.text  # the status, in Danish
    client.post(
        reverse("admin:post_office_email_changelist"),
        {"action": "send_again", "_selected_action": [email.pk]},
    )
    server.start()
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert out.getvalue().startswith("Sent 1 e-mails")
    assert [subject(m) for m in inbox.messages] == ["Prøve"]
    assert Email.objects.get().status == STATUS.sent


def test_attachments_wait_in_the_database_not_on_disk(leader, cohort, settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    from programme.models import OutboxFile

    (attachment,) = queued()[0].attachments.all()
    stored = OutboxFile.objects.get(name=attachment.file.name)
    assert bytes(stored.content).startswith(b"BEGIN:VCALENDAR")


def outbox_list_queries(client, hr, emails: int, django_assert_num_queries) -> None:
    for n in range(emails):
        outbox.queue(to=f"leder{n}@albertslund.dk", subject="Prøve", body="Hej")
    client.force_login(hr)
    # Session and user (with leader profile and roles); HR's permissions (user,
    # group); the count, and the count again for "of N"; the page's e-mails with their
    # last error (one subquery); the programme (header); saving the session
    # (savepoint, update, release).
    with django_assert_num_queries(10 + session_reads()):
        response = client.get(reverse("admin:post_office_email_changelist"))
    assert len(response.context["cl"].result_list) == emails


@pytest.mark.parametrize("emails", [5, 50])
def test_the_outbox_list_runs_11_queries_however_many_e_mails(
    client, hr, emails, django_assert_num_queries
):
    outbox_list_queries(client, hr, emails, django_assert_num_queries)
