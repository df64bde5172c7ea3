"""Attendance: the sheet (every leader expected at one session, one submit) and its rules.

- Only a session that has started can have people present, late or absent; HR
  may mark someone excused in advance.
- The sheet lists who is expected (the cohort's seated leaders and the make-up
  guests) and anyone already recorded; a leader who has left is not listed for
  sessions after their leaving day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from programme import clock, page_versions
from programme.models import Attendance, Enrolment, Leader, MakeUpBooking, Session, User
from programme.progress import refresh_standings


@dataclass
class SheetRow:
    leader: Leader
    is_makeup: bool
    recorded: Attendance | None
    field: forms.BoundField | None = None


def check_status(session: Session, status: str, now: dt.datetime) -> None:
    """Refuse recording presence or absence at a session that has not started yet."""
    if status != Attendance.Status.EXCUSED and session.starts_at > now:
        raise ValidationError(
            _("The session has not started yet: only “Excused” can be recorded in advance."),
            code="not_started",
        )


def expected_leaders_q(session: Session) -> Q:
    """Leaders expected at the session: seated in its cohort, or a make-up guest,
    and still with the municipality on the session's day."""
    enrolled = Enrolment.objects.filter(
        leader=OuterRef("pk"), cohort=session.cohort_id, status=Enrolment.Status.ENROLLED
    )
    makeup = MakeUpBooking.objects.filter(leader=OuterRef("pk"), session=session)
    day = timezone.localdate(session.starts_at)
    return (Q(Exists(enrolled)) | Q(Exists(makeup))) & Leader.here_on(day)


def expected_leaders(session: Session) -> list[Leader]:
    """Who the sheet lists, by name: those expected, and anyone already recorded.

    Anyone already recorded at the session stays on the sheet even if their
    place was cancelled later, so re-opening never hides a record.
    """
    makeup = MakeUpBooking.objects.filter(leader=OuterRef("pk"), session=session)
    recorded = Attendance.objects.filter(leader=OuterRef("pk"), session=session)
    return list(
        Leader.objects.annotate(is_makeup=Exists(makeup))
        .filter(expected_leaders_q(session) | Q(Exists(recorded)))
        .select_related("department")
        .order_by("name", "pk")
    )


def sheet_rows(session: Session) -> list[SheetRow]:
    recorded = {
        a.leader_id: a for a in session.attendances.select_related("recorded_by").order_by()
    }
    return [
        SheetRow(leader=leader, is_makeup=leader.is_makeup, recorded=recorded.get(leader.pk))
        for leader in expected_leaders(session)
    ]


class AttendanceSheetForm(forms.Form):
    """One radio group a leader; a leader left blank is not recorded."""

    def __init__(
        self,
        *args,
        rows: list[SheetRow],
        session: Session,
        now: dt.datetime,
        prefill: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.rows, self.session, self.now = rows, session, now
        for row in rows:
            name = self.field_name(row.leader)
            self.fields[name] = forms.ChoiceField(
                label=row.leader.name,
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.initial[name] = prefill or (row.recorded.status if row.recorded else "")
        for row in rows:
            row.field = self[self.field_name(row.leader)]

    @staticmethod
    def field_name(leader: Leader) -> str:
        return f"leader_{leader.pk}"

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            name = self.field_name(row.leader)
            status = cleaned.get(name)
            if status and (row.recorded is None or row.recorded.status != status):
                try:
                    check_status(self.session, status, self.now)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def statuses(self) -> dict[int, str]:
        return {
            row.leader.pk: self.cleaned_data[self.field_name(row.leader)]
            for row in self.rows
            if self.cleaned_data.get(self.field_name(row.leader))
        }


@dataclass
class SaveResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@transaction.atomic
def save_sheet(
    *, session: Session, statuses: dict[int, str], by: User, now: dt.datetime | None = None
) -> SaveResult:
    """Record every status in one transaction, with who and when, kept in the history.

    Locks the session first so two people saving the same sheet at once queue
    up instead of colliding on the one-attendance-per-leader constraint.
    A record whose status does not change keeps its original recorder and time.
    """
    now = now or clock.now()
    Session.objects.select_for_update().filter(pk=session.pk).first()
    # Only leaders the sheet lists can be recorded (a stale form cannot add others).
    listed = {leader.pk for leader in expected_leaders(session)}
    statuses = {pk: status for pk, status in statuses.items() if pk in listed}
    existing = {a.leader_id: a for a in session.attendances.select_for_update().order_by()}
    created, changed, result = [], [], SaveResult()
    for leader_id, status in statuses.items():
        record = existing.get(leader_id)
        if record is None or record.status != status:
            check_status(session, status, now)
        if record is None:
            created.append(
                Attendance(
                    leader_id=leader_id,
                    session=session,
                    status=status,
                    recorded_by=by,
                    recorded_at=now,
                )
            )
        elif record.status != status:
            record.status, record.recorded_by, record.recorded_at = status, by, now
            record.source = Attendance.Source.SHEET
            changed.append(record)
        else:
            result.unchanged += 1
    # The bulk writes replace their kept pages' versions themselves; in one statement.
    with page_versions.batch():
        if created:
            bulk_create_with_history(created, Attendance, default_user=by, default_date=now)
        if changed:
            bulk_update_with_history(
                changed,
                Attendance,
                ["status", "recorded_by", "recorded_at", "source"],
                default_user=by,
                default_date=now,
            )
        if created or changed:
            # Bulk writes send no signals: bring the standings up to date ourselves.
            leader_ids = [a.leader_id for a in [*created, *changed]]
            refresh_standings(session.module.programme, leader_ids)
    result.created, result.changed = len(created), len(changed)
    return result


STATUS_COLUMNS = list(Attendance.Status.choices)
