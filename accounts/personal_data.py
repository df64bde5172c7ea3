"""Personal data: everything the portal holds about a leader, for them to download
(:func:`personal_data`, as JSON or, flattened by :func:`personal_data_rows`, as CSV).
Forgetting a leader who has left is :mod:`accounts.privacy`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from axes.models import AccessLog
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

from approvals.models import EnrolmentRequest
from evaluations.models import Evaluation
from groups.models import GroupMembership
from mail.models import Invitation, SentReminder
from outcomes.models import AssessmentResponse, Collaborator, Initiative
from programme.models import AbsenceNotice, Attendance, Enrolment, Leader, MakeUpBooking
from reports.csv_export import neutralise


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def personal_data(leader: Leader) -> dict[str, Any]:
    """Everything the portal holds about one leader, ready for ``json.dumps``.

    One helper a section, called in the order the sections are written (so also the
    order of the queries).
    """
    user = leader.user
    return {
        "leader": _leader_record(leader, user),
        "login": _login_record(user),
        "enrolments": _enrolments(leader),
        "enrolment_requests": _enrolment_requests(leader),
        "attendance": _attendance(leader),
        "make_up_bookings": _make_up_bookings(leader),
        "absences_reported": _absences_reported(leader),
        "self_assessments": _self_assessments(leader),
        "initiatives": _initiatives(leader),
        "shared_initiatives_worked_on": _collaborations(leader),
        "learning_groups": _learning_groups(leader),
        "session_evaluations": _evaluations(leader),
        "invitations": _invitations(leader),
        "emails": _emails(user),
        "reminders_sent": _reminders_sent(leader),
        "change_history": _change_history(leader),
        "sign_ins": _sign_ins(user),
    }


def _leader_record(leader: Leader, user) -> dict[str, Any]:
    return {
        "employee_number": leader.employee_number,
        "name": leader.name,
        "email": user.email,
        "title": leader.title,
        "level": str(leader.get_level_display()),
        "department": leader.department.name,
        "left_on": _when(leader.left_on),
    }


def _login_record(user) -> dict[str, Any]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
        "is_active": user.is_active,
        "managed_departments": [d.name for d in user.managed_departments.all()],
    }


def _enrolments(leader: Leader) -> list[dict[str, Any]]:
    return [
        {
            "programme": e.cohort.programme.name,
            "cohort": e.cohort.name,
            "status": str(e.get_status_display()),
            "requested_at": _when(e.requested_at),
            "cancelled_at": _when(e.cancelled_at),
        }
        for e in Enrolment.objects.filter(leader=leader).select_related("cohort__programme")
    ]


def _enrolment_requests(leader: Leader) -> list[dict[str, Any]]:
    """Requests for a place (ENROLMENT_APPROVAL=manager), with a decline's reason."""
    rows = (
        EnrolmentRequest.objects.filter(leader=leader)
        .select_related("cohort")
        .order_by("requested_at", "pk")
    )
    return [
        {
            "cohort": r.cohort.name,
            "state": r.state,
            "requested_at": _when(r.requested_at),
            "decided_at": _when(r.decided_at),
            "reason": r.reason,
        }
        for r in rows
    ]


def _attendance(leader: Leader) -> list[dict[str, Any]]:
    attendances = Attendance.objects.filter(leader=leader).select_related(
        "session__module", "session__cohort"
    )
    return [
        {
            "module": a.session.module.title,
            "cohort": a.session.cohort.name,
            "session_starts_at": _when(a.session.starts_at),
            "status": str(a.get_status_display()),
            "recorded_at": _when(a.recorded_at),
        }
        for a in attendances
    ]


def _make_up_bookings(leader: Leader) -> list[dict[str, Any]]:
    makeups = MakeUpBooking.objects.filter(leader=leader).select_related(
        "session__module", "session__cohort"
    )
    return [
        {
            "module": m.session.module.title,
            "cohort": m.session.cohort.name,
            "session_starts_at": _when(m.session.starts_at),
            "booked_at": _when(m.booked_at),
        }
        for m in makeups
    ]


