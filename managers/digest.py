"""The managers' weekly digest: one e-mail a week to each manager whose leaders had news.

What counts as news, about the leaders of a manager's departments (``reports.rules``'
scope: a manager of an area answers for every department under it), in the week before
the one the digest is sent in (Monday to Monday, in the portal's time zone):

- a leader was *recorded absent* that week (``Attendance.recorded_at``; excused is not
  absence);
- a leader *became behind* that week: their stored standing's ``behind_from`` (the
  moment the progress rules say they are behind from, ``programme.progress``) falls in
  the week. ``behind_from`` does not depend on the clock, so no transition needs
  recording: a leader behind since before the week is not news, one who made up and then
  missed again is (their ``behind_from`` moved into the week);
- a leader *has no place* (no seat in a cohort, waitlisted or not) while the last cohort
  to start begins within ``NO_PLACE_DAYS`` days: repeated every week until it starts,
  since every week without a place makes it harder to complete;
- a leader's *absence reported in advance waits for an answer* (``programme/absences.py``)
  and its session is still to come: named every week until it is answered.

Each manager gets at most one e-mail a week (:class:`mail.models.ManagerDigest`, unique
per manager and week, inserted with the e-mail), none when there is no news, and none
when they turned it off on *Min profil* (:class:`mail.models.MailPreference`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from mail import emails, outbox
from mail.models import EmailText, MailPreference, ManagerDigest
from mail.notifications import portal_link
from programme import clock
from programme.models import (
    AbsenceNotice,
    Attendance,
    Enrolment,
    Leader,
    Programme,
    Session,
    Standing,
    User,
)
from reports.rules import departments_by_manager

logger = logging.getLogger(__name__)

# The last cohort to start: from this many days before, leaders without a place are news.
NO_PLACE_DAYS = 60


@dataclass(frozen=True, order=True)
class Event:
    """One piece of news about one leader; sorted by kind, then name."""

    order: int
    name: str
    department_id: int
    line: str


@dataclass
class DigestSummary:
    sent: int = 0
    skipped: int = 0
    opted_out: int = 0
    failed: int = 0
    managers: list[str] = field(default_factory=list)


def digest_week(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The week before the one ``now`` is in: Monday 00:00 to the next Monday 00:00."""
    today = timezone.localdate(now)
    this_monday = today - dt.timedelta(days=today.weekday())
    tz = timezone.get_default_timezone()
    end = dt.datetime.combine(this_monday, dt.time.min, tzinfo=tz)
    start = dt.datetime.combine(this_monday - dt.timedelta(days=7), dt.time.min, tzinfo=tz)
    return start, end


def _leader_label(leader: Leader) -> str:
    return f"{leader.name} ({leader.department.name})"


def _absences(programme: Programme, start: dt.datetime, end: dt.datetime) -> list[Event]:
    records = (
        Attendance.objects.filter(
            status=Attendance.Status.ABSENT,
            recorded_at__gte=start,
            recorded_at__lt=end,
            session__module__programme=programme,
        )
        .filter(Leader.here_on(timezone.localdate(end), "leader__"))
        .select_related("leader__department", "session__module", "session__cohort")
        .order_by("leader__name", "session__starts_at")
    )
    return [
        Event(
            1,
            record.leader.name,
            record.leader.department_id,
            _("Absent: %(leader)s from %(module)s with %(cohort)s on %(date)s")
            % {
                "leader": _leader_label(record.leader),
                "module": record.session.module.title,
                "cohort": record.session.cohort.name,
                "date": formats.date_format(
                    timezone.localtime(record.session.starts_at), "DATE_FORMAT"
                ),
            },
        )
        for record in records
    ]


def _became_behind(programme: Programme, start: dt.datetime, end: dt.datetime) -> list[Event]:
    standings = Standing.objects.filter(
        Leader.here_on(timezone.localdate(end), "leader__"),
        programme=programme,
        behind_from__gte=start,
        behind_from__lt=end,
    ).select_related("leader__department")
    return [
        Event(
            2,
            standing.leader.name,
            standing.leader.department_id,
            _("Behind: %(leader)s has missed a required module and not made it up")
            % {"leader": _leader_label(standing.leader)},
        )
        for standing in standings
    ]


def last_cohort_starts(programme: Programme) -> dt.datetime | None:
    """When the cohort that starts last has its first session."""
    firsts = (
        Session.objects.filter(module__programme=programme)
        .values("cohort")
        .annotate(first=Min("starts_at"))
        .values_list("first", flat=True)
    )
    return max(firsts, default=None)


