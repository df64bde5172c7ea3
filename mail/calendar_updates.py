"""Calendars that follow changes: when a session's time or room changes, or the session
is deleted or moved away from a cohort, every leader holding it is sent an update of
their calendar's entry, queued in the outbox in the same transaction as the change.

A leader *holds* a session when they have a seat in its cohort or a make-up seat at it.
The update replaces the entry (the same ``UID``, the session's raised ``SEQUENCE``,
``METHOD:REQUEST``); a session deleted, or moved to another cohort, is cancelled
(``METHOD:CANCEL``, the same ``UID``) for those who no longer hold it. The sequence is
raised by the model itself (``Session.save`` and the sessions' bulk ``update``), which
then sends :data:`programme.models.session_rescheduled`; the receivers here are
connected by the app (``MailConfig.ready``). A session that had ended before the change
and still has is history: nobody is told.

The e-mails are in the portal's language, like the booking e-mails
(:mod:`mail.notifications`); HR words them (``session_changed``,
``session_cancelled``).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import translation

from mail import emails, outbox
from mail.models import EmailText
from mail.notifications import CALENDAR_FILE, portal_link, when
from programme import calendar, clock
from programme.models import Enrolment, Leader, Location, Session, session_rescheduled

Kind = EmailText.Kind


def holders(*, cohort_id: int | None, session_id: int | None = None) -> list[Leader]:
    """The leaders with a seat in the cohort, and those with a make-up seat at the
    session; only leaders still with the municipality, by name."""
    held = Q(
        enrolments__cohort=cohort_id,
        enrolments__status=Enrolment.Status.ENROLLED,
    )
    if session_id is not None:
        held |= Q(makeups__session=session_id)
    return list(
        Leader.objects.filter(held)
        .filter(Leader.here_on(clock.today()))
        .select_related("user")
        .distinct()
        .order_by("name", "pk")
    )


def _session(pk: int) -> Session:
    return Session.objects.select_related(
        "module__programme", "cohort", "location", "facilitator"
    ).get(pk=pk)


def _values(leader: Leader, session: Session) -> dict[str, str]:
    return {
        "name": leader.name,
        "programme": session.module.programme.name,
        "module": session.module.title,
        "cohort": session.cohort.name,
        "when": when(session),
        "location": session.location.full_address,
        "link": portal_link("dashboard:dashboard"),
    }


def _queue(kind: str, method: str, leader: Leader, session: Session, values: dict, text) -> None:
    subject, body = emails.render(kind, values, text=text)
    content = calendar.build_calendar(
        [session],
        name=session.module.programme.name,
        method=method,
        attendee=(leader.name, leader.user.email),
    )
    outbox.queue(
        to=leader.user.email,
        subject=subject,
        body=body,
        attachments=[outbox.Attachment(CALENDAR_FILE, content, f"text/calendar; method={method}")],
    )


def _before(session: Session, previous: dict) -> str:
    """When and where the session was, before the change."""
    old = Session(
        starts_at=previous["starts_at"],
        ends_at=previous["ends_at"],
        location_id=previous["location_id"],
    )
    place = (
        session.location
        if previous["location_id"] == session.location_id
        else Location.objects.get(pk=previous["location_id"])
    )
    return f"{when(old)}, {place.full_address}"


def _is_history(*ends) -> bool:
    return max(ends) <= clock.now()


def send_updates(session: Session, previous: dict) -> None:
    """The update to every leader holding ``session`` now, and a cancellation to those
    who held it before the change (its old cohort) and no longer do."""
    if _is_history(session.ends_at, previous["ends_at"]):
        return
    session = _session(session.pk)
    now_holding = holders(cohort_id=session.cohort_id, session_id=session.pk)
    before = []
    if previous["cohort_id"] != session.cohort_id:
        held = {leader.pk for leader in now_holding}
        before = [
            leader for leader in holders(cohort_id=previous["cohort_id"]) if leader.pk not in held
        ]
    with translation.override(settings.LANGUAGE_CODE):
        if now_holding:
            text = emails.text_for(Kind.SESSION_CHANGED)
            was = _before(session, previous)
            for leader in now_holding:
                values = {**_values(leader, session), "before": was}
                _queue(Kind.SESSION_CHANGED, calendar.REQUEST, leader, session, values, text)
        if before:
            send_cancellations(session, before)


def send_cancellations(session: Session, leaders: list[Leader]) -> None:
    """A cancellation of the session's entry to each of ``leaders``."""
    if not leaders or _is_history(session.ends_at):
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = emails.text_for(Kind.SESSION_CANCELLED)
        for leader in leaders:
            _queue(
                Kind.SESSION_CANCELLED,
                calendar.CANCEL,
                leader,
                session,
                _values(leader, session),
                text,
            )


@receiver(session_rescheduled, sender=Session, dispatch_uid="mail.calendar_updates.moved")
def session_moved(sender, sessions, previous, **kwargs) -> None:
    for session in sessions:
        send_updates(session, previous[session.pk])


@receiver(post_delete, sender=Session, dispatch_uid="mail.calendar_updates.deleted")
def session_deleted(sender, instance: Session, **kwargs) -> None:
    # A session with make-up seats cannot be deleted (the database protects them): its
    # holders are its cohort's seated leaders, still there while the session goes.
    send_cancellations(instance, holders(cohort_id=instance.cohort_id))
