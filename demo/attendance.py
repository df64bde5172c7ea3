"""The demo's attendance: every session whose registration is due by ``as_of``, the
facilitator's sessions as the check-in screen records them, and make-ups for a third of
those who missed a session."""

from __future__ import annotations

import bisect
import datetime as dt
import random

from django.conf import settings
from django.db.models import F

import booking
from demo.data import (
    ATTENDANCE_CHUNK,
    ATTENDANCE_WEIGHTS,
    FACILITATOR_EMAIL,
    HR_EMAIL,
    MAKEUP_CANDIDATES,
)
from programme.models import (
    Attendance,
    Enrolment,
    Facilitator,
    Leader,
    MakeUpBooking,
    Programme,
    Session,
    User,
)
from programme.progress import registration_due


def _attendance(programme: Programme, as_of: dt.datetime, rng: random.Random) -> int:
    """Attendance for every session before ``as_of``, and make-ups for some who missed."""
    recorder = User.objects.get(email=HR_EMAIL)
    seated = Enrolment.objects.filter(
        programme=programme, status=Enrolment.Status.ENROLLED
    ).values_list("cohort_id", "leader_id")
    by_cohort: dict[int, list[int]] = {}
    for cohort_id, leader_id in seated:
        by_cohort.setdefault(cohort_id, []).append(leader_id)
    # Sessions whose registration is due: the ones HR has recorded by now.
    past = [
        session
        for session in Session.objects.filter(
            cohort__programme=programme, ends_at__lte=as_of
        ).order_by("starts_at", "pk")
        if registration_due(session.ends_at) <= as_of
    ]
    # The facilitator with a login ran her sessions with the check-in code.
    screen = Facilitator.objects.filter(user__email=FACILITATOR_EMAIL).first()
    screened = [s for s in past if screen is not None and s.facilitator_id == screen.pk]
    new, missed, created = _recorded(past, by_cohort, screen, screened, recorder, rng)
    new += _made_up(past, missed, recorder)
    new += _checked_in_so_far(programme, as_of, screen, by_cohort)
    Attendance.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    # She closed each session at its end (closing records the absent, above).
    Session.objects.filter(pk__in=[s.pk for s in screened], closed_at__isnull=True).update(
        closed_at=F("ends_at")
    )
    return created + len(new)


def _recorded(
    past: list[Session],
    by_cohort: dict[int, list[int]],
    screen: Facilitator | None,
    screened: list[Session],
    recorder: User,
    rng: random.Random,
) -> tuple[list[Attendance], list[tuple[int, Session]], int]:
    """Each seated leader's attendance at the past sessions, drawn by ``ATTENDANCE_WEIGHTS``:
    the rows not inserted yet, who missed which session, and how many were inserted (a
    chunk at a time)."""
    statuses = [s for s, _ in ATTENDANCE_WEIGHTS]
    weights = [w for _, w in ATTENDANCE_WEIGHTS]
    recorded = set(
        Attendance.objects.filter(session__in=past).values_list("leader_id", "session_id")
    )
    users = dict(
        Leader.objects.filter(
            pk__in=[pk for s in screened for pk in by_cohort.get(s.cohort_id, [])]
        ).values_list("pk", "user_id")
    )
    new, missed, created = [], [], 0
    for session in past:
        for k, leader_id in enumerate(sorted(by_cohort.get(session.cohort_id, []))):
            if (leader_id, session.pk) in recorded:
                continue
            status = rng.choices(statuses, weights)[0]
            attendance = Attendance(
                leader_id=leader_id,
                session=session,
                status=status,
                recorded_by=recorder,
                recorded_at=session.ends_at,
            )
            if session.facilitator_id == getattr(screen, "pk", None):
                _as_checked_in(attendance, k, by_leader=users[leader_id], by_facilitator=screen)
            new.append(attendance)
            if status not in Attendance.COMPLETING:
                missed.append((leader_id, session))
            if len(new) == ATTENDANCE_CHUNK:
                Attendance.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
                created += len(new)
                new = []
    return new, missed, created


