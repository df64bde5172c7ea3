"""E-mails to leaders about their places and make-up seats, queued in the outbox.

:func:`queue_booking_email` is called by :mod:`booking` inside the booking's
transaction: the e-mail is written with the change and rolls back with it. Subject
and body are rendered now, from HR's texts (:mod:`mail.emails`), so an e-mail
about a make-up seat that is then deleted still describes it. The e-mails are in the
portal's language, not that of whoever caused them: a promotion is set off by another
leader's cancellation, and no language is kept per person.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mail import emails, outbox
from mail.models import EmailText
from programme import clock
from programme.calendar import CANCEL, build_calendar
from programme.models import (
    AbsenceNotice,
    Cohort,
    Enrolment,
    Leader,
    MakeUpBooking,
    Programme,
    Session,
)

Kind = EmailText.Kind
ICS = "text/calendar"
CALENDAR_FILE = "digital-ledelse.ics"
# The cancellation of the sessions of a place left for another (a leader moved by HR).
CANCELLED_FILE = "digital-ledelse-aflyst.ics"
# Only a seat comes with the sessions for the calendar.
WITH_CALENDAR = {Kind.ENROLLED, Kind.PROMOTED}
# The page each e-mail leads to.
LINKS = {
    Kind.ENROLLED: "dashboard:dashboard",
    Kind.WAITLISTED: "dashboard:dashboard",
    Kind.PROMOTED: "dashboard:dashboard",
    Kind.CANCELLED: "dashboard:cohort_list",
    Kind.WAITLIST_CLOSED: "dashboard:cohort_list",
    Kind.MAKEUP_BOOKED: "dashboard:dashboard",
    Kind.MAKEUP_CANCELLED: "dashboard:dashboard",
    Kind.SESSION_CHANGED: "dashboard:dashboard",
    Kind.SESSION_CANCELLED: "dashboard:dashboard",
    Kind.COLLABORATION: "outcomes:catalogue",
    Kind.MANAGER_DIGEST: "managers:team",
    Kind.APPROVAL_REQUESTED: "managers:approvals",
    Kind.APPROVAL_REMINDER: "managers:approvals",
    Kind.APPROVAL_DECLINED: "dashboard:cohort_list",
    Kind.ABSENCE_APPROVED: "dashboard:dashboard",
    Kind.ABSENCE_DECLINED: "dashboard:dashboard",
}


def portal_link(name: str, *args) -> str:
    """The absolute address of one of the portal's pages (``PORTAL_URL``)."""
    return settings.PORTAL_URL + reverse(name, args=args)


def when(session: Session) -> str:
    """ "tirsdag 9. februar 2016, 09:00–15:00" in the active language."""
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    return (
        f"{formats.date_format(start, 'l')} {formats.date_format(start, 'DATE_FORMAT')}, "
        f"{start:%H:%M}–{end:%H:%M}"
    )


def session_lines(sessions: list[Session]) -> str:
    return "\n".join(f"- {when(s)}: {s.module.title}, {s.location.full_address}" for s in sessions)


def open_cohort_lines(programme: Programme, *, today: dt.date, with_free_seats: bool) -> str:
    """The programme's cohorts still open for enrolment, one a line; a sentence if none."""
    cohorts = (
        Cohort.objects.filter(programme=programme, enrolment_deadline__gte=today)
        .with_seats()
        .order_by("enrolment_deadline", "name")
    )
    lines = []
    now = clock.now()
    for cohort in cohorts:
        free = max(cohort.capacity - cohort.seats_taken, 0)
        if with_free_seats and free == 0:
            continue
        if free == 0 and cohort.has_started(now):
            continue  # full and begun: its waitlist is closed
        deadline = formats.date_format(cohort.enrolment_deadline, "DATE_FORMAT")
        lines.append(
            "- "
            + ngettext("%(cohort)s: %(free)s free seat", "%(cohort)s: %(free)s free seats", free)
            % {"cohort": cohort.name, "free": free}
            + ", "
            + _("enrol by %(deadline)s") % {"deadline": deadline}
        )
    if not lines:
        return "- " + _("none at the moment; please contact HR, who will find you a place.")
    return "\n".join(lines)


