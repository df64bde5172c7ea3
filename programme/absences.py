"""Absence reported in advance (afbud): a leader says they cannot come to a session, and
their manager or HR approves or declines it.

- A leader reports an absence for a session they are expected at (their cohort's, with
  a seat, or a make-up seat) before it starts, once (a declined one may be reported
  again).
- Approving records them *excused* at the session (``Attendance.Status.EXCUSED``, source
  ``notice``), as HR's attendance sheet would in advance: the facilitator's screen and
  HR's sheet show it, closing the session keeps it, and progress counts the module as
  missed, so booking offers them a make-up seat at once (``booking.makeups``: a module
  "excused from ahead" may be made up before the session). Someone already recorded
  present or late cannot be excused.
- Who may decide: the leader's manager (``reports.rules.scope_for``) or HR; the pages
  check that, this module keeps the rules every way in shares.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from programme import clock
from programme.models import (
    AbsenceNotice,
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Session,
    User,
)


class AbsenceError(ValidationError):
    """A report or decision the rules refuse, with the words to show."""


def reportable_sessions(leader: Leader) -> QuerySet[Session]:
    """The sessions the leader is expected at: their cohort's (with a seat) and make-ups."""
    seat = Enrolment.objects.filter(
        leader=leader, cohort=OuterRef("cohort"), status=Enrolment.Status.ENROLLED
    )
    makeup = MakeUpBooking.objects.filter(leader=leader, session=OuterRef("pk"))
    return Session.objects.filter(Q(Exists(seat)) | Q(Exists(makeup)))


def open_notices(leader: Leader) -> dict[int, AbsenceNotice]:
    """The leader's latest notice for each session (one query), by session id."""
    notices: dict[int, AbsenceNotice] = {}
    for notice in AbsenceNotice.objects.filter(leader=leader).order_by("reported_at", "pk"):
        notices[notice.session_id] = notice
    return notices


@transaction.atomic
def report(
    *,
    leader: Leader,
    session: Session,
    reason: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> AbsenceNotice:
    """The leader's absence from ``session``, waiting for their manager's or HR's answer."""
    now = now or clock.now()
    if not reportable_sessions(leader).filter(pk=session.pk).exists():
        raise AbsenceError(_("You are not expected at this session."))
    if session.starts_at <= now:
        raise AbsenceError(
            _("The session has already started: tell HR, who records attendance afterwards.")
        )
    try:
        with transaction.atomic():
            return AbsenceNotice.objects.create(
                leader=leader, session=session, reason=reason, note=note, reported_at=now
            )
    except IntegrityError as exc:
        raise AbsenceError(_("You have already reported this absence.")) from exc


@transaction.atomic
def decide(
    *, notice: AbsenceNotice, approve: bool, by: User, now: dt.datetime | None = None
) -> AbsenceNotice:
    """Approve (the leader is recorded excused at the session) or decline the notice."""
    now = now or clock.now()
    notice = AbsenceNotice.objects.select_for_update().select_related("session").get(pk=notice.pk)
    if notice.state != AbsenceNotice.State.REPORTED:
        raise AbsenceError(_("This absence has already been answered."))
    if approve:
        recorded = (
            Attendance.objects.select_for_update()
            .filter(leader_id=notice.leader_id, session_id=notice.session_id)
            .first()
        )
        if recorded is not None and recorded.completes_module:
            raise AbsenceError(
                _("The leader is already recorded as there, so the absence cannot be approved.")
            )
        if recorded is None:
            Attendance.objects.create(
                leader_id=notice.leader_id,
                session_id=notice.session_id,
                status=Attendance.Status.EXCUSED,
                recorded_by=by,
                recorded_at=now,
                source=Attendance.Source.NOTICE,
            )
        else:
            recorded.status, recorded.recorded_by = Attendance.Status.EXCUSED, by
            recorded.recorded_at, recorded.source = now, Attendance.Source.NOTICE
            recorded.save()
    notice.state = AbsenceNotice.State.APPROVED if approve else AbsenceNotice.State.DECLINED
    notice.decided_by, notice.decided_at = by, now
    notice.save(update_fields=["state", "decided_by", "decided_at"])
    return notice
