"""Logins: signing in, choosing a password, signing out, and which login a leader may have.

Signing in: Django's own views with our forms. The password backend honours
``PASSWORD_SIGN_IN`` (off: superusers only, the break-glass way in when the identity
provider is down); both sign-in forms refuse an over-long e-mail address next to the
field; the reset form also reaches people who never had a password (imported
leaders) and queues its e-mail in the outbox in HR's words; signing out also ends
the session at the identity provider when the person came through it
(:mod:`programme.sso`).

Which logins: an administrator's login (``is_staff`` or ``is_superuser``) carries
rights over everyone's data. A leader record that points at it would let whoever
edits leaders - HR, an import file - change that login, and anonymising the leader
would switch it off. So a leader is only ever attached to a login that is nobody
else's and has no administrator rights, and only a superuser changes an
administrator's login. The import (:mod:`programme.imports`), the admin's leader
form and user pages (:mod:`programme.admin`) and anonymisation
(:mod:`programme.privacy`) all ask here.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxLengthValidator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import clock, emails, invitations, outbox
from .models import EmailText, Leader, User
from .notifications import portal_link


class PasswordBackend(ModelBackend):
    """Django's password check; with ``PASSWORD_SIGN_IN`` off, for superusers only."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not (settings.PASSWORD_SIGN_IN or user.is_superuser):
            return None
        return user

    def get_user(self, user_id):
        return active_user(user_id)


def active_user(user_id) -> User | None:
    """Every request's user (both ways in): loaded with what the header needs, in one
    query; a deactivated account is signed out, as Django's own backend does."""
    user = User.for_request(user_id)
    return user if user is not None and user.is_active else None


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


class AdminSignInForm(BoundedSignInMixin, AdminAuthenticationForm):
    """The admin's own sign-in page (``/admin/login/``)."""


class PortalAuthenticationForm(BoundedSignInMixin, AuthenticationForm):
    """The portal's sign-in page (``/accounts/login/``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not settings.PASSWORD_SIGN_IN:
            self.error_messages = {
                **self.error_messages,
                "invalid_login": _(
                    "Sign in with your work account. Signing in with a password is only for "
                    "the administrators' emergency access."
                ),
            }


def person_name(user: User) -> str:
    leader = getattr(user, "leader", None)
    return leader.name if leader is not None else (user.get_full_name() or user.email)


class PortalPasswordResetForm(PasswordResetForm):
    """Also for people who never had a password; the e-mail goes through the outbox."""

    def get_users(self, email):
        # Users without a leader record match too: their leader__ fields are null.
        users = User.objects.filter(
            Leader.here_on(clock.today(), prefix="leader__"),
            email__iexact=email.strip(),
            is_active=True,
        )
        if not settings.PASSWORD_SIGN_IN:
            users = users.filter(is_superuser=True)
        return users.select_related("leader")

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        subject, body = emails.render(
            EmailText.Kind.PASSWORD_RESET,
            {
                "name": person_name(user),
                "email": user.email,
                "link": portal_link("password_reset_confirm", context["uid"], context["token"]),
            },
        )
        outbox.queue(to=to_email, subject=subject, body=body)


@method_decorator(login_not_required, name="dispatch")
class InvitationConfirmView(auth_views.PasswordResetConfirmView):
    """The link in an invitation: choose a password (Django's reset view, our token)."""

    token_generator = invitations.invitation_tokens
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, and at the identity provider when the person came through it."""
    from . import sso

    target = sso.provider_logout_url(request) if sso.signed_in_through_provider(request) else None
    auth.logout(request)
    return redirect(target or reverse(settings.LOGOUT_REDIRECT_URL))


# A login a new leader may be attached to: no administrator rights, no leader yet.
ATTACHABLE = Q(is_staff=False, is_superuser=False, leader__isnull=True)


def is_administrator(user: User) -> bool:
    """Staff or superuser: a login with rights beyond the leader's own pages."""
    return bool(user.is_staff or user.is_superuser)


def may_change_login(actor: User, login: User) -> bool:
    """Only a superuser changes an administrator's login; anyone allowed may change others."""
    return bool(actor.is_superuser) or not is_administrator(login)


def attachable_logins() -> QuerySet[User]:
    return User.objects.filter(ATTACHABLE)