def queue_booking_email(
    kind: str,
    obj: Enrolment | MakeUpBooking,
    *,
    seat_ended: Enrolment | None = None,
) -> None:
    """Queue the e-mail about a place (Enrolment) or a make-up seat (MakeUpBooking).

    ``seat_ended``: a seat that ended with this change (a cancelled place, or the place
    a moved leader left): the e-mail carries the cancellation of its sessions still to
    come (METHOD:CANCEL), which removes them from the leader's calendar.
    """
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(obj, MakeUpBooking):
            _queue_makeup(kind, obj)
        else:
            _queue_enrolment(kind, obj, seat_ended)


def _cancellation(seat: Enrolment, leader: Leader, programme: Programme) -> bytes | None:
    """The cancellation of the seat's sessions still to come; None if there are none."""
    sessions = list(
        Session.objects.filter(cohort=seat.cohort_id, ends_at__gt=clock.now())
        .select_related("module", "cohort", "location", "facilitator")
        .order_by("starts_at")
    )
    if not sessions:
        return None
    return build_calendar(
        sessions, name=programme.name, method=CANCEL, attendee=(leader.name, leader.user.email)
    )


def _queue_enrolment(kind: str, enrolment: Enrolment, seat_ended: Enrolment | None) -> None:
    enrolment = Enrolment.objects.select_related("leader__user", "cohort__programme").get(
        pk=enrolment.pk
    )
    cohort = enrolment.cohort
    sessions = list(
        cohort.sessions.select_related("module", "cohort", "location", "facilitator").order_by(
            "starts_at"
        )
    )
    values = {
        "name": enrolment.leader.name,
        "cohort": cohort.name,
        "programme": cohort.programme.name,
        "sessions": session_lines(sessions),
        "link": portal_link(LINKS[kind]),
    }
    if kind == Kind.WAITLIST_CLOSED:
        values["open_cohorts"] = open_cohort_lines(
            cohort.programme, today=clock.today(), with_free_seats=True
        )
    subject, body = emails.render(kind, values)
    attachments = []
    if kind in WITH_CALENDAR and sessions:
        calendar = build_calendar(sessions, name=cohort.programme.name)
        attachments.append(outbox.Attachment(CALENDAR_FILE, calendar, ICS))
    if seat_ended is not None:
        cancellation = _cancellation(seat_ended, enrolment.leader, cohort.programme)
        if cancellation is not None:
            name = CANCELLED_FILE if attachments else CALENDAR_FILE
            attachments.append(outbox.Attachment(name, cancellation, f"{ICS}; method={CANCEL}"))
    outbox.queue(
        to=enrolment.leader.user.email, subject=subject, body=body, attachments=attachments
    )


def _queue_makeup(kind: str, booking: MakeUpBooking) -> None:
    session = Session.objects.select_related(
        "module__programme", "cohort", "location", "facilitator"
    ).get(pk=booking.session_id)
    leader = booking.leader
    subject, body = emails.render(kind, _session_values(kind, session, leader))
    cancelled = kind == Kind.MAKEUP_CANCELLED
    calendar = build_calendar(
        [session],
        name=session.module.programme.name,
        cancelled=cancelled,
        attendee=(leader.name, leader.user.email),
    )
    mimetype = f"{ICS}; method={CANCEL}" if cancelled else ICS
    outbox.queue(
        to=leader.user.email,
        subject=subject,
        body=body,
        attachments=[outbox.Attachment(CALENDAR_FILE, calendar, mimetype)],
    )


def _session_values(kind: str, session: Session, leader: Leader) -> dict[str, str]:
    return {
        "name": leader.name,
        "programme": session.module.programme.name,
        "module": session.module.title,
        "cohort": session.cohort.name,
        "when": when(session),
        "location": session.location.full_address,
        "link": portal_link(LINKS[kind]),
    }


