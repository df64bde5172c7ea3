"""Absences reported in advance, in the manager's hands: the notices of their leaders (HR:
everyone's), one of them in scope or 404, and the answer, which the leader is e-mailed.
The rules are ``programme/absences.py``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mail import notifications
from programme import absences
from programme.models import AbsenceNotice, User
from reports.rules import Scope

# Answered notices stay on the page this long, so a manager sees what was decided.
ANSWERED_SHOWN_DAYS = 30


def notices_in_scope(scope: Scope) -> QuerySet[AbsenceNotice]:
    return AbsenceNotice.objects.filter(leader__department__in=scope.departments).select_related(
        "leader__department", "session__module", "session__cohort", "decided_by"
    )


def waiting(scope: Scope) -> list[AbsenceNotice]:
    """Notices waiting for an answer, the soonest session first."""
    return list(
        notices_in_scope(scope)
        .filter(state=AbsenceNotice.State.REPORTED)
        .order_by("session__starts_at", "pk")
    )


def answered(scope: Scope, now: dt.datetime) -> list[AbsenceNotice]:
    """Notices answered in the last ``ANSWERED_SHOWN_DAYS`` days, the latest first."""
    return list(
        notices_in_scope(scope)
        .exclude(state=AbsenceNotice.State.REPORTED)
        .filter(decided_at__gte=now - dt.timedelta(days=ANSWERED_SHOWN_DAYS))
        .order_by("-decided_at", "-pk")
    )


def notice_in_scope(scope: Scope, pk: int) -> AbsenceNotice:
    """A notice of a leader in the scope, or 404: a manager learns nothing of the others."""
    return get_object_or_404(notices_in_scope(scope), pk=pk)


@transaction.atomic
def answer(*, notice: AbsenceNotice, approve: bool, by: User) -> AbsenceNotice:
    """Approve or decline the notice (:func:`programme.absences.decide`) and e-mail the
    leader the answer, in one transaction: no answer goes unsaid, none is told unsaved."""
    decided = absences.decide(notice=notice, approve=approve, by=by)
    notifications.queue_absence_answer(decided)
    return decided
