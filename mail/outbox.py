"""The outbox: every e-mail is queued in the database and sent by a worker.

:func:`queue` writes the e-mail (django-post-office's ``Email`` row, with its
attachments) in the caller's transaction: a change that rolls back takes its
e-mails with it, and a change that commits has them waiting, whether or not the
mail server answers. :func:`send_queued` is the worker (``manage.py send_outbox``):
it sends what is due, retries a failed send after 1, 2, 4, ... minutes
(``OUTBOX_RETRY_MINUTES``, doubled each time) up to ``OUTBOX_MAX_RETRIES`` times, and
then marks it failed, which HR sees in the admin with the error and can send again.
A mail server that accepts the connection and never answers counts as a failed send
after ``EMAIL_TIMEOUT`` seconds, so no run waits for ever or keeps the workers' lock.

The rows are created directly rather than through ``post_office.mail.send``, which
runs subject and body through Django's template engine: a text we have already
filled in must go out exactly as it is.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from post_office import mail as post_office_mail
from post_office.models import STATUS, Email
from post_office.utils import create_attachments

# Any number that no other code uses for a PostgreSQL advisory lock.
WORKER_LOCK = 0x0B0C5


@dataclass
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


def queue(*, to: str, subject: str, body: str, attachments: list[Attachment] | tuple = ()) -> Email:
    """Queue one plain-text e-mail in the current transaction."""
    email = Email.objects.create(
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        subject=subject,
        message=body,
        status=STATUS.queued,
        priority=post_office_mail.PRIORITY.medium,
        # Named by the portal's own host, not the sending machine's (often "localhost");
        # kept with the e-mail, so a retry is the same message.
        message_id=make_msgid(domain=urlsplit(settings.PORTAL_URL).hostname or None),
    )
    if attachments:
        files = {
            a.filename: {
                "file": ContentFile(
                    a.content.encode("utf-8") if isinstance(a.content, str) else a.content
                ),
                "mimetype": a.mimetype,
            }
            for a in attachments
        }
        email.attachments.add(*create_attachments(files))
    return email


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    busy: bool = False


@contextmanager
def _only_worker():
    """One worker at a time across every machine: a PostgreSQL advisory lock.

    (django-post-office's own lock is a file on one machine's disk.) SQLite is one
    file on one machine and serialises writers itself.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [WORKER_LOCK])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WORKER_LOCK])


def retry_delay(retries: int) -> dt.timedelta:
    """How long to wait before the ``retries``-th retry: 1, 2, 4, 8, ... minutes."""
    return dt.timedelta(minutes=settings.OUTBOX_RETRY_MINUTES * 2 ** max(retries - 1, 0))


def send_queued() -> SendSummary:
    """Send every e-mail that is due; back off the ones that failed."""
    with _only_worker() as acquired:
        if not acquired:
            return SendSummary(busy=True)
        started = timezone.now()
        sent, failed, retrying = post_office_mail.send_queued(processes=1)
        # django-post-office waits a fixed RETRY_INTERVAL; wait longer after each failure.
        for email in Email.objects.filter(status=STATUS.requeued, last_updated__gte=started):
            email.scheduled_time = email.last_updated + retry_delay(email.number_of_retries or 1)
            email.save(update_fields=["scheduled_time"])
    return SendSummary(sent=sent, retrying=retrying, failed=failed)


def send_again(emails) -> int:
    """HR's "send again": failed (or waiting) e-mails go back in the queue, due now."""
    return emails.exclude(status=STATUS.sent).update(
        status=STATUS.queued, scheduled_time=None, number_of_retries=0
    )
