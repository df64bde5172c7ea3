"""Forms for logins: signing in with bounded input, and which login a leader may have."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from . import accounts
from .models import Leader, User

# The longest e-mail address a login can have; a longer "username" is no one's.
USERNAME_MAX_LENGTH = User._meta.get_field("email").max_length


class BoundedSignInMixin:
    """Refuse an over-long e-mail address next to the field, before any lookup.

    Django's sign-in form sets ``max_length`` only as an HTML attribute, so without
    this a 300-character name reached the lockout's log table (255 characters) and
    failed there with a server error.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.max_length = USERNAME_MAX_LENGTH
        field.validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))


class SignInForm(BoundedSignInMixin, AuthenticationForm):
    """The portal's sign-in page (``/accounts/login/``)."""


class AdminSignInForm(BoundedSignInMixin, AdminAuthenticationForm):
    """The admin's own sign-in page (``/admin/login/``)."""


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
