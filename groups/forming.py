"""Forming a cohort's or the whole programme's learning groups with one action.

Forming again replaces the groups of the same scope that HR has not edited by hand;
a group edited by hand is kept with its members, and its members are left out of the
new groups (a leader is in one group per programme). Leaders already in a group of
another scope (a cohort's group when forming for the whole programme, or the other
way round) are left out too. All in one transaction: HR sees the old groups or the
new ones, never half of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
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


def leaders_to_group(programme: Programme, cohort: Cohort | None):
    """The leaders enrolled (not waitlisted) in the cohort, or in any cohort of the
    programme, who have not left the municipality."""
    enrolled = Enrolment.objects.filter(programme=programme, status=Enrolment.Status.ENROLLED)
    if cohort is not None:
        enrolled = enrolled.filter(cohort=cohort)
    return Leader.objects.filter(pk__in=enrolled.values("leader_id")).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=clock.today())
    )


@transaction.atomic
def form(programme: Programme, cohort: Cohort | None = None) -> Formed:
    # Two HR people forming at once: the second waits for the first (the programme's row).
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    scope = LearningGroup.objects.filter(programme=programme, cohort=cohort)
    _, deleted = scope.filter(edited_by_hand=False).delete()
    replaced = deleted.get(LearningGroup._meta.label, 0)
    kept = scope.count()
    to_group = leaders_to_group(programme, cohort)
    # Of these leaders, those already in a group: a semi-join over the scope's leaders,
    # not every membership of the programme read (and sorted) once per cohort.
    taken = set(
        GroupMembership.objects.filter(programme=programme, leader__in=to_group.values("pk"))
        .order_by()
        .values_list("leader_id", flat=True)
    )
    areas = to_group.annotate(area=Coalesce("department__parent_id", "department_id"))
    candidates = list(areas.values_list("pk", "department_id", "area"))
    members = [Member(pk, department, area) for pk, department, area in candidates]
    free = [m for m in members if m.leader_id not in taken]
    groups = form_groups(free)
    first = kept + 1
    rows = LearningGroup.objects.bulk_create(
        [
            LearningGroup(
                programme=programme,
                cohort=cohort,
                name=_group_name(first + index, cohort),
            )
            for index in range(len(groups))
        ]
    )
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(group=row, leader_id=member.leader_id, programme=programme)
            for row, group in zip(rows, groups, strict=True)
            for member in group
        ]
    )
    return Formed(
        groups=len(groups),
        leaders=len(free),
        replaced=replaced,
        kept=kept,
        elsewhere=len(members) - len(free),
    )


def _group_name(number: int, cohort: Cohort | None) -> str:
    if cohort is None:
        return gettext("Learning group %(number)s") % {"number": number}
    return gettext("%(cohort)s: learning group %(number)s") % {
        "cohort": cohort.name,
        "number": number,
    }
