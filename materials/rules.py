"""Who sees which material, and from when: a leader with a seat at a session (their
cohort's, or a make-up seat) sees its materials and its module's from ``days_before``
days before it starts. Nobody else: a material is a 404 to a leader it is not for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from materials.models import Material
from programme.models import Enrolment, Leader, Session


@dataclass(frozen=True)
class Shown:
    material: Material
    session: Session
    from_: dt.datetime

    def visible(self, now: dt.datetime) -> bool:
        return now >= self.from_


def held_sessions(leader: Leader) -> list[Session]:
    """The sessions the leader has a seat at: their cohort's (a seat, not the waitlist)
    and their make-ups."""
    return list(
        Session.objects.filter(
            Q(
                cohort__enrolments__leader=leader,
                cohort__enrolments__status=Enrolment.Status.ENROLLED,
            )
            | Q(makeups__leader=leader)
        )
        .select_related("module")
        .distinct()
        .order_by("starts_at", "pk")
    )


def for_leader(leader: Leader) -> list[Shown]:
    """Every material of the leader's sessions, with the session and the moment it is
    shown from (shown or not yet): two queries."""
    sessions = held_sessions(leader)
    by_id = {s.pk: s for s in sessions}
    modules: dict[int, list[Session]] = {}
    for session in sessions:
        modules.setdefault(session.module_id, []).append(session)
    materials = Material.objects.filter(
        Q(session_id__in=list(by_id)) | Q(module_id__in=list(modules))
    ).order_by("title", "pk")
    shown = []
    for material in materials:
        targets = (
            [by_id[material.session_id]] if material.session_id else modules[material.module_id]
        )
        for session in targets:
            start = session.starts_at - dt.timedelta(days=material.days_before)
            shown.append(Shown(material, session, start))
    return sorted(shown, key=lambda s: (s.session.starts_at, s.session.pk, s.material.title))


def may_open(leader: Leader | None, material: Material, now: dt.datetime) -> bool:
    """Whether ``leader`` may open the material now (HR opens any in the admin)."""
    if leader is None:
        return False
    return any(
        shown.material.pk == material.pk and shown.visible(now) for shown in for_leader(leader)
    )
