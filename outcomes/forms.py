"""The outcomes' forms: the leader's self-assessment and initiative, and the programme
owner's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes.assessment import Grouping
from outcomes.models import Dimension, Initiative, Questionnaire, Statement
from programme.models import Department, Leader
from reports.forms import FastSelect, ReportFilterForm
from reports.rules import Scope


class AssessmentForm(forms.Form):
    """One round of the self-assessment: a 1–5 answer per statement, and free text.

    Built from the questionnaire's statements; :meth:`by_dimension` groups the fields
    for the page. Every statement must be answered.
    """

    free_text = forms.CharField(
        required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, questionnaire: Questionnaire, statements: list[Statement], **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.statements = statements
        message = _("Choose an answer from 1 to 5 for this statement.")
        for statement in statements:
            field = forms.TypedChoiceField(
                choices=[(n, str(n)) for n in range(1, 6)],
                coerce=int,
                widget=forms.RadioSelect,
                label=statement.text,
                error_messages={"required": message, "invalid_choice": message},
            )
            field.statement = statement
            self.fields[self.field_name(statement)] = field
        self.fields["free_text"].label = questionnaire.free_text_prompt
        # The free text comes last on the page.
        self.order_fields([*(self.field_name(s) for s in statements), "free_text"])

    @staticmethod
    def field_name(statement: Statement) -> str:
        return f"statement_{statement.pk}"

    def by_dimension(self) -> list[tuple[str, list]]:
        groups = []
        for dimension, label in Dimension.choices:
            fields = [self[self.field_name(s)] for s in self.statements if s.dimension == dimension]
            if fields:
                groups.append((label, fields))
        return groups

    def scores(self) -> dict[int, int]:
        return {s.pk: self.cleaned_data[self.field_name(s)] for s in self.statements}


class InitiativeForm(forms.ModelForm):
    """A leader's initiative: the form checks what the database's constraints require."""

    dimensions = forms.MultipleChoiceField(
        choices=Dimension.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Which of the five dimensions does it touch?"),
        error_messages={"required": _("Choose at least one dimension the initiative touches.")},
    )
    crosses_areas = forms.BooleanField(
        required=False, label=_("It crosses into another area (department)")
    )
    share = forms.BooleanField(
        required=False,
        label=_("Share it with all leaders in the catalogue of ideas"),
        help_text=_(
            "Other leaders can then find it, with your name and department, and get in "
            "touch with you. You can withdraw it at any time."
        ),
    )

    class Meta:
        model = Initiative
        fields = [
            "title",
            "problem",
            "dimensions",
            "crosses_areas",
            "other_department",
            "expected_benefit",
            "status",
            "abandoned_reason",
            "next_step_on",
            "share",
        ]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 3}),
            "expected_benefit": forms.Textarea(attrs={"rows": 3}),
            "abandoned_reason": forms.Textarea(attrs={"rows": 2}),
            "next_step_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "other_department": _("Only when it crosses into another area."),
            "abandoned_reason": _("Only when the status is “Abandoned”."),
        }

    def __init__(self, *args, leader: Leader, **kwargs):
        super().__init__(*args, **kwargs)
        self.leader = leader
        self.fields["other_department"].queryset = Department.objects.exclude(
            pk=leader.department_id
        )
        self.fields["other_department"].required = False
        if self.instance.pk:
            self.initial["dimensions"] = self.instance.dimensions
            self.initial["crosses_areas"] = self.instance.crosses_areas
            self.initial["share"] = self.instance.shared_at is not None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("crosses_areas") and not cleaned.get("other_department"):
            self.add_error("other_department", _("Choose the department it crosses into."))
        if not cleaned.get("crosses_areas"):
            cleaned["other_department"] = None
        status = cleaned.get("status")
        if (
            status == Initiative.Status.ABANDONED
            and not cleaned.get("abandoned_reason", "").strip()
        ):
            self.add_error("abandoned_reason", _("Say why the initiative was abandoned."))
        if status != Initiative.Status.ABANDONED:
            cleaned["abandoned_reason"] = ""
        return cleaned

    def _post_clean(self):
        # The dimension flags come from the one multiple choice before the model is checked.
        chosen = set(self.cleaned_data.get("dimensions") or [])
        for dimension, name in Initiative.DIMENSION_FIELDS.items():
            setattr(self.instance, name, dimension in chosen)
        self.instance.leader = self.leader
        super()._post_clean()


class OutcomeFilterForm(ReportFilterForm):
    """The programme owner's view: the completion filters without completion's status,
    with the initiatives' status and dimension, and HR's grouping of the self-assessment.

    The self-assessment reads only the programme, the department or administration and
    the grouping (:func:`outcomes.assessment.aggregates`); the level and the cohort
    filter the initiatives only: a group cut by them would not be whole blocks of leaders.
    """

    grouping = forms.ChoiceField(
        choices=Grouping.CHOICES,
        required=False,
        label=_("Self-assessment by"),
        widget=FastSelect,
    )
    initiative_status = forms.ChoiceField(
        choices=[("", _("All statuses")), *Initiative.Status.choices],
        required=False,
        label=_("Initiative status"),
    )
    dimension = forms.ChoiceField(
        choices=[("", _("All dimensions")), *Dimension.choices],
        required=False,
        label=_("Initiative touches"),
    )

    field_order = ["programme", "unit", "department", "grouping"]

    def __init__(self, data, *, scope: Scope, **kwargs):
        super().__init__(data, scope=scope, **kwargs)
        del self.fields["status"]
        self.fields["level"].label = _("Initiatives: leadership level")
        self.fields["cohort"].label = self.fields["cohort_q"].label = _("Initiatives: cohort")
        if not scope.is_hr:
            # A manager sees their own departments: nothing to group.
            del self.fields["grouping"]

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("status", "")
        cleaned["grouping"] = cleaned.get("grouping") or Grouping.AREA
        return cleaned


class CatalogueForm(forms.Form):
    """The catalogue's search and filters: every field optional (all shared initiatives)."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        help_text=_("Words from the title, the problem or the expected benefit."),
    )
    dimension = forms.ChoiceField(
        choices=[("", _("All dimensions")), *Dimension.choices],
        required=False,
        label=_("Dimension"),
    )
    area = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label=_("Administration or centre"),
        empty_label=_("All areas"),
        widget=FastSelect,
    )
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), *Initiative.Status.choices],
        required=False,
        label=_("Status"),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