def queue_absence_answer(notice: AbsenceNotice) -> None:
    """Tell the leader that their absence reported in advance is approved (then they are
    recorded excused, and a make-up seat is theirs to book) or declined."""
    approved = notice.state == AbsenceNotice.State.APPROVED
    kind = Kind.ABSENCE_APPROVED if approved else Kind.ABSENCE_DECLINED
    session = Session.objects.select_related("module__programme", "cohort", "location").get(
        pk=notice.session_id
    )
    leader = Leader.objects.select_related("user").get(pk=notice.leader_id)
    subject, body = emails.render(kind, _session_values(kind, session, leader))
    outbox.queue(to=leader.user.email, subject=subject, body=body)


def preview_values(kind: str) -> dict[str, str]:
    """Every placeholder of ``kind`` filled in from a real leader, cohort and session.

    For HR's preview in the admin: the first current leader by name, their cohort
    (or the programme's first), and its first session. Placeholders that need data
    the portal does not hold yet keep an example.
    """
    leader = (
        Leader.objects.filter(anonymised_at__isnull=True)
        .select_related("user", "department")
        .order_by("name", "pk")
        .first()
    )
    programme = Programme.current()
    enrolment = (
        Enrolment.objects.filter(leader=leader, status__in=Enrolment.ACTIVE)
        .select_related("cohort")
        .first()
        if leader
        else None
    )
    cohort = enrolment.cohort if enrolment else Cohort.objects.filter(programme=programme).first()
    sessions = (
        list(
            cohort.sessions.select_related("module", "cohort", "location", "facilitator").order_by(
                "starts_at"
            )
        )
        if cohort
        else []
    )
    session = sessions[0] if sessions else None
    values = {
        "name": leader.name if leader else "Åse Lærkesen",
        "email": leader.user.email if leader else "aase.laerkesen@albertslund.dk",
        "programme": programme.name if programme else _("Digital leadership"),
        "cohort": cohort.name if cohort else "Hold 1",
        "sessions": session_lines(sessions),
        "open_cohorts": (
            open_cohort_lines(programme, today=clock.today(), with_free_seats=True)
            if programme
            else ""
        ),
        "module": session.module.title if session else "Kick-off",
        "when": when(session) if session else "",
        "date": timezone.localtime(session.starts_at).strftime("%d.%m.%Y") if session else "",
        "location": session.location.full_address if session else "",
        # A moved session's time and place before: the session as it is, for the preview.
        "before": f"{when(session)}, {session.location.full_address}" if session else "",
        "makeup_note": "",
        "valid_days": str(settings.INVITATION_VALID_DAYS),
        "button": emails.sso_button_label(),
        "link": portal_link(LINKS.get(kind, "dashboard:dashboard")),
        # "Vil samarbejde": the leader as the one who shared, an example as the other.
        "initiative": "Digital post til forældre",
        "owner": leader.name if leader else "Åse Lærkesen",
        "owner_department": leader.department.name if leader else "Center for Økonomi",
        "owner_email": leader.user.email if leader else "aase.laerkesen@albertslund.dk",
        "collaborator": "Bodil Bæk",
        "collaborator_department": "Center for Børn og Familier",
        "collaborator_email": "bodil.baek@albertslund.dk",
        # A request for a place: the leader as the one asking, an example reason.
        "leader": leader.name if leader else "Åse Lærkesen",
        "department": leader.department.name if leader else "Center for Økonomi",
        "requested": formats.date_format(clock.today(), "DATE_FORMAT"),
        "days": str(settings.APPROVAL_REMINDER_DAYS),
        "reason": _("The team cannot spare you in that period; choose a later cohort."),
        # An evaluation: open for EVALUATION_OPEN_DAYS after the session (evaluations.rules).
        "closes": (
            formats.date_format(
                timezone.localtime(session.ends_at)
                + dt.timedelta(days=settings.EVALUATION_OPEN_DAYS)
            )
            if session
            else ""
        ),
    }
    # HR's contact is filled in by emails.render, as for every e-mail.
    return {name: values[name] for name in emails.PLACEHOLDERS[kind] if name in values}
