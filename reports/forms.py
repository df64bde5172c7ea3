"""The report filters and the download form, shared by the page, the drill-down and the CSV."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length
from django.forms.utils import flatatt
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from programme import clock
from programme.models import Cohort, Department, Enrolment, Leader, Programme
from reports.csv_export import Dialect
from reports.rules import Filters, Scope, Status


class FastSelect(forms.Select):
    """A select whose options are written in Python, not one template each: the
    national report's filters list 1,500 departments and 1,200 cohorts, which took
    Django's per-option templates seconds (profiled: 10 of 11 s of the page)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        parts = [format_html("<select{}>", flatatt(final_attrs))]
        for option_value, label in self.choices:
            option = "" if option_value is None else str(option_value)
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option,
                    mark_safe(" selected") if option in chosen else "",  # noqa: S308
                    label,
                )
            )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


class ReportFilterForm(forms.Form):
    """Every field is optional: an empty form is the whole scope of the current programme."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.all(),
        required=False,
        label=_("Programme"),
        empty_label=None,
        widget=FastSelect,
    )
    unit = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Administration or centre"),
        empty_label=_("The whole organisation"),
        widget=FastSelect,
    )
    department = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Department"),
        empty_label=_("All departments"),
        widget=FastSelect,
    )
    cohort = forms.ModelChoiceField(
        # "Hold 2" before "Hold 10".
        queryset=Cohort.objects.order_by("programme", Length("name"), "name"),
        required=False,
        label=_("Cohort"),
        empty_label=_("All cohorts"),
        widget=FastSelect,
    )
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), *Status.CHOICES],
        required=False,
        label=_("Status"),
        widget=FastSelect,
    )
    level = forms.ChoiceField(
        choices=[("", _("All levels")), *Leader.Level.choices],
        required=False,
        label=_("Leadership level"),
        widget=FastSelect,
    )

    def __init__(self, data, *, scope: Scope, current: Programme | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.current = current
        self.fields["department"].queryset = scope.departments
        if scope.is_hr:
            # Only the administrations and centres that have departments under them.
            units = Department.objects.filter(
                Exists(Department.objects.filter(parent=OuterRef("pk")))
            )
            self.fields["unit"].queryset = units
        else:
            # A manager's few departments need no grouping.
            del self.fields["unit"]
        if not scope.is_hr:
            # A manager chooses among the cohorts their own leaders are in, not every
            # cohort in the municipality (a long list to send, and not theirs to browse).
            in_scope = Enrolment.objects.filter(
                cohort=OuterRef("pk"), leader__department__in=scope.departments
            )
            self.fields["cohort"].queryset = self.fields["cohort"].queryset.filter(Exists(in_scope))

    def clean(self):
        cleaned = super().clean()
        programme = cleaned.get("programme") or self.current or Programme.current()
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
        if "department" in self.errors or "unit" in self.errors:
            raise Http404("No such department in your reports.")
        if not valid or self.cleaned_data["programme"] is None:
            return None
        data = self.cleaned_data
        return Filters(
            programme=data["programme"],
            department=data["department"],
            unit=data.get("unit"),
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
