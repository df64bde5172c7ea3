"""The report filters and the download form, shared by the page, the drill-down and the CSV."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from . import clock
from .csv_export import Dialect
from .models import Cohort, Dimension, Enrolment, Initiative, Leader, Programme
from .reports import Filters, Scope, Status


class ReportFilterForm(forms.Form):
    """Every field is optional: an empty form is the whole scope of the current programme."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.all(), required=False, label=_("Programme"), empty_label=None
    )
    department = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Department"), empty_label=_("All departments")
    )
    cohort = forms.ModelChoiceField(
        # "Hold 2" before "Hold 10".
        queryset=Cohort.objects.order_by("programme", Length("name"), "name"),
        required=False,
        label=_("Cohort"),
        empty_label=_("All cohorts"),
    )
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), *Status.CHOICES], required=False, label=_("Status")
    )
    level = forms.ChoiceField(
        choices=[("", _("All levels")), *Leader.Level.choices],
        required=False,
        label=_("Leadership level"),
    )

    def __init__(self, data, *, scope: Scope, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["department"].queryset = scope.departments
        if not scope.is_hr:
            # A manager chooses among the cohorts their own leaders are in, not every
            # cohort in the municipality (a long list to send, and not theirs to browse).
            in_scope = Enrolment.objects.filter(
                cohort=OuterRef("pk"), leader__department__in=scope.departments
            )
            self.fields["cohort"].queryset = self.fields["cohort"].queryset.filter(Exists(in_scope))

    def clean(self):
        cleaned = super().clean()
        programme = cleaned.get("programme") or Programme.current()
        cleaned["programme"] = programme
        cohort = cleaned.get("cohort")
        if cohort is not None and programme is not None and cohort.programme_id != programme.pk:
            self.add_error("cohort", _("The cohort belongs to another programme."))
        return cleaned

    def filters(self) -> Filters | None:
        """The filters, or None when the input is invalid (the page then shows the errors).

        A department outside the user's scope is a 404, never an empty report: a
        manager cannot tell another department's id from one that does not exist.
        """
        valid = self.is_valid()
        if "department" in self.errors:
            raise Http404("No such department in your reports.")
        if not valid or self.cleaned_data["programme"] is None:
            return None
        data = self.cleaned_data
        return Filters(
            programme=data["programme"],
            department=data["department"],
            cohort=data["cohort"],
            status=data["status"],
            level=data["level"],
            now=clock.now(),
        )


class DownloadForm(forms.Form):
    dialect = forms.ChoiceField(
        choices=Dialect.CHOICES,
        initial=Dialect.EXCEL_DA,
        required=False,
        widget=forms.RadioSelect,
        label=_("File format"),
    )

    def dialect_name(self) -> str:
        if self.is_valid() and self.cleaned_data["dialect"]:
            return self.cleaned_data["dialect"]
        return Dialect.EXCEL_DA


class OutcomeFilterForm(ReportFilterForm):
    """The programme owner's view: the completion filters without completion's status,
    with the initiatives' status and dimension."""

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

    def __init__(self, data, *, scope: Scope, **kwargs):
        super().__init__(data, scope=scope, **kwargs)
        del self.fields["status"]

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("status", "")
        return cleaned
