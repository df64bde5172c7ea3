"""Learning groups (læringsgrupper): a few leaders mixed across areas who meet between
the modules. HR forms them with one action (:mod:`groups.forming`, by the rule in
:mod:`groups.formation`) and adjusts them by hand in the admin.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from programme.models import Cohort, Leader, Programme
from programme.page_versions import KeptQuerySet

ONE_GROUP_MESSAGE = _("The leader is already in a learning group in this programme.")


class LearningGroup(models.Model):
    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        related_name="learning_groups",
        verbose_name=_("programme"),
    )
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="learning_groups",
        verbose_name=_("cohort"),
        help_text=_("Empty: the group is formed across the whole programme."),
    )
    name = models.CharField(_("name"), max_length=200)
    next_meeting = models.DateTimeField(_("next meeting"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    # Set when HR changes the group or its members by hand: forming the groups again
    # keeps such a group (and its members) as it is.
    edited_by_hand = models.BooleanField(
        _("edited by hand"),
        default=False,
        help_text=_("Forming the groups again keeps a group edited by hand."),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "cohort", "name", "pk"]
        verbose_name = _("learning group")
        verbose_name_plural = _("learning groups")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.pk])

    def clean(self) -> None:
        if (
            self.cohort_id is not None
            and self.programme_id is not None
            and self.cohort.programme_id != self.programme_id
        ):
            raise ValidationError({"cohort": _("The cohort belongs to another programme.")})


class GroupMembership(models.Model):
    """A leader in a learning group. Carries the group's programme, so the database can
    hold a leader to one group per programme."""

    group = models.ForeignKey(
        LearningGroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("learning group"),
    )
    leader = models.ForeignKey(
        Leader,
        on_delete=models.CASCADE,
        related_name="group_memberships",
        verbose_name=_("leader"),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["group", "leader__name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme"],
                name="one_learning_group_per_programme",
                violation_error_message=ONE_GROUP_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} – {self.group}"

    def save(self, *args, **kwargs):
        self.programme_id = self.group.programme_id
        super().save(*args, **kwargs)
