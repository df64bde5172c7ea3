"""Attendance in the room: the rotating check-in code, self check-in, the facilitator's
marks and closing a session.

The code is derived, not stored: an HMAC of the session and the current period
(``CHECKIN_CODE_SECONDS``) under the portal's secret key, so every web process
computes the same code and nothing has to be cleaned up. A code is accepted during
its own period and the next (a phone scanned just before the screen changed), and
only from ``CHECKIN_OPENS_MINUTES`` before the session starts until it ends, and
never after the facilitator closed it. Every write goes through
:func:`record`, which writes the attendance the way HR's sheet does (with history,
and the standings refreshed), noting where it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from programme import clock, page_versions
from programme.attendance import expected_leaders, expected_leaders_q
from programme.models import Attendance, Leader, Session, User
from programme.progress import refresh_standings

# No 0/O or 1/I/L: the short code is typed from a screen across the room.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class CheckInError(Exception):
    """A check-in the rules refuse; the message is shown to the person who tried."""


def period_seconds() -> int:
    return settings.CHECKIN_CODE_SECONDS


def opens_at(session: Session) -> dt.datetime:
    return session.starts_at - dt.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)


def is_open(session: Session, now: dt.datetime) -> bool:
    """The code can be used: from shortly before the start until the end, unless closed."""
    return session.closed_at is None and opens_at(session) <= now < session.ends_at


def _period(now: dt.datetime) -> int:
    return int(now.timestamp()) // period_seconds()


def _code(session_id: int, period: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"check-in:{session_id}:{period}".encode(), hashlib.sha256
    ).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:CODE_LENGTH])


def current_code(session: Session, now: dt.datetime) -> str:
    return _code(session.pk, _period(now))


def seconds_left(now: dt.datetime) -> int:
    """Until the code on the screen changes."""
    return period_seconds() - int(now.timestamp()) % period_seconds()


def normalise(code: str) -> str:
    return "".join(code.split()).upper()[:20]


def session_for_code(code: str, now: dt.datetime) -> Session:
    """The open session whose code this is now (or was in the period before).

    Only sessions open for check-in at ``now`` are considered: a handful at most.
    """
    code = normalise(code)
    window = dt.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    candidates = Session.objects.filter(
        starts_at__lte=now + window, ends_at__gt=now, closed_at__isnull=True
    ).select_related("module", "cohort", "location")
    period = _period(now)
    for session in candidates:
        for p in (period, period - 1):
            if hmac.compare_digest(_code(session.pk, p), code):
                return session
    raise CheckInError(
        _(
            "The code is wrong or has expired. Codes change every %(seconds)s seconds and "
            "work only from %(minutes)s minutes before a session starts until it ends. "
            "Scan the code on the screen again, or ask the facilitator."
        )
        % {"seconds": period_seconds(), "minutes": settings.CHECKIN_OPENS_MINUTES}
    )


def status_at(session: Session, now: dt.datetime) -> str:
    """Present, or late after ``CHECKIN_LATE_MINUTES`` past the start."""
    late = session.starts_at + dt.timedelta(minutes=settings.CHECKIN_LATE_MINUTES)
    return Attendance.Status.LATE if now > late else Attendance.Status.PRESENT


@dataclass
class CheckIn:
    session: Session
    attendance: Attendance


@transaction.atomic
def record(
    *,
    session: Session,
    leader: Leader,
    by: User,
    source: str,
    now: dt.datetime | None = None,
) -> CheckIn:
    """Check one leader in: present (or late), with who, when and the source.

    Locks the session like HR's sheet, so a check-in and a saved sheet queue up.
    Refused for a leader not expected (no seat in the cohort, no make-up seat), a
    second check-in, or a session not open for check-in. An "excused" recorded in
    advance gives way: the leader came after all.
    """
    now = now or clock.now()
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("module__programme", "cohort")
        .get(pk=session.pk)
    )
    if not is_open(session, now):
        raise CheckInError(
            _("Check-in to %(module)s is closed.") % {"module": session.module.title}
        )
    if not Leader.objects.filter(expected_leaders_q(session), pk=leader.pk).exists():
        raise CheckInError(
            _(
                "You are not expected at %(module)s with %(cohort)s: you have no seat in the "
                "cohort and no make-up seat at this session. Speak to the facilitator."
            )
            % {"module": session.module.title, "cohort": session.cohort.name}
        )
    status = status_at(session, now)
    existing = Attendance.objects.select_for_update().filter(session=session, leader=leader).first()
    if existing is not None and existing.status != Attendance.Status.EXCUSED:
        raise CheckInError(
            _("%(leader)s is already checked in to %(module)s (%(status)s).")
            % {
                "leader": leader.name,
                "module": session.module.title,
                "status": existing.get_status_display(),
            }
        )
    attendance = existing or Attendance(session=session, leader=leader)
    attendance.status, attendance.recorded_by, attendance.recorded_at = status, by, now
    attendance.source = source
    attendance._history_user = by
    # A single save: the history records it and the signals refresh the standing.
    attendance.save()
    return CheckIn(session=session, attendance=attendance)


@dataclass
class Closed:
    absent: int
    already_recorded: int


@transaction.atomic
def close_session(*, session: Session, by: User, now: dt.datetime | None = None) -> Closed:
    """The facilitator closes the session: everyone expected and not checked in is
    recorded absent (anyone recorded excused stays so); check-in ends."""
    now = now or clock.now()
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("module__programme")
        .get(pk=session.pk)
    )
    if session.starts_at > now:
        raise CheckInError(_("The session has not started yet, so it cannot be closed."))
    if session.closed_at is not None:
        raise CheckInError(_("The session is already closed."))
    recorded = set(session.attendances.values_list("leader_id", flat=True))
    missing = [leader for leader in expected_leaders(session) if leader.pk not in recorded]
    rows = [
        Attendance(
            leader=leader,
            session=session,
            status=Attendance.Status.ABSENT,
            recorded_by=by,
            recorded_at=now,
            source=Attendance.Source.CLOSED,
        )
        for leader in missing
    ]
    if rows:
        # The bulk writes replace their kept pages' versions themselves; in one statement.
        with page_versions.batch():
            bulk_create_with_history(rows, Attendance, default_user=by, default_date=now)
            # Bulk writes send no signals: bring the standings up to date ourselves.
            refresh_standings(session.module.programme, [leader.pk for leader in missing])
    session.closed_at = now
    session.save(update_fields=["closed_at"])
    return Closed(absent=len(rows), already_recorded=len(recorded))


def screen_rows(session: Session) -> list[tuple[Leader, Attendance | None]]:
    """Who is expected (and anyone recorded), with what is recorded: two queries."""
    recorded = {a.leader_id: a for a in session.attendances.order_by()}
    return [(leader, recorded.get(leader.pk)) for leader in expected_leaders(session)]


def sessions_for(user: User):
    """The sessions a user may run the screen for: their own as facilitator; HR all."""
    sessions = Session.objects.select_related("module", "cohort", "location", "facilitator")
    if user.is_hr:
        return sessions
    return sessions.filter(facilitator__user=user)
