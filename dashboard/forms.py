"""The leaders' forms: an absence reported in advance (afbud)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from programme.models import AbsenceNotice


class AbsenceForm(forms.ModelForm):
    """Why the leader cannot come: a reason from the short list, and a note if they like."""

    class Meta:
        model = AbsenceNotice
        fields = ["reason", "note"]
        labels = {
            "reason": _("Why can you not come?"),
            "note": _("Note for your manager (optional)"),
        }
        widgets = {
            "reason": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        }
