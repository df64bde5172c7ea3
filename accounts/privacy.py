"""Personal data: what the portal holds about a leader, and forgetting it.

A leader may download everything held about them (:func:`personal_data`, as JSON or,
flattened by :func:`personal_data_rows`, as CSV). When a leader has left the
municipality, :func:`anonymise_leader` replaces what identifies them — name,
e-mail, employee number, job title, also in the change history — and closes their
login (never an administrator's: see :mod:`accounts.signin`), but keeps their
department, level, enrolments and attendance, so the programme's statistics stay
exactly as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

import booking
from accounts import signin as accounts
from approvals.models import EnrolmentRequest
from evaluations.models import Evaluation
from groups.models import GroupMembership
from mail.models import Invitation, SentReminder
from outcomes.models import AssessmentResponse, Collaborator, Initiative, InitiativeStatusChange
from programme import clock
from programme.models import AbsenceNotice, Attendance, Enrolment, Leader, MakeUpBooking
from reports.csv_export import neutralise


class AnonymisationError(Exception):
    """Why a leader cannot be anonymised, in words for HR."""


def has_left(leader: Leader, today: dt.date | None = None) -> bool:
    """Whether the leader has left (see ``Leader.has_left``), today by the portal's clock.

    Such a leader may no longer sign in, book, get an invitation or a password-reset link.
    """
    return leader.has_left(today or clock.today())


def anonymous_name(leader: Leader) -> str:
    return f"Anonymiseret leder {leader.pk}"


def anonymous_email(leader: Leader) -> str:
    # .invalid is reserved (RFC 2606): nothing is ever delivered there.
    return f"anonymiseret-{leader.pk}@anonymiseret.invalid"


def anonymous_employee_number(leader: Leader) -> str:
    return f"ANON-{leader.pk}"


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


def leaders_due_for_anonymisation(
    *, older_than_days: int | None = None, today: dt.date | None = None
) -> QuerySet[Leader]:
    """Leaders who left more than ``older_than_days`` days ago and are not yet anonymised."""
    days = settings.ANONYMISE_AFTER_DAYS if older_than_days is None else older_than_days
    today = today or clock.today()
    return Leader.objects.filter(
        left_on__isnull=False,
        left_on__lt=today - dt.timedelta(days=days),
        anonymised_at__isnull=True,
    ).order_by("left_on", "pk")


@transaction.atomic
def anonymise_leader(leader: Leader, *, now: dt.datetime | None = None) -> Leader:
    """Replace what identifies a leader who has left; keep what the statistics count."""
    leader = Leader.objects.select_for_update().select_related("user").get(pk=leader.pk)
    _check_can_be_anonymised(leader)
    now = now or clock.now()
    # Their seats and make-up seats go to others first, through booking.
    booking.leave(leader=leader, now=now, at_once=True)
    old_email = leader.user.email
    _close_login(leader)
    _replace_identity(leader, now)
    _scrub_texts(leader)
    _forget_sign_ins_and_mail(old_email)
    return leader


def _check_can_be_anonymised(leader: Leader) -> None:
    """Raise :class:`AnonymisationError` with HR's reason when the leader cannot be."""
    if leader.anonymised_at is not None:
        raise AnonymisationError(_("This leader has already been anonymised."))
    if leader.left_on is None:
        raise AnonymisationError(
            _("Only a leader who has left can be anonymised: set the date they left first.")
        )
    if accounts.is_administrator(leader.user):
        # Closing an administrator's login is a superuser's decision, made in Users: done
        # here it would let anyone who can anonymise switch off an administrator.
        raise AnonymisationError(
            _(
                "The leader signs in with an administrator's login (staff or superuser), which "
                "anonymisation never changes. A superuser must first remove its administrator "
                "rights under Users; then the leader can be anonymised."
            )
        )


def _close_login(leader: Leader) -> None:
    """The login gets an address nothing is delivered to, no name, password or rights."""
    user = leader.user
    user.email = anonymous_email(leader)
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.managed_departments.clear()


def _replace_identity(leader: Leader, now: dt.datetime) -> None:
    """Name, employee number and title, in the row and in every earlier version of it."""
    leader.name = anonymous_name(leader)
    leader.employee_number = anonymous_employee_number(leader)
    leader.title = ""
    leader.calendar_token = None  # the calendar feed's address finds nobody any more
    leader.anonymised_at = now
    leader._change_reason = "anonymised"
    leader.save()
    # The change history keeps every earlier version of the row: scrub those too.
    leader.history.update(
        name=leader.name, employee_number=leader.employee_number, title=leader.title
    )


def _scrub_texts(leader: Leader) -> None:
    """The self-assessment's numbers stay (they are only ever shown as group averages); the
    words that could identify someone go: free text, and the initiatives' texts."""
    AssessmentResponse.objects.filter(leader=leader).update(free_text="")
    AbsenceNotice.objects.filter(leader=leader).update(note="")
    initiatives = Initiative.objects.filter(leader=leader)
    # Data, not a page's text: in Danish like anonymous_name.
    # Out of the catalogue of ideas too: nothing of it is shown to other leaders any more.
    initiatives.update(
        title=f"Anonymiseret initiativ {leader.pk}",
        problem="",
        expected_benefit="",
        shared_at=None,
    )
    initiatives.exclude(status=Initiative.Status.ABANDONED).update(abandoned_reason="")
    initiatives.filter(status=Initiative.Status.ABANDONED).update(abandoned_reason="Anonymiseret")
    InitiativeStatusChange.objects.filter(initiative__leader=leader).update(reason="")
    # Their name beside other leaders' initiatives and in a learning group: gone.
    Collaborator.objects.filter(leader=leader).delete()
    GroupMembership.objects.filter(leader=leader).delete()
    # Requests for a place, and what a manager wrote about them.
    EnrolmentRequest.objects.filter(leader=leader).delete()
    # The evaluations' numbers stay (counted already, shown only over blocks); their words go.
    Evaluation.objects.filter(leader=leader).update(different="")


def _forget_sign_ins_and_mail(old_email: str) -> None:
    # django-axes keeps sign-ins and failed attempts by e-mail address and IP.
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        model.objects.filter(username__iexact=old_email).delete()
    # The outbox keeps the e-mails written to them (name, address, sessions).
    # (One recipient an e-mail: the address is the whole field.)
    Email.objects.filter(to__iexact=old_email).delete()


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
