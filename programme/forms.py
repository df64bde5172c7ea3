"""Forms for logins: which login a leader may have."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import accounts
from .models import Leader, User


class LeaderAdminForm(forms.ModelForm):
    """The admin's leader form: the login must be one a leader may have.

    A login that is an administrator's or another leader's is refused, whoever edits:
    attached to a leader it could be changed, or switched off by anonymisation, by
    someone without the right to change it. The leader's current login stays valid.
    """

    class Meta:
        model = Leader
        fields = ["user", "employee_number", "name", "title", "level", "department", "left_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("user")
        if field is None:
            return
        logins = accounts.attachable_logins()
        if self.instance.user_id:
            logins = logins | User.objects.filter(pk=self.instance.user_id)
        field.queryset = logins
        field.error_messages["invalid_choice"] = _(
            "This login cannot be a leader's: it belongs to an administrator or to another "
            "leader. Choose the leader's own login, or create one for them."
        )
