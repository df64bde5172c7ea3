"""Keep each leader's :class:`~programme.models.Standing` in step with what it summarises.

Every save or delete of attendance, a place, a make-up or a session refreshes the
standings it touches, in the same transaction, so a report never shows progress
that the rows behind it contradict. Bulk writes do not send signals: the code
that writes in bulk (the attendance sheet, the demo data) calls
:func:`programme.progress.refresh_standings` itself, and
``manage.py refresh_standings`` rebuilds everything.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import (
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    User,
)
from .progress import refresh_standings

# Deleting one of these takes its standings with it: nothing to refresh.
_GOING_AWAY = (Leader, User, Programme)


def _refresh(programme_id: int, leader_ids, origin=None) -> None:
    origin_model = getattr(origin, "model", type(origin))
    if origin is not None and issubclass(origin_model, _GOING_AWAY):
        return
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is not None:
        refresh_standings(programme, leader_ids)


@receiver([post_save, post_delete], sender=Attendance)
def attendance_changed(sender, instance: Attendance, origin=None, **kwargs) -> None:
    programme_id = (
        Module.objects.filter(sessions=instance.session_id).values_list("programme", flat=True)
    ).first()
    if programme_id is not None:
        _refresh(programme_id, [instance.leader_id], origin)


@receiver([post_save, post_delete], sender=Enrolment)
def enrolment_changed(sender, instance: Enrolment, origin=None, **kwargs) -> None:
    _refresh(instance.programme_id, [instance.leader_id], origin)


@receiver([post_save, post_delete], sender=MakeUpBooking)
def makeup_changed(sender, instance: MakeUpBooking, origin=None, **kwargs) -> None:
    programme_id = (
        Module.objects.filter(sessions=instance.session_id).values_list("programme", flat=True)
    ).first()
    if programme_id is not None:
        _refresh(programme_id, [instance.leader_id], origin)


@receiver([post_save, post_delete], sender=Session)
def session_changed(sender, instance: Session, origin=None, **kwargs) -> None:
    # A session moved in time changes when its cohort's leaders (and its make-up
    # guests) count as behind.
    leaders = set(
        Enrolment.objects.filter(
            cohort=instance.cohort_id, status=Enrolment.Status.ENROLLED
        ).values_list("leader", flat=True)
    )
    leaders.update(
        MakeUpBooking.objects.filter(session=instance.pk).values_list("leader", flat=True)
    )
    if leaders:
        _refresh(instance.module.programme_id, leaders, origin)


@receiver(pre_save, sender=Module)
def module_about_to_change(sender, instance: Module, **kwargs) -> None:
    instance._was_required = (
        Module.objects.filter(pk=instance.pk).values_list("required", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Module)
def module_changed(sender, instance: Module, created: bool, **kwargs) -> None:
    # A module made required or optional, or a new one, changes every leader's count:
    # rare, and whole. A new title changes nobody's progress.
    if created or instance._was_required != instance.required:
        _refresh(instance.programme_id, None)


@receiver(post_delete, sender=Module)
def module_removed(sender, instance: Module, origin=None, **kwargs) -> None:
    _refresh(instance.programme_id, None, origin)
