"""E-mails arrive with the subject they were given and a Message-ID of the portal's host.

Sent through the outbox's worker to a real SMTP server (aiosmtpd on 127.0.0.1), and the
received bytes read as a modern mail reader reads them (``email.policy.default``).
Repro: a long Danish subject arrived as " Påmindelse: …" (folded so that its first line
was empty: readers show a leading space), and the Message-ID ended in ``@localhost``.
"""

from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller

from mail import outbox
from tests.servers.ports import free_port

LONG_SUBJECT = (
    "Påmindelse: dit fremmøde til mødegangen «Processer: Arbejdsgange og gevinster» på "
    "Hold 3 den 3. marts 2016 er ikke registreret – kontakt HR-udvikling"
)


class RawInbox:
    """What the SMTP server received, byte for byte."""

    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def inbox(settings):
    received = RawInbox()
    port = free_port()
    server = Controller(received, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT = 5
    settings.PORTAL_URL = "https://ledelse.albertslund.dk"
    server.start()
    yield received
    server.stop()


def received(inbox) -> list[email.message.EmailMessage]:
    assert outbox.send_queued().sent == len(outbox.Email.objects.all())
    return [email.message_from_bytes(raw, policy=policy.default) for raw in inbox.messages]


@pytest.mark.parametrize(
    "subject",
    [
        LONG_SUBJECT,
        "Du har fået en plads på Hold 1",
        "Velkommen til Digital ledelse: programmet for alle ledere i Albertslund Kommune "
        "2015–2016, hold 4, forår",
        "A plain English subject that is long enough to be folded over two lines by mail",
    ],
)
def test_a_subject_arrives_exactly_as_it_was_written(db, inbox, subject):
    outbox.queue(to="leder@albertslund.dk", subject=subject, body="Hej")
    (message,) = received(inbox)
    assert message["Subject"] == subject


def test_a_subject_arrives_intact_with_an_attachment_too(db, inbox):
    calendar_file = outbox.Attachment("mødegang.ics", "BEGIN:VCALENDAR\r\n", "text/calendar")
    outbox.queue(
        to="leder@albertslund.dk", subject=LONG_SUBJECT, body="Hej", attachments=[calendar_file]
    )
    (message,) = received(inbox)
    assert message["Subject"] == LONG_SUBJECT
    assert [part.get_filename() for part in message.iter_attachments()] == ["mødegang.ics"]


def test_the_message_id_names_the_portals_host_and_survives_a_retry(db, inbox):
    queued = outbox.queue(to="leder@albertslund.dk", subject="Hej", body="Hej")
    (message,) = received(inbox)
    assert message["Message-ID"].endswith("@ledelse.albertslund.dk>")
    assert message["Message-ID"] == queued.message_id