def _absences_reported(leader: Leader) -> list[dict[str, Any]]:
    notices = AbsenceNotice.objects.filter(leader=leader).select_related(
        "session__module", "session__cohort"
    )
    return [
        {
            "module": n.session.module.title,
            "cohort": n.session.cohort.name,
            "session_starts_at": _when(n.session.starts_at),
            "reason": str(n.get_reason_display()),
            "note": n.note,
            "state": str(n.get_state_display()),
            "reported_at": _when(n.reported_at),
        }
        for n in notices
    ]


def _self_assessments(leader: Leader) -> list[dict[str, Any]]:
    assessments = (
        AssessmentResponse.objects.filter(leader=leader)
        .select_related("programme", "questionnaire")
        .prefetch_related("answers__statement")
        .order_by("submitted_at")
    )
    return [
        {
            "programme": a.programme.name,
            "round": str(a.get_round_display()),
            "questionnaire_version": a.questionnaire.version,
            "answered_at": _when(a.submitted_at),
            "free_text": a.free_text,
            "answers": [
                f"{answer.statement.text} = {answer.score}"
                for answer in sorted(a.answers.all(), key=lambda x: x.statement.order)
            ],
        }
        for a in assessments
    ]


def _initiatives(leader: Leader) -> list[dict[str, Any]]:
    initiatives = (
        Initiative.objects.filter(leader=leader)
        .select_related("programme", "other_department")
        .prefetch_related("status_changes")
        .order_by("created_at")
    )
    return [
        {
            "programme": i.programme.name,
            "title": i.title,
            "problem": i.problem,
            "dimensions": i.dimension_labels,
            "crosses_into": i.other_department.name if i.other_department else None,
            "expected_benefit": i.expected_benefit,
            "status": str(i.get_status_display()),
            "abandoned_reason": i.abandoned_reason,
            "next_step_on": _when(i.next_step_on),
            # Shown to every leader in the catalogue of ideas since then (None: not shared).
            "shared_with_all_leaders_since": _when(i.shared_at),
            "created_at": _when(i.created_at),
            "status_history": [
                f"{_when(c.changed_at)}: {c.get_status_display()}" for c in i.status_changes.all()
            ],
        }
        for i in initiatives
    ]


def _collaborations(leader: Leader) -> list[dict[str, Any]]:
    """Other leaders' shared initiatives this leader works on too ("Vil samarbejde")."""
    rows = (
        Collaborator.objects.filter(leader=leader)
        .select_related("initiative__leader")
        .order_by("joined_at", "pk")
    )
    return [
        {
            "initiative": c.initiative.title,
            "shared_by": c.initiative.leader.name,
            "joined_at": _when(c.joined_at),
        }
        for c in rows
    ]


def _learning_groups(leader: Leader) -> list[dict[str, Any]]:
    rows = (
        GroupMembership.objects.filter(leader=leader)
        .select_related("group__programme")
        .order_by("group__programme__starts_on", "pk")
    )
    return [{"programme": m.group.programme.name, "group": m.group.name} for m in rows]


def _evaluations(leader: Leader) -> list[dict[str, Any]]:
    """The leader's own evaluations of sessions: only they ever see them as theirs."""
    rows = (
        Evaluation.objects.filter(leader=leader)
        .select_related("session__module__programme")
        .order_by("submitted_at", "pk")
    )
    return [
        {
            "programme": e.session.module.programme.name,
            "module": e.session.module.title,
            "session_starts_at": _when(e.session.starts_at),
            "relevance": e.relevance,
            "facilitator": e.facilitation,
            "what_you_will_do_differently": e.different,
            "answered_at": _when(e.submitted_at),
        }
        for e in rows
    ]


def _invitations(leader: Leader) -> list[dict[str, Any]]:
    return [
        {"sent_at": _when(i.sent_at), "work_account": i.single_sign_on}
        for i in Invitation.objects.filter(leader=leader).order_by("sent_at")
    ]


def _emails(user) -> list[dict[str, Any]]:
    return [
        {
            "subject": e.subject,
            "queued_at": _when(e.created),
            "status": str(e.get_status_display()),
        }
        for e in Email.objects.filter(to__iexact=user.email).order_by("created")
    ]


def _reminders_sent(leader: Leader) -> list[dict[str, Any]]:
    return [
        {"kind": str(r.get_kind_display()), "about": r.subject_key, "sent_at": _when(r.sent_at)}
        for r in SentReminder.objects.filter(leader=leader).order_by("sent_at")
    ]


