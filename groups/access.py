"""Who may see a learning group: its members and HR. Anyone else is told the group does
not exist (404), so an id changed in a URL reveals nothing."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from groups.models import GroupMembership, LearningGroup


def visible_group(request: HttpRequest, pk: int) -> LearningGroup:
    group = LearningGroup.objects.select_related("programme", "cohort").filter(pk=pk).first()
    if group is None:
        raise Http404("No such learning group.")
    if request.user.is_hr:
        return group
    leader = getattr(request.user, "leader", None)
    if leader is None or not GroupMembership.objects.filter(group=group, leader=leader).exists():
        raise Http404("No such learning group.")
    return group


def group_of(leader_id: int, programme_id: int) -> LearningGroup | None:
    """The leader's learning group in the programme, if they have one."""
    membership = (
        GroupMembership.objects.filter(leader_id=leader_id, programme_id=programme_id)
        .select_related("group")
        .first()
    )
    return membership.group if membership is not None else None
