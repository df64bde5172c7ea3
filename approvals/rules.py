"""Approval where the municipality wants it (``ENROLMENT_APPROVAL=manager``): a leader's
"Tilmeld mig" becomes a request that holds no seat, and a manager decides it.

Who decides: a manager of the leader's department or of its area (the reports' scope,
:func:`reports.rules.scope_for`), or HR, who sees every request and may decide any; a
leader whose department has no manager is decided by HR, who then gets the e-mails.
Nobody decides their own request.

Approving books through :func:`booking.enrol`: the same seat rule, the waitlist when the
cohort is full, the same e-mail to the leader with the calendar file. A manager approves
as the leader would have enrolled (the cohort's deadline holds); HR as HR does in the
admin (after the deadline too). Declining needs a reason, which the leader is told.
An unanswered request is reminded to its deciders once, ``APPROVAL_REMINDER_DAYS`` after
it was made (:func:`remind_unanswered`, ``manage.py remind_approvals``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

import booking
from approvals.models import EnrolmentRequest
from mail import emails, outbox
from mail.notifications import LINKS, portal_link
from programme.models import Cohort, Enrolment, Leader, Programme, User
from reports.rules import Scope

State = EnrolmentRequest.State
Kind = emails.Kind


class ApprovalError(Exception):
    """A request that cannot be made, withdrawn or decided; the message says why."""


def required() -> bool:
    """Whether a leader's "Tilmeld mig" asks their manager first."""
    return settings.ENROLMENT_APPROVAL == "manager"


# -- who decides ----------------------------------------------------------------------


def _deciders(leader: Leader) -> QuerySet[User]:
    # A manager of the department, or of the area (administration, centre) it is part of.
    managing = Q(managed_departments=leader.department_id) | Q(
        managed_departments__units=leader.department_id
    )
    return User.objects.filter(managing, is_active=True).exclude(pk=leader.user_id).distinct()


def deciders(leader: Leader) -> list[User]:
    """The managers who answer for the leader: of their department or of its area
    (the reports' scope rule, from the other side); not the leader themself."""
    return list(_deciders(leader).select_related("leader").order_by("email"))


def has_deciders(leader: Leader) -> bool:
    """Whether a manager answers for the leader (else HR decides)."""
    return _deciders(leader).exists()


def _recipients(leader: Leader) -> list[tuple[str, str]]:
    """(name, address) of whom to ask: the deciders, or HR when the leader has none."""
    found = [(_name_of(user), user.email) for user in deciders(leader)]
    return found or [(settings.HR_CONTACT_NAME, settings.HR_CONTACT_EMAIL)]


def _name_of(user: User) -> str:
    leader = getattr(user, "leader", None)
    return leader.name if leader is not None else (user.get_full_name() or user.email)


def open_requests(scope: Scope, user: User) -> QuerySet[EnrolmentRequest]:
    """The open requests the user may decide: of leaders in their scope, not their own."""
    return (
        EnrolmentRequest.objects.filter(
            state=State.REQUESTED, leader__department__in=scope.departments
        )
        .exclude(leader__user=user)
        .select_related("leader__department", "cohort")
        .order_by("requested_at", "pk")
    )


def request_to_decide(scope: Scope, user: User, pk: int) -> EnrolmentRequest:
    """One open request the user may decide, or 404: a manager learns nothing of others'."""
    return get_object_or_404(open_requests(scope, user), pk=pk)


def request_of_leader(leader: Leader, pk: int) -> EnrolmentRequest:
    """The leader's own request, or 404."""
    return get_object_or_404(
        EnrolmentRequest.objects.select_related("cohort"), pk=pk, leader=leader
    )


def shown_request(leader: Leader, programme: Programme) -> EnrolmentRequest | None:
    """What the leader's dashboard tells about their requests: the open one, else the
    last one declined (until they have a place)."""
    return (
        EnrolmentRequest.objects.filter(
            leader=leader,
            cohort__programme=programme,
            state__in=[State.REQUESTED, State.DECLINED],
        )
        .select_related("cohort")
        .order_by("-requested_at", "-pk")
        .first()
    )


# -- the leader's side -----------------------------------------------------------------


def _check_deadline(cohort: Cohort, now: dt.datetime) -> None:
    # Booking's own words for a deadline that has passed (booking.seats).
    if cohort.deadline_passed(now):
        raise ApprovalError(
            _(
                "The enrolment deadline for %(cohort)s has passed. Please contact %(hr)s "
                "(%(email)s, %(phone)s)."
            )
            % {
                "cohort": cohort.name,
                "hr": settings.HR_CONTACT_NAME,
                "email": settings.HR_CONTACT_EMAIL,
                "phone": settings.HR_CONTACT_PHONE,
            }
        )


def _active_place(leader: Leader, cohort: Cohort, now: dt.datetime) -> Enrolment | None:
    """The leader's place in the cohort's programme, if any; a waiting place in a cohort
    that has begun is closed (booking ends it on the next enrolment), so none."""
    place = (
        Enrolment.objects.filter(
            leader=leader, programme_id=cohort.programme_id, status__in=Enrolment.ACTIVE
        )
        .select_related("cohort")
        .first()
    )
    closed = (
        place is not None
        and place.status == Enrolment.Status.WAITLISTED
        and place.cohort.has_started(now)
    )
    return None if closed else place


