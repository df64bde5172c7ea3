"""Forming a cohort's or the whole programme's learning groups with one action.

Forming again replaces the groups of the same scope that HR has not edited by hand;
a group edited by hand is kept with its members, and its members are left out of the
new groups (a leader is in one group per programme). Leaders already in a group of
another scope (a cohort's group when forming for the whole programme, or the other
way round) are left out too. All in one transaction: HR sees the old groups or the
new ones, never half of each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from groups.formation import Member, form_groups
from groups.models import GroupMembership, LearningGroup
from programme import clock
from programme.models import Cohort, Enrolment, Leader, Programme


@dataclass(frozen=True)
class Formed:
    groups: int  # groups formed
    leaders: int  # leaders placed in them
    replaced: int  # groups removed, formed earlier and not edited by hand
    kept: int  # groups of the scope edited by hand, kept as they were
    elsewhere: int  # leaders left out: already in a group (kept, or of another scope)


def leaders_to_group(programme: Programme, cohort: Cohort | list[Cohort] | None):
    """The leaders enrolled (not waitlisted) in the cohort (or any of the cohorts), or in
    any cohort of the programme, who have not left the municipality."""
    enrolled = Enrolment.objects.filter(programme=programme, status=Enrolment.Status.ENROLLED)
    if isinstance(cohort, list):
        enrolled = enrolled.filter(cohort__in=cohort)
    elif cohort is not None:
        enrolled = enrolled.filter(cohort=cohort)
    return Leader.objects.filter(pk__in=enrolled.values("leader_id")).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=clock.today())
    )


@transaction.atomic
def form(programme: Programme, cohort: Cohort | None = None) -> Formed:
    """Form the cohort's groups (None: the whole programme's)."""
    return _form(programme, [cohort] if cohort is not None else None)[0]


@transaction.atomic
def form_cohorts(programme: Programme, cohorts: list[Cohort]) -> list[Formed]:
    """Form each cohort's groups, as :func:`form` one cohort at a time does, in a fixed
    number of queries for any number of cohorts (the demo's twelve thousand)."""
    return _form(programme, cohorts) if cohorts else []


def _form(programme: Programme, cohorts: list[Cohort] | None) -> list[Formed]:
    """The scopes: each of ``cohorts``, or (None) the whole programme."""
    # Two HR people forming at once: the second waits for the first (the programme's row).
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    scopes: list[Cohort | None] = cohorts if cohorts is not None else [None]
    in_scope = LearningGroup.objects.filter(programme=programme)
    in_scope = (
        in_scope.filter(cohort__in=cohorts) if cohorts is not None else in_scope.filter(cohort=None)
    )
    # (scope, edited by hand) -> groups: those not edited by hand are replaced.
    counts = Counter(in_scope.values_list("cohort_id", "edited_by_hand").order_by())
    if any(not by_hand for _, by_hand in counts):
        in_scope.filter(edited_by_hand=False).delete()
    to_group = leaders_to_group(programme, cohorts)
    # Of these leaders, those already in a group: a semi-join over the scope's leaders,
    # not every membership of the programme read (and sorted) once per cohort.
    taken = set(
        GroupMembership.objects.filter(programme=programme, leader__in=to_group.values("pk"))
        .order_by()
        .values_list("leader_id", flat=True)
    )
    areas = to_group.annotate(area=Coalesce("department__parent_id", "department_id"))
    members: dict[int | None, list[Member]] = {
        scope.pk if scope is not None else None: [] for scope in scopes
    }
    seated = Enrolment.objects.filter(
        programme=programme, status=Enrolment.Status.ENROLLED, leader=OuterRef("pk")
    )
    if cohorts is not None:  # each leader's cohort: their one place in the programme
        areas = areas.annotate(scope=Subquery(seated.values("cohort_id")[:1]))
    else:
        areas = areas.annotate(scope=Value(None, output_field=IntegerField()))
    for pk, department, area, scope in areas.values_list("pk", "department_id", "area", "scope"):
        members[scope].append(Member(pk, department, area))
    formed, planned = [], []
    for scope in scopes:
        key = scope.pk if scope is not None else None
        free = [m for m in members[key] if m.leader_id not in taken]
        groups = form_groups(free)
        first = counts[(key, True)] + 1
        planned += [
            (
                LearningGroup(
                    programme=programme, cohort=scope, name=_group_name(first + n, scope)
                ),
                g,
            )
            for n, g in enumerate(groups)
        ]
        formed.append(
            Formed(
                groups=len(groups),
                leaders=len(free),
                replaced=counts[(key, False)],
                kept=counts[(key, True)],
                elsewhere=len(members[key]) - len(free),
            )
        )
    rows = LearningGroup.objects.bulk_create([group for group, _ in planned])
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(group=row, leader_id=member.leader_id, programme=programme)
            for row, (_, group) in zip(rows, planned, strict=True)
            for member in group
        ]
    )
    return formed


def _group_name(number: int, cohort: Cohort | None) -> str:
    if cohort is None:
        return gettext("Learning group %(number)s") % {"number": number}
    return gettext("%(cohort)s: learning group %(number)s") % {
        "cohort": cohort.name,
        "number": number,
    }
