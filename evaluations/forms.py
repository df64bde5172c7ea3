"""The leader's evaluation of a session."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.models import SCORES


def _score(label: str) -> forms.TypedChoiceField:
    message = _("Choose an answer from 1 to 5.")
    return forms.TypedChoiceField(
        label=label,
        choices=[(n, str(n)) for n in SCORES],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


class EvaluationForm(forms.Form):
    relevance = _score(_("How relevant was the session for your work?"))
    facilitation = _score(_("How well did the facilitator run the session?"))
    different = forms.CharField(
        label=_("What will you do differently after the session?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )
