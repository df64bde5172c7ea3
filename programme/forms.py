"""Forms of the e-mail and invitation work that the admin shows."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm

from .models import Leader


class LeaderAddForm(forms.ModelForm):
    """Adding one leader in the admin, with the choice to invite them at once."""

    send_invitation = forms.BooleanField(
        label=_("Send an invitation to sign in"),
        required=False,
        initial=True,
        help_text=_(
            "An e-mail with a link to choose a password, or, with single sign-on, telling "
            "the leader to sign in with their work account."
        ),
    )

    class Meta:
        model = Leader
        fields = ["user", "employee_number", "name", "title", "level", "department", "left_on"]


class LeaderConfirmImportForm(ConfirmImportForm):
    """The import's confirmation, with the choice to invite the new leaders."""

    send_invitations = forms.BooleanField(
        label=_("Send each new leader an invitation to sign in"),
        required=False,
    )
