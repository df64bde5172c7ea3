"""Keep each leader's :class:`~programme.models.Standing` in step with what it summarises.

Every save or delete of attendance, a place, a make-up or a session refreshes the
standings it touches, in the same transaction, so a page never shows progress
that the rows behind it contradict. A row that changes hands (an attendance or
a make-up given to another leader, a session moved to another cohort) refreshes
both the old and the new owners: each save reads who they were first
(:func:`programme.models.read_before_save`, asked for below).

Bulk writes send no signals: the code that writes in bulk (the attendance sheet,
booking's bulk functions for the demo data) calls
:func:`programme.progress.refresh_standings` itself, and
``manage.py refresh_standings`` rebuilds everything. (The kept pages need no such
call: the models' QuerySet replaces their versions, programme/pagecache.py.)
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from programme.models import (
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    User,
    read_before_save,
    stored_before_save,
)
from programme.progress import refresh_standings

# Deleting one of these takes its standings with it: nothing to refresh.
_GOING_AWAY = (Leader, User, Programme)


def _refresh(programme_id: int | None, leader_ids, origin=None) -> None:
    origin_model = getattr(origin, "model", type(origin))
    if origin is not None and issubclass(origin_model, _GOING_AWAY):
        return
    leader_ids = {pk for pk in leader_ids if pk is not None} if leader_ids is not None else None
    if programme_id is None or leader_ids == set():
        return
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is not None:
        refresh_standings(programme, leader_ids)


def _programme_of_session(session_id: int) -> int | None:
    return Module.objects.filter(sessions=session_id).values_list("programme", flat=True).first()


# Before a save: the fields whose old values say whose progress it changed.
read_before_save(Attendance, "leader_id", "session_id")
read_before_save(MakeUpBooking, "leader_id", "session_id")
read_before_save(Enrolment, "leader_id", "programme_id", "cohort_id", "status")
read_before_save(Session, "cohort_id", "module__programme_id")
read_before_save(Module, "required")


@receiver([post_save, post_delete], sender=Attendance)
@receiver([post_save, post_delete], sender=MakeUpBooking)
def seat_or_record_changed(sender, instance, origin=None, **kwargs) -> None:
    previous = stored_before_save(instance)
    pairs = {(instance.leader_id, instance.session_id)}
    if previous:
        pairs.add((previous["leader_id"], previous["session_id"]))
    by_programme: dict[int | None, set[int]] = {}
    for leader_id, session_id in pairs:
        by_programme.setdefault(_programme_of_session(session_id), set()).add(leader_id)
    for programme_id, leader_ids in by_programme.items():
        _refresh(programme_id, leader_ids, origin)


@receiver([post_save, post_delete], sender=Enrolment)
def place_changed(sender, instance: Enrolment, origin=None, **kwargs) -> None:
    # Only a seat makes a leader expected at sessions: a waiting place that is taken,
    # left or closed changes nobody's progress.
    previous = stored_before_save(instance)
    seated = Enrolment.Status.ENROLLED
    if seated not in (instance.status, previous.get("status")):
        return
    _refresh(instance.programme_id, {instance.leader_id}, origin)
    if previous and (previous["leader_id"], previous["programme_id"]) != (
        instance.leader_id,
        instance.programme_id,
    ):
        _refresh(previous["programme_id"], {previous["leader_id"]}, origin)


def _expected_at(cohort_id: int | None, session_id: int | None) -> set[int]:
    leaders = set(
        Enrolment.objects.filter(cohort=cohort_id, status=Enrolment.Status.ENROLLED).values_list(
            "leader", flat=True
        )
    )
    if session_id is not None:
        leaders.update(
            MakeUpBooking.objects.filter(session=session_id).values_list("leader", flat=True)
        )
    return leaders


@receiver([post_save, post_delete], sender=Session)
def session_changed(sender, instance: Session, origin=None, **kwargs) -> None:
    # A session moved in time changes when its leaders count as behind; moved to
    # another cohort, it changes whom it expects. Old and new cohorts both.
    previous = stored_before_save(instance)
    leaders = _expected_at(instance.cohort_id, instance.pk)
    if previous and previous["cohort_id"] != instance.cohort_id:
        leaders |= _expected_at(previous["cohort_id"], None)
    # Whoever attended it may have completed a module there.
    leaders.update(Attendance.objects.filter(session=instance.pk).values_list("leader", flat=True))
    programme_id = instance.module.programme_id
    _refresh(programme_id, leaders, origin)
    if previous and previous["module__programme_id"] != programme_id:
        _refresh(previous["module__programme_id"], leaders, origin)


@receiver(post_save, sender=Module)
def module_changed(sender, instance: Module, created: bool, **kwargs) -> None:
    # A module made required or optional, or a new one, changes every leader's count:
    # rare, and whole. A new title changes nobody's progress.
    if created or stored_before_save(instance).get("required") != instance.required:
        _refresh(instance.programme_id, None)


@receiver(post_delete, sender=Module)
def module_removed(sender, instance: Module, origin=None, **kwargs) -> None:
    _refresh(instance.programme_id, None, origin)