def _made_up(
    past: list[Session], missed: list[tuple[int, Session]], recorder: User
) -> list[Attendance]:
    """A third of those who missed a session made it up at a later one of another cohort,
    where a seat was free (booking takes the first of a few candidates with room)."""
    later: dict[int, list[Session]] = {}
    for session in past:
        later.setdefault(session.module_id, []).append(session)
    starts = {module: [s.starts_at for s in sessions] for module, sessions in later.items()}
    existing = set(MakeUpBooking.objects.values_list("leader_id", "session_id"))
    wanted = []
    for leader_id, missed_session in missed[::3]:
        sessions = later[missed_session.module_id]
        first = bisect.bisect_right(starts[missed_session.module_id], missed_session.starts_at)
        options = [
            s
            for s in sessions[first : first + MAKEUP_CANDIDATES]
            if s.cohort_id != missed_session.cohort_id and (leader_id, s.pk) not in existing
        ]
        if options:
            wanted.append((leader_id, options, missed_session.ends_at))
    return [
        Attendance(
            leader_id=makeup.leader_id,
            session=makeup.session,
            status=Attendance.Status.PRESENT,
            recorded_by=recorder,
            recorded_at=makeup.session.ends_at,
        )
        for makeup in booking.book_makeups_in_bulk(bookings=wanted)
    ]


def _checked_in_so_far(
    programme: Programme, as_of: dt.datetime, screen: Facilitator | None, by_cohort: dict
) -> list[Attendance]:
    """Her session under way at ``as_of``: the check-ins made by then (most came early,
    one in seven after the grace and so late), one in five not there yet."""
    if screen is None:
        return []
    opens = dt.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    late = dt.timedelta(minutes=settings.CHECKIN_LATE_MINUTES, seconds=60)
    under_way = Session.objects.filter(
        cohort__programme=programme,
        facilitator=screen,
        starts_at__lte=as_of + opens,
        ends_at__gt=as_of,
        closed_at__isnull=True,
    )
    found = []
    for session in under_way:
        leaders = sorted(by_cohort.get(session.cohort_id, []))
        users = dict(Leader.objects.filter(pk__in=leaders).values_list("pk", "user_id"))
        recorded = set(session.attendances.values_list("leader_id", flat=True))
        for k, leader_id in enumerate(leaders):
            if k % 5 == 4:
                continue  # not there yet
            if k % 7 == 6:
                status, at = Attendance.Status.LATE, session.starts_at + late
            else:
                status, at = Attendance.Status.PRESENT, session.starts_at - opens / 2
            at += dt.timedelta(seconds=20 * k)
            if leader_id in recorded or at > as_of:
                continue
            found.append(
                Attendance(
                    leader_id=leader_id,
                    session=session,
                    status=status,
                    recorded_by_id=users[leader_id],
                    recorded_at=at,
                    source=Attendance.Source.SELF_CHECK_IN,
                )
            )
    return found


def _as_checked_in(
    attendance: Attendance, k: int, *, by_leader: int, by_facilitator: Facilitator
) -> None:
    """What the check-in screen records (``rooms.checkin``): present or late by the
    leader's own check-in, every sixth present one marked by the facilitator (no phone),
    the absent recorded when she closed the session; an excuse is HR's, in advance."""
    session, status = attendance.session, attendance.status
    if status == Attendance.Status.PRESENT and k % 6 == 5:
        attendance.source = Attendance.Source.FACILITATOR
        attendance.recorded_by_id = by_facilitator.user_id
        attendance.recorded_at = session.starts_at + dt.timedelta(minutes=5)
    elif status == Attendance.Status.PRESENT:
        attendance.source = Attendance.Source.SELF_CHECK_IN
        attendance.recorded_by_id = by_leader
        attendance.recorded_at = session.starts_at - dt.timedelta(minutes=20, seconds=-30 * k)
    elif status == Attendance.Status.LATE:
        attendance.source = Attendance.Source.SELF_CHECK_IN
        attendance.recorded_by_id = by_leader
        attendance.recorded_at = session.starts_at + dt.timedelta(minutes=16, seconds=20 * k)
    elif status == Attendance.Status.ABSENT:
        attendance.source = Attendance.Source.CLOSED
        attendance.recorded_by_id = by_facilitator.user_id
        attendance.recorded_at = session.ends_at
    else:
        attendance.recorded_at = session.starts_at - dt.timedelta(days=1)


# How far each dimension moved on average between the rounds, in the demo's story:
