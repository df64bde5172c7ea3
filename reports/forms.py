"""The report filters and the download form, shared by the page, the drill-down and the CSV."""

from __future__ import annotations

from html import escape as _escape

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Length
from django.forms.utils import flatatt
from django.http import Http404
from django.utils.html import conditional_escape, format_html
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
        # Each option escaped by the standard library's html.escape (what Django's
        # escape() does, without its lazy-text wrapper and SafeString checks per call:
        # a third of the filters' time on HR's page went to format_html per option).
        for option_value, label in self.choices:
            option = "" if option_value is None else str(option_value)
            selected = " selected" if option in chosen else ""
            parts.append(
                f'<option value="{_escape(option)}"{selected}>{conditional_escape(label)}</option>'
            )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


# A choice among more rows than this is shown as a search box, not a list: a
# municipality's 1,500 departments and 1,200 cohorts are neither quick to send nor usable
# to scroll through (profiled: building their options was most of HR's report page).
LONG_LIST = 100
# How many of the rows a search fits are named in its message.
EXAMPLES = 5


def _search_box(label) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=200,
        label=label,
        help_text=_("Write the name or the code, or enough of it to leave one."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _choose_from(field: forms.ModelChoiceField, rows) -> None:
    """A choice field's options from rows already read: its widget then renders them
    without asking the database (a model choice field's options run its query on every
    reading otherwise)."""
    _choose_from_pairs(field, [(row.pk, field.label_from_instance(row)) for row in rows])


def _choose_from_pairs(field: forms.ModelChoiceField, pairs) -> None:
    """A choice field's options from (id, label) pairs already read."""
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.choices = [*empty, *pairs]


class ReportFilterForm(forms.Form):
    """Every field is optional: an empty form is the whole scope of the current programme.

    The department and the cohort are chosen by id (a list, or a link's
    ``?department=<id>``) or by a search box (``department_q``, ``cohort_q``: the exact
    name or code, or enough of it to leave one row; several or none is an error on the
    box naming a few of them). The page shows the list while it is short and the box
    past ``LONG_LIST`` rows (:meth:`shown_fields`; the box then shows the chosen row's
    name), deciding with one query only when it is rendered: a download asks none.
    """

    # The searchable fields: the box's name for each.
    SEARCH_BOXES = {"department": "department_q", "cohort": "cohort_q"}

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
    department_q = _search_box(_("Department"))
    cohort_q = _search_box(_("Cohort"))
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

    def __init__(
        self,
        data,
        *,
        scope: Scope,
        current: Programme | None = None,
        department_page: bool = False,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.current = current
        self.department_page = department_page
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
            # From the scope's few leaders' places (a semi-join), not every cohort probed.
            in_scope = Enrolment.objects.filter(leader__department__in=scope.departments)
            self.fields["cohort"].queryset = self.fields["cohort"].queryset.filter(
                pk__in=in_scope.values("cohort")
            )
        self._long: dict[str, bool] = {}

    def _is_long(self, name: str) -> bool:
        """Whether the list is long (shown as its box); a short one keeps its fetched
        rows. Read as (id, name) pairs, not model instances: a department and a cohort
        are labelled by their name (their ``__str__``), and HR's probes of 101 rows each
        built 202 instances on every page."""
        if name not in self._long:
            field = self.fields[name]
            pairs = list(field.queryset.values_list("pk", "name")[: LONG_LIST + 1])
            self._long[name] = len(pairs) > LONG_LIST
            if not self._long[name]:
                _choose_from_pairs(field, pairs)
        return self._long[name]

    def shown_fields(self):
        """The fields the page shows: for the department and the cohort, the list or the
        search box (the box also whenever it holds text, so its error can be read)."""
        boxes = {box: name for name, box in self.SEARCH_BOXES.items()}
        for bound in self:
            if self.department_page and bound.name in ("department", "department_q"):
                continue  # the page is the department's own
            if bound.name in self.SEARCH_BOXES:
                box = self.SEARCH_BOXES[bound.name]
                if self.data.get(box) or self._is_long(bound.name):
                    continue
            elif bound.name in boxes:
                name = boxes[bound.name]
                if not (self.data.get(bound.name) or self._is_long(name)):
                    continue
                self._name_the_chosen(name)
            elif isinstance(bound.field, forms.ModelChoiceField):
                # Read once: the widget and its checks would each ask the database again.
                _choose_from(bound.field, list(bound.field.queryset))
            yield bound

    def _name_the_chosen(self, name: str) -> None:
        """A row chosen by id shows in the box by its name."""
        box = self.SEARCH_BOXES[name]
        row = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
        if row is not None and not self.data.get(box):
            self.data = self.data.copy()
            self.data[box] = row.name

    def clean(self):
        cleaned = super().clean()
        programme = cleaned.get("programme") or self.current or Programme.current()
        cleaned["programme"] = programme
        for name, box in self.SEARCH_BOXES.items():
            text = (cleaned.get(box) or "").strip()
            if text and name in self.fields:
                queryset = self.fields[name].queryset
                if name == "cohort" and programme is not None:
                    queryset = queryset.filter(programme=programme)
                # The box's text wins over an id: it is what the person wrote last.
                cleaned[name] = self._searched_row(name, box, text, queryset)
        cohort = cleaned.get("cohort")
        if cohort is not None and programme is not None and cohort.programme_id != programme.pk:
            self.add_error("cohort", _("The cohort belongs to another programme."))
        return cleaned

    def _searched_row(self, name: str, box: str, text: str, queryset: QuerySet):
        """The one row the box's text names, or None with an error on the box.

        Compared in Python, casefolded: SQLite folds only ASCII, and "øks" is "ØKS". The
        names and codes of a scope are a few thousand short strings at most, read only
        when someone searches.
        """
        wanted = text.casefold()
        code = "code" if name == "department" else "name"
        rows = [
            (pk, row_name, row_name.casefold(), row_code.casefold())
            for pk, row_name, row_code in queryset.values_list("pk", "name", code)
        ]
        tests = [
            lambda folded, coded: wanted in (folded, coded),
            # "12" is "Hold 12", not every cohort with a 12 in its name.
            lambda folded, coded: folded.endswith(f" {wanted}"),
            lambda folded, coded: wanted in folded or wanted in coded,
        ]
        found: list[tuple[int, str]] = []
        for test in tests:
            found = [(pk, row_name) for pk, row_name, folded, coded in rows if test(folded, coded)]
            if found:
                break
        if len(found) == 1:
            return queryset.get(pk=found[0][0])
        if not found:
            self.add_error(box, self.NOT_FOUND[name] % {"text": text})
        else:
            examples = ", ".join(f"“{row_name}”" for _pk, row_name in found[:EXAMPLES])
            self.add_error(box, self.MANY_FOUND[name] % {"text": text, "examples": examples})
        return None

    NOT_FOUND = {
        "department": _("No department in your reports is called or has the code “%(text)s”."),
        "cohort": _("No cohort of this programme is called “%(text)s”."),
    }
    MANY_FOUND = {
        "department": _(
            "“%(text)s” fits more than one department, among them %(examples)s: write more "
            "of the name, or the code."
        ),
        "cohort": _(
            "“%(text)s” fits more than one cohort, among them %(examples)s: write more of the name."
        ),
    }

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
            cohort=data.get("cohort"),
            status=data.get("status", ""),
            level=data.get("level", ""),
            now=clock.now(),
        )


class ForecastFilterForm(ReportFilterForm):
    """The forecast's filters: the programme and where (an administration or centre, a
    department); the cohort, status and level do not divide a forecast."""

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        for name in ("cohort", "cohort_q", "status", "level"):
            del self.fields[name]


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
