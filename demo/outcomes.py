"""What the demo's leaders got by ``as_of``: a kursusbevis for everyone who completed,
reminders through the portal's own paths, and what the outbox worker made of their
e-mails (sent, refused for good, waiting)."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from post_office.models import STATUS, Email, Log

from demo.data import DEPARTMENTS, HR_EMAIL
from mail import outbox, reminders
from mail.models import SentReminder
from programme.models import Certificate, Leader, Programme, Standing, User
from programme.progress import annotate_progress, registration_due

CERTIFICATE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _certificates(programme: Programme, as_of: dt.datetime) -> int:
    """A kursusbevis for everyone who completed by ``as_of``, as ``certificates.issue``
    gives it (the completion date from the stored standing), with a code drawn from a
    generator of its own so the rest of the demo stays the same."""
    rng = random.Random(2016)
    done = (
        Standing.objects.filter(programme=programme, completed_at__lte=as_of)
        .exclude(leader__certificates__programme=programme)
        .order_by("leader_id")
    )
    issued = [
        Certificate(
            leader_id=standing.leader_id,
            programme=programme,
            code="".join(rng.choices(CERTIFICATE_ALPHABET, k=16)),
            completed_on=timezone.localdate(standing.completed_at),
            # Downloaded from the dashboard within a week of the registration.
            issued_at=min(
                registration_due(standing.completed_at) + dt.timedelta(days=2),
                as_of - dt.timedelta(minutes=1),
            ),
        )
        for standing in done
    ]
    return len(Certificate.objects.bulk_create(issued, batch_size=2000, ignore_conflicts=True))


# How the demo's e-mails went: the mail server refused these many addresses for good.
REFUSED = 2
REFUSED_ERROR = "(550, b'5.1.1 Recipient address rejected: User unknown in virtual mailbox table')"
BEHIND_REMINDED = 10


def _reminders_and_outbox(programme: Programme, as_of: dt.datetime) -> int:
    """Reminders through the portal's own paths, and what the worker made of their e-mails.

    The daily job (``send_reminders``) ran a week before ``as_of``: session reminders and
    "not enrolled yet"; the worker sent them a minute later, except to ``REFUSED``
    addresses the mail server refused, failed after every retry. At ``as_of`` HR pressed
    "Send påmindelse" for leaders who are behind: those e-mails wait for the worker.
    Only the municipality's own centres are reminded, so a national demo stays quick.
    Returns how many e-mails were queued.
    """
    centres = Leader.objects.filter(department__code__in=[code for code, _ in DEPARTMENTS])
    daily = as_of - dt.timedelta(days=7)
    before = Email.objects.aggregate(last=Max("pk"))["last"] or 0
    reminders.send_reminders(days=reminders.DEFAULT_DAYS, now=daily, leaders=centres)
    queued = list(Email.objects.filter(pk__gt=before).order_by("pk"))
    _sent_by_the_worker(queued[: len(queued) - REFUSED], daily)
    _refused_by_the_server(queued[len(queued) - REFUSED :], daily)
    before = max([before] + [email.pk for email in queued])
    behind = annotate_progress(centres, programme, now=as_of).filter(is_behind=True)
    reminders.remind_by_hand(
        leaders=behind.filter(
            pk__in=list(behind.order_by("pk").values_list("pk", flat=True)[:BEHIND_REMINDED])
        ),
        kind=SentReminder.Kind.BEHIND,
        programme=programme,
        by=User.objects.get(email=HR_EMAIL),
        now=as_of,
    )
    waiting = Email.objects.filter(pk__gt=before)
    waiting.update(created=as_of, last_updated=as_of)
    return len(queued) + waiting.count()


def _sent_by_the_worker(emails: list[Email], queued_at: dt.datetime) -> None:
    sent_at = queued_at + dt.timedelta(minutes=1)
    Email.objects.filter(pk__in=[e.pk for e in emails]).update(
        status=STATUS.sent, created=queued_at, last_updated=sent_at
    )
    Log.objects.bulk_create(Log(email=e, status=STATUS.sent, message="") for e in emails)
    Log.objects.filter(email__in=emails).update(date=sent_at)


def _refused_by_the_server(emails: list[Email], queued_at: dt.datetime) -> None:
    """Tried, and retried after 1, 2, 4, ... minutes, until marked failed for HR."""
    retries = settings.OUTBOX_MAX_RETRIES
    tried_at = [queued_at + dt.timedelta(minutes=1)]
    for n in range(1, retries + 1):
        tried_at.append(tried_at[-1] + outbox.retry_delay(n))
    for email in emails:
        Email.objects.filter(pk=email.pk).update(
            status=STATUS.failed,
            number_of_retries=retries,
            created=queued_at,
            last_updated=tried_at[-1],
        )
        logs = Log.objects.bulk_create(
            Log(
                email=email,
                status=STATUS.failed,
                exception_type="SMTPRecipientsRefused",
                message=REFUSED_ERROR,
            )
            for _ in tried_at
        )
        for log, moment in zip(logs, tried_at, strict=True):
            Log.objects.filter(pk=log.pk).update(date=moment)
