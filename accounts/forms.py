"""The forms of a person's own pages: what e-mail they want (*Min profil*)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mail.models import MailPreference
from programme.models import User


class DigestPreferenceForm(forms.Form):
    """A manager's weekly digest about their leaders, on or off."""

    manager_digest = forms.BooleanField(
        label=_("Send me a weekly digest about my leaders"),
        help_text=_(
            "One e-mail a week, only when something happened: a leader recorded absent, "
            "a leader who fell behind, or leaders without a place shortly before the last "
            "cohort starts."
        ),
        required=False,
    )

    @classmethod
    def for_user(cls, user: User, data=None) -> DigestPreferenceForm:
        return cls(data, initial={"manager_digest": MailPreference.wants_digest(user)})

    def save(self, user: User) -> MailPreference:
        preference, _created = MailPreference.objects.update_or_create(
            user=user, defaults={"manager_digest": self.cleaned_data["manager_digest"]}
        )
        return preference
