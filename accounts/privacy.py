"""Personal data: forgetting a leader who has left the municipality.

:func:`anonymise_leader` replaces what identifies them — name, e-mail, employee number,
job title, also in the change history — and closes their login (never an
administrator's: see :mod:`accounts.signin`), but keeps their department, level,
enrolments and attendance, so the programme's statistics stay exactly as they were.
What the portal holds about a leader, for them to download, is
:mod:`accounts.personal_data`.
"""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

import booking
from accounts import signin as accounts
from approvals.models import EnrolmentRequest
from evaluations.models import Evaluation
from groups.models import GroupMembership
from outcomes.models import AssessmentResponse, Collaborator, Initiative, InitiativeStatusChange
from programme import clock
from programme.models import AbsenceNotice, Leader


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
