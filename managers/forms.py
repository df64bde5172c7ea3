"""The filters of *Mit team*: the reports' own filter form (the same scope, the same
department search box past a long list, the same 404 for a department outside the
scope), for the current programme, with the statuses a manager asks about; and the cohort
a manager enrols a leader into or moves them to."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from managers.team import STATUS_CHOICES
from programme.models import Cohort
from reports.forms import ReportFilterForm
from reports.rules import Scope


class TeamFilterForm(ReportFilterForm):
    def __init__(self, data, *, scope: Scope, **kwargs):
        super().__init__(data, scope=scope, **kwargs)
        # The current programme's team: the programme is not a choice here.
        del self.fields["programme"]
        status = self.fields["status"]
        status.choices = [status.choices[0], *STATUS_CHOICES]


def cohort_label(cohort: Cohort) -> str:
    """ "Hold 5 (3 free seats)", or "Hold 4 (full)"."""
    free = max(cohort.seats_free, 0)
    if free == 0:
        return gettext("%(cohort)s (full)") % {"cohort": cohort.name}
    return ngettext("%(cohort)s (%(free)s free seat)", "%(cohort)s (%(free)s free seats)", free) % {
        "cohort": cohort.name,
        "free": free,
    }


class PlaceForm(forms.Form):
    """The cohort a manager enrols a leader into or moves them to: one that still takes
    enrolments (:func:`managers.places.open_cohorts`, read once), with its free seats."""

    cohort = forms.TypedChoiceField(label=_("Cohort"), coerce=int)

    def __init__(self, *args, cohorts, exclude: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohorts = {cohort.pk: cohort for cohort in cohorts if cohort.pk != exclude}
        self.fields["cohort"].choices = [("", gettext("Choose a cohort"))] + [
            (pk, cohort_label(cohort)) for pk, cohort in self.cohorts.items()
        ]

    def clean_cohort(self) -> Cohort:
        return self.cohorts[self.cleaned_data["cohort"]]


class ReserveForm(forms.Form):
    """A cohort with free seats whose release day has not come, and how many seats."""

    cohort = forms.TypedChoiceField(label=_("Cohort"), coerce=int)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohorts = {cohort.pk: cohort for cohort in cohorts}
        self.fields["cohort"].choices = [("", gettext("Choose a cohort"))] + [
            (pk, cohort_label(cohort)) for pk, cohort in self.cohorts.items()
        ]

    def clean_cohort(self) -> Cohort:
        return self.cohorts[self.cleaned_data["cohort"]]


class NameForm(forms.Form):
    """A leader of the manager's departments without a place, for one reserved seat."""

    leader = forms.TypedChoiceField(label=_("Leader"), coerce=int)

    def __init__(self, *args, leaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.leaders = {leader.pk: leader for leader in leaders}
        self.fields["leader"].choices = [("", gettext("Choose a leader"))] + [
            (pk, f"{leader.name} ({leader.department.name})") for pk, leader in self.leaders.items()
        ]

    def clean_leader(self):
        return self.leaders[self.cleaned_data["leader"]]


class DecisionForm(forms.Form):
    """A manager's answer to a request for a place: approve, or decline with a reason."""

    APPROVE, DECLINE = "approve", "decline"

    action = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (DECLINE, _("Decline"))])
    reason = forms.CharField(
        label=_("Reason (needed to decline; the leader is told)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == self.DECLINE and not data.get("reason", "").strip():
            self.add_error(
                "reason", gettext("Write why the request is declined: the leader is told.")
            )
        return data
