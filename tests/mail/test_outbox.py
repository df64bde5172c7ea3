"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): e-mails wait while the
server is down, each arrives exactly once when it is back, none for a rolled-back booking;
failures are retried with growing waits and then shown to HR, who can send them again."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import socket
import subprocess
import sys
import threading
import time
from email.header import decode_header, make_header
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

import booking
from mail import outbox
from tests.conftest import local, queued, session_reads
from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class Inbox(MessageHandler):
    """What the SMTP server received."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


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
    from mail.models import OutboxFile

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


# --- A mail server that accepts the connection and never answers --------------------


class MuteServer:
    """A mail relay that hung: it accepts every connection on 127.0.0.1 and says nothing.

    A real TCP peer (the kernel completes the handshake, we hold the socket open), so
    the worker meets exactly what the outside tester's stuck relay did.
    """

    def __init__(self):
        # Below the ephemeral range: the port is taken again later (answering_on).
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):  # closed already
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.held:
            conn.close()
        self.thread.join(timeout=5)


@pytest.fixture
def mute(settings):
    """The portal sends to a relay that never answers, and waits one second for it."""
    server = MuteServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_TIMEOUT = 1
    yield server
    server.close()


def answering_on(port: int) -> tuple[Controller, Inbox]:
    """The relay answers again, on the same port."""
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    return server, inbox


def worker_lock_is_free() -> bool:
    """Could another worker (another machine's cron) take the outbox's lock now?"""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as other:
        taken = other.execute("SELECT pg_try_advisory_lock(%s)", [outbox.WORKER_LOCK]).fetchone()[0]
        if taken:
            other.execute("SELECT pg_advisory_unlock(%s)", [outbox.WORKER_LOCK])
        return taken


def test_a_mail_server_that_never_answers_is_given_up_and_tried_again_later(mute, leader):
    outbox.queue(to=leader.user.email, subject="Prøve", body="Hej")
    started = time.monotonic()
    summary = outbox.send_queued()
    assert time.monotonic() - started < 5  # EMAIL_TIMEOUT (1 s), not for ever
    assert (summary.sent, summary.retrying, summary.failed) == (0, 1, 0)
    email = Email.objects.get()
    assert email.status == STATUS.requeued
    assert email.number_of_retries == 1
    wait = (email.scheduled_time - email.last_updated).total_seconds()
    assert round(wait / 60) == 1  # the retry schedule: 1, 2, 4, ... minutes
    assert "timed out" in email.logs.get(status=STATUS.failed).message

    mute.close()
    server, inbox = answering_on(mute.port)
    try:
        due_now()
        assert outbox.send_queued().sent == 1
    finally:
        server.stop()
    assert [subject(m) for m in inbox.messages] == ["Prøve"]
    assert Email.objects.get().status == STATUS.sent


def test_email_timeout_defaults_to_thirty_seconds():
    """A relay that never answers holds a worker at most this long per send."""
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT == 30


# --- The worker as the operator runs it: manage.py send_outbox, on PostgreSQL --------


def worker_environment(mute_port: int) -> dict[str, str]:
    """The worker's own process, against this test's database and the mute relay,
    configured only through its environment as in production."""
    params = connection.settings_dict
    url = (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_ENV"))}
    return {
        **env,
        "DATABASE_URL": url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mute_port),
        "EMAIL_TIMEOUT": "1",
        "PYTHONUNBUFFERED": "1",
    }


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_gives_up_a_stuck_send_frees_its_lock_and_the_next_run_sends(leader):
    server = MuteServer()
    try:
        outbox.queue(to=leader.user.email, subject="Prøve", body="Hej")
        env = worker_environment(server.port)
        command = [sys.executable, "manage.py", "send_outbox"]
        try:
            first = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
            )
        except subprocess.TimeoutExpired:
            pytest.fail("send_outbox still waited on the mute relay after 30 s")
        assert first.returncode == 0, first.stderr
        assert "Sent 0 e-mails; 1 will be retried" in first.stdout
        assert Email.objects.get().status == STATUS.requeued
        assert worker_lock_is_free()

        server.close()
        relay, inbox = answering_on(server.port)
        try:
            due_now()
            second = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
            )
        finally:
            relay.stop()
        assert "Sent 1 e-mails" in second.stdout, second.stdout + second.stderr
        assert [subject(m) for m in inbox.messages] == ["Prøve"]
    finally:
        server.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_looping_worker_carries_on_after_a_stuck_send(leader):
    server = MuteServer()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "send_outbox", "--loop", "--interval", "1"],
        cwd=ROOT,
        env=worker_environment(server.port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    relay = None
    try:
        outbox.queue(to=leader.user.email, subject="Prøve", body="Hej")
        requeued = lambda: Email.objects.get().status == STATUS.requeued  # noqa: E731
        assert wait_for(requeued, 20), "the loop never gave up the stuck send"
        assert wait_for(worker_lock_is_free, 10), "the loop kept the outbox's lock"

        server.close()
        relay, inbox = answering_on(server.port)
        due_now()
        sent = lambda: Email.objects.get().status == STATUS.sent  # noqa: E731
        assert wait_for(sent, 20), "the loop did not send once the relay answered"
        assert [subject(m) for m in inbox.messages] == ["Prøve"]
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
        server.close()
        if relay is not None:
            relay.stop()
    assert "1 will be retried" in output
