"""Reminder e-mails: a session in the coming days, or no place in the programme yet.

Used by the admin action and by ``manage.py send_reminders`` (cron). Each
reminder is sent once: its ``SentReminder`` row is inserted, under the
database's unique constraint, in the same transaction as the e-mail is queued in
the outbox (``mail.outbox``, whose worker sends it, retrying while the mail
server is down). A second process queuing the same reminder at the same moment
waits for that row and then skips.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mail import emails, outbox
from mail.models import EmailText, SentReminder
from mail.notifications import open_cohort_lines, portal_link, when
from programme import clock
from programme.models import Enrolment, Leader, MakeUpBooking, Programme, Session
from programme.progress import progress_from_stored

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 7


@dataclass
class Reminder:
    leader: Leader
    kind: str
    subject_key: str
    subject: str
    body: str


@dataclass
class ReminderSummary:
    sessions: int = 0
    not_enrolled: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def sent(self) -> int:
        return self.sessions + self.not_enrolled


def _current_leaders(leaders: QuerySet[Leader] | None, today: dt.date) -> QuerySet[Leader]:
    leaders = Leader.objects.all() if leaders is None else leaders
    return leaders.filter(Leader.here_on(today))


def _already_sent(kind: str, keys: Iterable[str]) -> set[tuple[int, str]]:
    return set(
        SentReminder.objects.filter(kind=kind, subject_key__in=set(keys)).values_list(
            "leader_id", "subject_key"
        )
    )


def session_reminders(
    *, days: int, now: dt.datetime, leaders: QuerySet[Leader] | None = None
) -> Iterator[Reminder]:
    """Leaders with a session (their cohort's or a make-up) starting in the coming ``days``."""
    sessions = list(
        Session.objects.filter(starts_at__gt=now, starts_at__lte=now + dt.timedelta(days=days))
        .select_related("module", "cohort", "location")
        .order_by("starts_at", "pk")
    )
    if not sessions:
        return
    allowed = _current_leaders(leaders, timezone.localdate(now))
    by_cohort: dict[int, list[Leader]] = {}
    for enrolment in Enrolment.objects.filter(
        cohort__in={s.cohort_id for s in sessions},
        status=Enrolment.Status.ENROLLED,
        leader__in=allowed,
    ).select_related("leader__user"):
        by_cohort.setdefault(enrolment.cohort_id, []).append(enrolment.leader)
    by_session: dict[int, list[Leader]] = {}
    for booking in MakeUpBooking.objects.filter(
        session__in=sessions, leader__in=allowed
    ).select_related("leader__user"):
        by_session.setdefault(booking.session_id, []).append(booking.leader)
    keys = {s.pk: f"session:{s.pk}" for s in sessions}
    sent = _already_sent(SentReminder.Kind.UPCOMING_SESSION, keys.values())
    text = emails.text_for(EmailText.Kind.REMINDER_SESSION)
    for session in sessions:
        attendees = [(leader, False) for leader in by_cohort.get(session.cohort_id, [])]
        attendees += [(leader, True) for leader in by_session.get(session.pk, [])]
        day = timezone.localdate(session.starts_at)
        for leader, is_makeup in attendees:
            if (leader.pk, keys[session.pk]) in sent or leader.has_left(day):
                continue  # reminded already, or gone by the session's day
            makeup_note = (
                _("You attend as a make-up with %(cohort)s.") % {"cohort": session.cohort.name}
                if is_makeup
                else ""
            )
            subject, body = emails.render(
                EmailText.Kind.REMINDER_SESSION,
                {
                    "name": leader.name,
                    "module": session.module.title,
                    "when": when(session),
                    "date": timezone.localtime(session.starts_at).strftime("%d.%m.%Y"),
                    "location": session.location.full_address,
                    "makeup_note": makeup_note,
                    "link": portal_link("dashboard:dashboard"),
                },
                text=text,
            )
            yield Reminder(
                leader=leader,
                kind=SentReminder.Kind.UPCOMING_SESSION,
                subject_key=keys[session.pk],
                subject=subject,
                body=body,
            )


def enrolment_reminders(
    *, programme: Programme, now: dt.datetime, leaders: QuerySet[Leader] | None = None
) -> Iterator[Reminder]:
    """Leaders with no seat or waitlist place in the programme (not those who are leaving)."""
    key = f"programme:{programme.pk}"
    placed = Enrolment.objects.filter(programme=programme, status__in=Enrolment.ACTIVE)
    candidates = (
        _current_leaders(leaders, timezone.localdate(now))
        .filter(left_on__isnull=True)
        .exclude(pk__in=placed.values("leader_id"))
        .exclude(reminders__kind=SentReminder.Kind.NOT_ENROLLED, reminders__subject_key=key)
        .select_related("user")
        .order_by("name", "pk")
    )
    open_cohorts = open_cohort_lines(
        programme, today=timezone.localdate(now), with_free_seats=False
    )
    text = emails.text_for(EmailText.Kind.REMINDER_NOT_ENROLLED)
    for leader in candidates:
        subject, body = emails.render(
            EmailText.Kind.REMINDER_NOT_ENROLLED,
            {
                "name": leader.name,
                "programme": programme.name,
                "open_cohorts": open_cohorts,
                "link": portal_link("dashboard:cohort_list"),
            },
            text=text,
        )
        yield Reminder(
            leader=leader,
            kind=SentReminder.Kind.NOT_ENROLLED,
            subject_key=key,
            subject=subject,
            body=body,
        )


def deliver(reminder: Reminder, *, now: dt.datetime) -> str:
    """Claim the reminder and queue it; returns "sent", "skipped" or "failed"."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(
                leader=reminder.leader,
                kind=reminder.kind,
                subject_key=reminder.subject_key,
                sent_at=now,
            )
            outbox.queue(
                to=reminder.leader.user.email, subject=reminder.subject, body=reminder.body
            )
    except IntegrityError:
        return "skipped"  # another process claimed it first
    except Exception:
        logger.exception(
            "Could not queue %s reminder to leader %s", reminder.kind, reminder.leader.pk
        )
        return "failed"
    return "sent"


def send_reminders(
    *,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
    leaders: QuerySet[Leader] | None = None,
) -> ReminderSummary:
    """Send what is due and not sent before; ``leaders`` narrows to a selection."""
    now = now or clock.now()
    summary = ReminderSummary()
    # Leaders read Danish, whatever language the caller (cron, an admin in English) uses.
    with translation.override(settings.LANGUAGE_CODE):
        due: list[tuple[str, Reminder]] = [
            ("sessions", r) for r in session_reminders(days=days, now=now, leaders=leaders)
        ]
        programme = Programme.current()
        if programme is not None and programme.ends_on >= timezone.localdate(now):
            due += [
                ("not_enrolled", r)
                for r in enrolment_reminders(programme=programme, now=now, leaders=leaders)
            ]
        for counter, reminder in due:
            outcome = deliver(reminder, now=now)
            if outcome == "sent":
                setattr(summary, counter, getattr(summary, counter) + 1)
            else:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
    return summary


# --- Reminders sent by hand from the compliance page ----------------------------------
#
# HR (every department) and managers (their own) press "Send reminder" for the leaders
# who are not enrolled or are behind. A leader is reminded of one kind at most once in
# REMINDER_INTERVAL_DAYS, whoever pressed and whether the daily job sent it: the leader
# rows are locked while the last reminders are read, so two people pressing at once
# cannot both send.


@dataclass
class ByHandSummary:
    sent: int = 0
    too_soon: int = 0


def _behind_values(leader: Leader, modules: list, now: dt.datetime, offers: dict) -> dict:
    progress = progress_from_stored(modules, leader.stored_modules, now)
    missed = [entry.module for entry in progress.modules if entry.behind]
    lines = [
        f"- {when(s)}: {s.module.title}, {s.cohort.name}"
        for m in missed
        for s in offers.get(m.pk, [])
    ]
    return {
        "modules": "\n".join(f"- {m.title}" for m in missed),
        "makeup_sessions": "\n".join(lines) or _("None at the moment: HR will contact you."),
        "link": portal_link("dashboard:cohort_list"),
    }


# The e-mail text each kind of reminder by hand is written from.
BY_HAND_TEXTS = {
    SentReminder.Kind.NOT_ENROLLED: EmailText.Kind.REMINDER_NOT_ENROLLED,
    SentReminder.Kind.BEHIND: EmailText.Kind.REMINDER_BEHIND,
}


def remind_by_hand(
    *,
    leaders: QuerySet[Leader],
    kind: str,
    programme: Programme,
    by,
    now: dt.datetime | None = None,
) -> ByHandSummary:
    """Queue a reminder of ``kind`` (not enrolled, behind) to each of ``leaders`` not
    reminded of it in the last ``REMINDER_INTERVAL_DAYS``; each recorded with who sent it.

    ``leaders`` comes from the report's own query (:func:`reports.rules.report_leaders`),
    so the caller's scope and the stored standings decide who may be reminded.
    """
    now = now or clock.now()
    since = now - dt.timedelta(days=settings.REMINDER_INTERVAL_DAYS)
    text_kind = BY_HAND_TEXTS[kind]
    summary = ByHandSummary()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        chosen, recent = _lock_chosen(leaders, kind, since)
        text = emails.text_for(text_kind)
        values_for = _by_hand_values(kind, programme, now)
        for leader in chosen:
            if leader.pk in recent:
                summary.too_soon += 1
                continue
            subject, body = emails.render(text_kind, values_for(leader), text=text)
            SentReminder.objects.create(
                leader=leader,
                kind=kind,
                subject_key=f"programme:{programme.pk}:{now:%Y%m%dT%H%M%S}",
                sent_at=now,
                sent_by=by,
            )
            outbox.queue(to=leader.user.email, subject=subject, body=body)
            summary.sent += 1
    return summary


def _lock_chosen(
    leaders: QuerySet[Leader], kind: str, since: dt.datetime
) -> tuple[list[Leader], set[int]]:
    """The chosen leaders, their rows locked, and which of them had ``kind`` since ``since``."""
    chosen = list(leaders.select_related("user").order_by("pk"))
    ids = [leader.pk for leader in chosen]
    list(Leader.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    recent = set(
        SentReminder.objects.filter(leader__in=ids, kind=kind, sent_at__gt=since).values_list(
            "leader_id", flat=True
        )
    )
    return chosen, recent


def _by_hand_values(kind: str, programme: Programme, now: dt.datetime) -> Callable[[Leader], dict]:
    """The placeholders' values for one leader, from what all the e-mails share."""
    shared = {"programme": programme.name}
    if kind == SentReminder.Kind.NOT_ENROLLED:
        shared["open_cohorts"] = open_cohort_lines(
            programme, today=timezone.localdate(now), with_free_seats=False
        )
        shared["link"] = portal_link("dashboard:cohort_list")
        return lambda leader: {**shared, "name": leader.name}
    modules = list(programme.modules.order_by("order"))
    offers = _makeup_offers(programme, now)
    return lambda leader: {
        **shared,
        "name": leader.name,
        **_behind_values(leader, modules, now, offers),
    }


def _makeup_offers(programme: Programme, now: dt.datetime) -> dict[int, list[Session]]:
    """The programme's coming sessions with a free seat, by module, soonest first."""
    offers: dict[int, list[Session]] = {}
    for session in (
        Session.objects.with_free_seats()
        .filter(module__programme=programme, starts_at__gt=now, free_seats__gt=0)
        .select_related("module", "cohort")
        .order_by("starts_at", "pk")
    ):
        offers.setdefault(session.module_id, []).append(session)
    return offers
