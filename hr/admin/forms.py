"""The forms the admin defines itself; the model forms it uses are in hr/forms.py."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.forms import SetUnusablePasswordMixin
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from programme.models import Cohort


class AdminPasswordChangeForm(DjangoAdminPasswordChangeForm):
    # Django joins its warning to the help text as an English string when it is
    # imported, so the Danish translation never shows; joined lazily here instead.
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


class CohortChoiceForm(forms.Form):
    """The intermediate page of the seat actions: the cohort, with its free seats."""

    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cohorts = (
            Cohort.objects.with_seats().select_related("programme").order_by("programme", "name")
        )
        field = self.fields["cohort"]
        field.queryset = cohorts
        field.label_from_instance = lambda c: (
            gettext(
                "%(cohort)s (%(programme)s): %(free)s of %(seats)s seats free, %(waiting)s waiting"
            )
            % {
                "cohort": c.name,
                "programme": c.programme.name,
                "free": max(c.capacity - c.seats_taken, 0),
                "seats": c.capacity,
                "waiting": c.waitlist_length,
            }
        )