@transaction.atomic
def request_place(*, leader: Leader, cohort: Cohort, now: dt.datetime) -> EnrolmentRequest:
    """The leader asks for a place in the cohort; their deciders are e-mailed. No seat
    is held, so a request is refused only for what approving would refuse anyway."""
    _check_deadline(cohort, now)
    if leader.has_left(timezone.localdate(now)):
        raise ApprovalError(
            _("%(leader)s has left the municipality and cannot book seats.")
            % {"leader": leader.name}
        )
    place = _active_place(leader, cohort, now)
    if place is not None:
        raise ApprovalError(
            _("You already have a place in %(cohort)s. Cancel it first to change cohort.")
            % {"cohort": place.cohort.name}
        )
    try:
        with transaction.atomic():
            request = EnrolmentRequest.objects.create(
                leader=leader, cohort=cohort, requested_at=now
            )
    except IntegrityError:
        pending = EnrolmentRequest.objects.filter(leader=leader, state=State.REQUESTED).first()
        raise ApprovalError(
            _(
                "You have already asked for a place in %(cohort)s. Withdraw that request "
                "first to ask for another cohort."
            )
            % {"cohort": pending.cohort.name if pending else cohort.name}
        ) from None
    _ask(Kind.APPROVAL_REQUESTED, request)
    return request


@transaction.atomic
def withdraw(*, request: EnrolmentRequest, now: dt.datetime) -> EnrolmentRequest:
    """The leader takes back an open request (nothing else changes: it held no seat)."""
    locked = _locked_open(request)
    locked.state, locked.decided_at = State.WITHDRAWN, now
    locked.save(update_fields=["state", "decided_at"])
    return locked


# -- the decider's side ------------------------------------------------------------------


def _locked_open(request: EnrolmentRequest) -> EnrolmentRequest:
    locked = (
        EnrolmentRequest.objects.select_for_update()
        .select_related("leader__user", "leader__department", "cohort__programme")
        .filter(pk=request.pk)
        .first()
    )
    if locked is None or not locked.is_open:
        raise ApprovalError(_("This request has already been answered or withdrawn."))
    return locked


@transaction.atomic
def approve(*, request: EnrolmentRequest, by: User, by_staff: bool, now: dt.datetime) -> Enrolment:
    """Book the place through booking: a seat, or the waitlist when the cohort is full.
    A refusal from booking (the deadline, a place taken meanwhile) leaves it open."""
    locked = _locked_open(request)
    place = _active_place(locked.leader, locked.cohort, now)
    if place is not None:
        # Placed meanwhile (by HR, or their manager from Mit team): booking would refuse
        # in the leader's words; say it in the decider's.
        raise ApprovalError(
            _(
                "%(leader)s already has a place in %(cohort)s. Decline the request, or "
                "move them from My team."
            )
            % {"leader": locked.leader.name, "cohort": place.cohort.name}
        )
    enrolment = booking.enrol(
        leader=locked.leader, cohort=locked.cohort, by_staff=by_staff, now=now
    )
    locked.state, locked.decided_at, locked.decided_by = State.APPROVED, now, by
    locked.save(update_fields=["state", "decided_at", "decided_by"])
    return enrolment


@transaction.atomic
def decline(
    *, request: EnrolmentRequest, by: User, reason: str, now: dt.datetime
) -> EnrolmentRequest:
    """Refuse the request with a reason; the leader is e-mailed it."""
    reason = reason.strip()
    if not reason:
        raise ApprovalError(_("Write why the request is declined: the leader is told."))
    locked = _locked_open(request)
    locked.state, locked.decided_at, locked.decided_by = State.DECLINED, now, by
    locked.reason = reason
    locked.save(update_fields=["state", "decided_at", "decided_by", "reason"])
    leader = locked.leader
    subject, body = emails.render(
        Kind.APPROVAL_DECLINED, _values(Kind.APPROVAL_DECLINED, locked, leader.name)
    )
    outbox.queue(to=leader.user.email, subject=subject, body=body)
    return locked


# -- e-mails and reminders ---------------------------------------------------------------


def _values(kind: str, request: EnrolmentRequest, name: str) -> dict[str, str]:
    leader = request.leader
    return {
        "name": name,
        "leader": leader.name,
        "department": leader.department.name,
        "programme": request.cohort.programme.name,
        "cohort": request.cohort.name,
        "requested": formats.date_format(timezone.localtime(request.requested_at), "DATE_FORMAT"),
        "reason": request.reason,
        "days": str(settings.APPROVAL_REMINDER_DAYS),
        "link": portal_link(LINKS[kind]),
    }


def _ask(kind: str, request: EnrolmentRequest) -> None:
    text = emails.text_for(kind)
    for name, address in _recipients(request.leader):
        subject, body = emails.render(kind, _values(kind, request, name), text=text)
        outbox.queue(to=address, subject=subject, body=body)


def unanswered(now: dt.datetime) -> QuerySet[EnrolmentRequest]:
    """Open requests older than ``APPROVAL_REMINDER_DAYS``."""
    since = now - dt.timedelta(days=settings.APPROVAL_REMINDER_DAYS)
    return EnrolmentRequest.objects.filter(state=State.REQUESTED, requested_at__lte=since)


def remind_unanswered(*, now: dt.datetime) -> int:
    """Remind the deciders of each unanswered request, once; the number reminded.
    Each in its own transaction under the request's lock, so two runs never remind twice."""
    due = unanswered(now).filter(reminded_at__isnull=True)
    reminded = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            request = (
                EnrolmentRequest.objects.select_for_update()
                .select_related("leader__user", "leader__department", "cohort__programme")
                .filter(Q(pk=pk), Q(state=State.REQUESTED), Q(reminded_at__isnull=True))
                .first()
            )
            if request is None:
                continue
            _ask(Kind.APPROVAL_REMINDER, request)
            request.reminded_at = now
            request.save(update_fields=["reminded_at"])
            reminded += 1
    return reminded
