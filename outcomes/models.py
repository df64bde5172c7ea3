"""What the programme is for: the self-assessment (questionnaires, statements, answers)
and the leaders' digitalisation initiatives.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import Department, Leader, Programme
from programme.page_versions import KeptQuerySet

# --- What the programme is for: the self-assessment and the leaders' initiatives -------


class Dimension(models.TextChoices):
    """The five dimensions of digital leadership, in the programme's order."""

    LEADERSHIP = "leadership", _("Leadership")
    IT = "it", _("IT")
    PEOPLE = "people", _("People")
    PROCESSES = "processes", _("Processes")
    TASKS = "tasks", _("Tasks")


class QuestionnaireFrozen(ValidationError):
    """A change to a questionnaire that has answers: comparison needs a new version."""


FROZEN_MESSAGE = _(
    "Leaders have answered this questionnaire, so its statements and scale cannot change "
    "(before and after would no longer compare). Make a new version instead."
)


class Questionnaire(models.Model):
    """One version of the self-assessment: its scale and, through ``statements``, its questions.

    Versions are the portal's, not a programme's: a new programme starts on the newest.

    Once a leader has answered it, it is frozen (statements, their dimensions and order,
    the scale's labels): the model refuses, the admin shows it read-only, and database
    triggers (migration 0009) refuse whatever gets past both. Changes go into a new
    version (:meth:`new_version`); a leader's follow-up uses their baseline's version.
    """

    version = models.PositiveSmallIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    low_label = models.CharField(_("label of 1"), max_length=60)
    high_label = models.CharField(_("label of 5"), max_length=60)
    free_text_prompt = models.CharField(_("question for the free-text answer"), max_length=300)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_questionnaire"  # its table from before the move
        ordering = ["-version"]
        verbose_name = _("self-assessment questionnaire")
        verbose_name_plural = _("self-assessment questionnaires")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs):
        if self.pk is not None and self.is_frozen():
            old = Questionnaire.objects.filter(pk=self.pk).values("low_label", "high_label").first()
            if old and (old["low_label"], old["high_label"]) != (self.low_label, self.high_label):
                raise QuestionnaireFrozen(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def is_frozen(self) -> bool:
        return self.pk is not None and self.responses.exists()

    @classmethod
    def current(cls) -> Questionnaire | None:
        """The newest version with statements: the one a new baseline is answered on."""
        return cls.objects.filter(statements__isnull=False).distinct().order_by("-version").first()

    @transaction.atomic
    def new_version(self) -> Questionnaire:
        """A copy with the next free version number and the same statements, to edit."""
        top = Questionnaire.objects.aggregate(top=models.Max("version"))["top"]
        copy = Questionnaire.objects.create(
            version=(top or 0) + 1,
            title=self.title,
            low_label=self.low_label,
            high_label=self.high_label,
            free_text_prompt=self.free_text_prompt,
        )
        Statement.objects.bulk_create(
            Statement(questionnaire=copy, dimension=s.dimension, order=s.order, text=s.text)
            for s in self.statements.all()
        )
        return copy


class Statement(models.Model):
    """One statement of a questionnaire, answered from 1 to 5, in one of the five dimensions."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("questionnaire"),
    )
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("statement"), max_length=300)

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_statement"  # its table from before the move
        ordering = ["questionnaire", "order"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "order"],
                name="statement_order_unique_in_questionnaire",
                violation_error_message=_(
                    "Another statement of this questionnaire has that number."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    FROZEN_FIELDS = ("questionnaire_id", "dimension", "order", "text")

    def save(self, *args, **kwargs):
        questionnaire = Questionnaire(pk=self.questionnaire_id)
        if questionnaire.is_frozen():
            old = (
                Statement.objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS).first()
                if self.pk
                else None
            )
            if old is None or any(old[f] != getattr(self, f) for f in self.FROZEN_FIELDS):
                raise QuestionnaireFrozen(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Questionnaire(pk=self.questionnaire_id).is_frozen():
            raise QuestionnaireFrozen(FROZEN_MESSAGE)
        return super().delete(*args, **kwargs)


class AssessmentResponse(models.Model):
    """A leader's answers in one round. Never shown to anyone but the leader; others
    see only averages of groups of at least ``ASSESSMENT_MIN_GROUP`` leaders."""

    class Round(models.TextChoices):
        BASELINE = "baseline", _("Before (baseline)")
        FOLLOW_UP = "follow_up", _("After (follow-up)")

    leader = models.ForeignKey(
        Leader,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("leader"),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    # PROTECT: a questionnaire with answers is the yardstick; it stays.
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("questionnaire"),
    )
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    free_text = models.TextField(_("in your own words"), blank=True)
    submitted_at = models.DateTimeField(_("answered at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_assessmentresponse"  # its table from before the move
        ordering = ["leader", "submitted_at"]
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme", "round"],
                name="one_self_assessment_per_round",
                violation_error_message=_("The leader has already answered this round."),
            ),
        ]
        indexes = [models.Index(fields=["programme", "round", "leader"])]

    def __str__(self) -> str:
        return f"{self.leader_id}/{self.get_round_display()}"


class Answer(models.Model):
    # No index of its own: one_answer_per_statement's (response, statement) serves every
    # lookup by response, and each of millions of answers written kept a second one.
    response = models.ForeignKey(
        AssessmentResponse,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("self-assessment"),
        db_index=False,
    )
    # PROTECT: a statement someone answered cannot go away.
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="answers", verbose_name=_("statement")
    )
    score = models.PositiveSmallIntegerField(_("score"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_answer"  # its table from before the move
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "statement"], name="one_answer_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5),
                name="answer_score_from_1_to_5",
                violation_error_message=_("An answer is a number from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.score}"


class Initiative(models.Model):
    """A leader's own digitalisation initiative for their area."""

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        ABANDONED = "abandoned", _("Abandoned")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="initiatives", verbose_name=_("leader")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("the problem it solves for citizens or staff"))
    leadership = models.BooleanField(_("leadership"), default=False)
    it = models.BooleanField(_("IT"), default=False)
    people = models.BooleanField(_("people"), default=False)
    processes = models.BooleanField(_("processes"), default=False)
    tasks = models.BooleanField(_("tasks"), default=False)
    other_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("crosses into department"),
    )
    expected_benefit = models.TextField(_("expected benefit"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IDEA
    )
    abandoned_reason = models.TextField(_("why it was abandoned"), blank=True)
    next_step_on = models.DateField(_("date of the next step"), null=True, blank=True)
    # Shared with every leader in the catalogue (idékatalog) since then; None: the
    # leader's own (off until the leader shares it, and withdrawn by clearing it).
    shared_at = models.DateTimeField(_("shared with all leaders"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    changed_at = models.DateTimeField(_("changed at"))

    # The five dimension flags, in Dimension's order.
    DIMENSION_FIELDS = {
        Dimension.LEADERSHIP: "leadership",
        Dimension.IT: "it",
        Dimension.PEOPLE: "people",
        Dimension.PROCESSES: "processes",
        Dimension.TASKS: "tasks",
    }

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_initiative"  # its table from before the move
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("digitalisation initiative")
        verbose_name_plural = _("digitalisation initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(leadership=True)
                | Q(it=True)
                | Q(people=True)
                | Q(processes=True)
                | Q(tasks=True),
                name="initiative_touches_a_dimension",
                violation_error_message=_("Choose at least one dimension the initiative touches."),
            ),
            models.CheckConstraint(
                condition=~Q(status="abandoned") | ~Q(abandoned_reason=""),
                name="initiative_abandoned_has_reason",
                violation_error_message=_("Say why the initiative was abandoned."),
            ),
        ]
        indexes = [models.Index(fields=["programme", "leader"])]

    def __str__(self) -> str:
        return self.title

    @property
    def collaborator_ids(self) -> set[int]:
        """The co-owners' leader ids (from the prefetched co-owners, where prefetched)."""
        return {c.leader_id for c in self.collaborators.all()}

    @property
    def dimensions(self) -> list[str]:
        return [d for d, field in self.DIMENSION_FIELDS.items() if getattr(self, field)]

    @property
    def dimension_labels(self) -> list[str]:
        return [str(Dimension(d).label) for d in self.dimensions]

    @property
    def crosses_areas(self) -> bool:
        return self.other_department_id is not None


class InitiativeStatusChange(models.Model):
    """The history of an initiative's status, one row per change, with its date."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("initiative"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Initiative.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_at = models.DateTimeField(_("changed at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_initiativestatuschange"  # its table from before the move
        ordering = ["changed_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.status}"


class Collaborator(models.Model):
    """A leader who pressed "Vil samarbejde" on another leader's shared initiative, and so
    carries it with them (a co-owner, usually from another department)."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="collaborators",
        verbose_name=_("digitalisation initiative"),
    )
    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="collaborations", verbose_name=_("leader")
    )
    joined_at = models.DateTimeField(_("joined at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = _("co-owner")
        verbose_name_plural = _("co-owners")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "leader"], name="one_collaboration_per_leader"
            )
        ]

    def __str__(self) -> str:
        return f"{self.leader} – {self.initiative}"