def _change_history(leader: Leader) -> list[dict[str, Any]]:
    return [
        {
            "changed_at": _when(h.history_date),
            "change": str(h.get_history_type_display()),
            "employee_number": h.employee_number,
            "name": h.name,
            "title": h.title,
            "level": str(h.get_level_display()),
            "department": h.department.name if h.department else None,
            "left_on": _when(h.left_on),
        }
        for h in leader.history.select_related("department").order_by("history_date")
    ]


def _sign_ins(user) -> list[dict[str, Any]]:
    return [
        {
            "at": _when(s.attempt_time),
            "ip_address": s.ip_address,
            "user_agent": s.user_agent,
            "signed_out_at": _when(s.logout_time),
        }
        for s in AccessLog.objects.filter(username__iexact=user.email).order_by("attempt_time")
    ]


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (the rule of every export)."""
    return neutralise("" if value is None else str(value))


CSV_HEADER = [_("section"), _("record"), _("field"), _("value")]


def personal_data_rows(data: dict[str, Any]) -> Iterator[list[str]]:
    """The same data as :func:`personal_data`, one value per row: section, record, field."""
    for section, content in data.items():
        records = content if isinstance(content, list) else [content]
        for number, record in enumerate(records, start=1):
            for field, value in record.items():
                if isinstance(value, list):
                    value = "; ".join(str(item) for item in value)
                yield [
                    safe_cell(csv_key(section)),
                    str(number),
                    safe_cell(csv_key(field)),
                    safe_cell(value),
                ]


# The CSV's section and field names in the reader's language (the JSON keeps its keys:
# it is for programs). Keys without a label here are written as they are.
CSV_KEYS = {
    "leader": _("leader"),
    "login": _("login"),
    "enrolments": _("enrolments"),
    "enrolment_requests": _("requests for a place"),
    "state": _("state"),
    "decided_at": _("decided at"),
    "reason": _("reason"),
    "attendance": _("attendance"),
    "make_up_bookings": _("make-up bookings"),
    "absences_reported": _("absences reported in advance"),
    "note": _("note"),
    "reported_at": _("reported at"),
    "change_history": _("change history"),
    "sign_ins": _("sign-ins"),
    "reminders_sent": _("reminders sent"),
    "invitations": _("invitations"),
    "emails": _("e-mails"),
    "managed_departments": _("managed departments"),
    "shared_initiatives_worked_on": _("shared initiatives you work on"),
    "learning_groups": _("learning groups"),
    "session_evaluations": _("session evaluations"),
    "relevance": _("relevance"),
    "facilitator": _("facilitator"),
    "what_you_will_do_differently": _("what you will do differently"),
    "answered_at": _("answered at"),
    "initiative": _("initiative"),
    "shared_by": _("shared by"),
    "joined_at": _("joined at"),
    "group": _("group"),
    "shared_with_all_leaders_since": _("shared with all leaders since"),
    "work_account": _("work account"),
    "about": _("about"),
    "at": _("at"),
    "booked_at": _("booked at"),
    "cancelled_at": _("cancelled at"),
    "change": _("change"),
    "changed_at": _("changed at"),
    "cohort": _("cohort"),
    "date_joined": _("created"),
    "department": _("department"),
    "email": _("e-mail"),
    "employee_number": _("employee number"),
    "first_name": _("first name"),
    "ip_address": _("IP address"),
    "is_active": _("active"),
    "kind": _("kind"),
    "last_login": _("last sign-in"),
    "last_name": _("last name"),
    "left_on": _("left the municipality on"),
    "level": _("leadership level"),
    "module": _("module"),
    "name": _("name"),
    "programme": _("programme"),
    "queued_at": _("queued at"),
    "recorded_at": _("recorded at"),
    "requested_at": _("requested at"),
    "sent_at": _("sent at"),
    "session_starts_at": _("session starts at"),
    "signed_out_at": _("signed out at"),
    "status": _("status"),
    "subject": _("subject"),
    "title": _("title"),
    "user_agent": _("browser"),
}


def csv_key(key: str) -> str:
    return str(CSV_KEYS.get(key, key))