def _without_place(programme: Programme, now: dt.datetime) -> list[Event]:
    last_start = last_cohort_starts(programme)
    if last_start is None or not (
        last_start - dt.timedelta(days=NO_PLACE_DAYS) <= now < last_start
    ):
        return []
    seat = Enrolment.objects.filter(
        leader=OuterRef("pk"), programme=programme, status=Enrolment.Status.ENROLLED
    )
    leaders = (
        Leader.objects.filter(Leader.here_on(timezone.localdate(now)))
        .exclude(Exists(seat))
        .select_related("department")
    )
    day = formats.date_format(timezone.localtime(last_start), "DATE_FORMAT")
    return [
        Event(
            3,
            leader.name,
            leader.department_id,
            _("No place: %(leader)s has no seat in a cohort, and the last cohort starts %(day)s")
            % {"leader": _leader_label(leader), "day": day},
        )
        for leader in leaders
    ]


def _waiting_absences(programme: Programme, now: dt.datetime) -> list[Event]:
    notices = AbsenceNotice.objects.filter(
        state=AbsenceNotice.State.REPORTED,
        session__starts_at__gt=now,
        session__module__programme=programme,
    ).select_related("leader__department", "session__module")
    return [
        Event(
            4,
            notice.leader.name,
            notice.leader.department_id,
            _("Absence to answer: %(leader)s cannot come to %(module)s on %(date)s")
            % {
                "leader": _leader_label(notice.leader),
                "module": notice.session.module.title,
                "date": formats.date_format(
                    timezone.localtime(notice.session.starts_at), "DATE_FORMAT"
                ),
            },
        )
        for notice in notices
    ]


def week_events(programme: Programme, now: dt.datetime) -> list[Event]:
    """Every leader's news for the digest sent at ``now`` (not yet split by manager)."""
    start, end = digest_week(now)
    return (
        _absences(programme, start, end)
        + _became_behind(programme, start, end)
        + _without_place(programme, now)
        + _waiting_absences(programme, now)
    )


def week_label(start: dt.datetime) -> str:
    year, number, _weekday = timezone.localdate(start).isocalendar()
    return _("week %(number)d, %(year)d") % {"number": number, "year": year}


def _deliver(user: User, week: dt.date, events: list[Event], start: dt.datetime) -> str:
    """Claim the week for the manager and queue their digest; "sent", "skipped" or "failed"."""
    name = user.get_full_name() or getattr(getattr(user, "leader", None), "name", "") or user.email
    subject, body = emails.render(
        EmailText.Kind.MANAGER_DIGEST,
        {
            "name": name,
            "week": week_label(start),
            "count": str(len(events)),
            "events": "\n".join(f"- {event.line}" for event in sorted(events)),
            "link": portal_link("managers:team"),
        },
    )
    try:
        with transaction.atomic():
            ManagerDigest.objects.create(user=user, week=week, events=len(events))
            outbox.queue(to=user.email, subject=subject, body=body)
    except IntegrityError:
        return "skipped"  # sent earlier this week, or by another run just now
    except Exception:
        logger.exception("Could not queue the weekly digest to user %s", user.pk)
        return "failed"
    return "sent"


def send_digests(*, now: dt.datetime | None = None) -> DigestSummary:
    """Queue this week's digest for every manager with news who wants it."""
    now = now or clock.now()
    summary = DigestSummary()
    programme = Programme.current()
    if programme is None:
        return summary
    start, _end = digest_week(now)
    week = timezone.localdate(start)
    # Managers read Danish, whatever language the caller (cron, an admin) uses.
    with translation.override(settings.LANGUAGE_CODE):
        by_department: dict[int, list[Event]] = defaultdict(list)
        for event in week_events(programme, now):
            by_department[event.department_id].append(event)
        answers_for = departments_by_manager()
        users = User.objects.filter(pk__in=answers_for, is_active=True).select_related("leader")
        already = set(ManagerDigest.objects.filter(week=week).values_list("user_id", flat=True))
        opted_out = set(
            MailPreference.objects.filter(manager_digest=False).values_list("user_id", flat=True)
        )
        for user in users.order_by("email"):
            events = [e for d in sorted(answers_for[user.pk]) for e in by_department[d]]
            if not events:
                continue
            if user.pk in opted_out:
                summary.opted_out += 1
                continue
            if user.pk in already:
                summary.skipped += 1
                continue
            outcome = _deliver(user, week, events, start)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            if outcome == "sent":
                summary.managers.append(user.email)
    return summary
