"""Logins: signing in, choosing a password, signing out, and which login a leader may have.

Signing in: Django's own views with our forms. The password backend honours
``PASSWORD_SIGN_IN`` (off: superusers only, the break-glass way in when the identity
provider is down); both sign-in forms refuse an over-long e-mail address next to the
field; the reset form also reaches people who never had a password (imported
leaders) and queues its e-mail in the outbox in HR's words; signing out also ends
the session at the identity provider when the person came through it
(:mod:`accounts.sso`).

Who may sign in (:func:`may_sign_in`): an active login, and when it belongs to a leader,
a leader who has not left (``Leader.has_left``: from the day after ``left_on``). Every
way in asks it: the password, the invitation and reset links, the reset request, single
sign-on (:mod:`accounts.sso`) and every request of a session already open
(:func:`active_user`), so a leader who leaves is out on all of them at once. Staff and
superusers never have a leader record (below), so leaving never touches their rights.

Which logins: an administrator's login (``is_staff`` or ``is_superuser``) carries
rights over everyone's data. A leader record that points at it would let whoever
edits leaders - HR, an import file - change that login, and anonymising the leader
would switch it off. So a leader is only ever attached to a login that is nobody
else's and has no administrator rights, and only a superuser changes an
administrator's login. The import (:mod:`hr.imports`), the admin's leader
form and user pages (:mod:`hr.admin.people`) and anonymisation
(:mod:`accounts.privacy`) all ask here.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts import invitations
from mail import emails, outbox
from mail.models import EmailText
from mail.notifications import portal_link
from programme import clock
from programme.models import User


def may_sign_in(user: User, today: dt.date) -> bool:
    """Whether this login may be used today: active, and not a leader who has left.

    Reads ``user.leader`` (load it with the user: ``select_related("leader")``).
    """
    if not user.is_active:
        return False
    leader = getattr(user, "leader", None)
    return leader is None or not leader.has_left(today)


def access_ended_on(user: User) -> dt.date | None:
    """The leader's last day, when leaving is why this login may no longer be used."""
    leader = getattr(user, "leader", None)
    return leader.left_on if leader is not None else None


class PasswordBackend(ModelBackend):
    """Django's password check; with ``PASSWORD_SIGN_IN`` off, for superusers only; never
    for a leader who has left (the form then says so: the password was right)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if not may_sign_in(user, clock.today()):
            if request is not None:
                request.access_ended = user
            return None
        if not (settings.PASSWORD_SIGN_IN or user.is_superuser):
            return None
        return user

    def get_user(self, user_id):
        return active_user(user_id)


def active_user(user_id) -> User | None:
    """Every request's user (both ways in): loaded with what the header needs, in one
    query; a deactivated account or a leader who has left is signed out at their next
    request (portal.middleware.SessionTimeoutMiddleware ends the session and says why)."""
    user = User.for_request(user_id)
    return user if user is not None and may_sign_in(user, clock.today()) else None


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

    def get_invalid_login_error(self):
        ended = getattr(self.request, "access_ended", None)
        if ended is not None:
            # The password was right: say why, and whom to ask.
            return ValidationError(access_ended_message(ended), code="access_ended")
        return super().get_invalid_login_error()


def access_ended_message(user: User) -> str:
    contact = {"name": settings.HR_CONTACT_NAME, "email": settings.HR_CONTACT_EMAIL}
    last_day = access_ended_on(user)
    if last_day is None:
        return (
            _(
                "Your access to the portal has ended. Contact %(name)s (%(email)s) if you think "
                "this is a mistake."
            )
            % contact
        )
    return _(
        "Your access to the portal ended after %(day)s, your last day in the municipality. "
        "Contact %(name)s (%(email)s) if you think this is a mistake."
    ) % {**contact, "day": date_format(last_day, "DATE_FORMAT")}


def person_name(user: User) -> str:
    leader = getattr(user, "leader", None)
    return leader.name if leader is not None else (user.get_full_name() or user.email)


class PortalPasswordResetForm(PasswordResetForm):
    """Also for people who never had a password; the e-mail goes through the outbox.

    A known and an unknown address cost the same work, so the answer's timing tells
    nothing: the same lookup, a token and the same e-mail rendered and written to the
    outbox, in a savepoint that is rolled back when nobody may have the link.
    """

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email.strip())
        if not settings.PASSWORD_SIGN_IN:
            users = users.filter(is_superuser=True)
        today = clock.today()
        return [user for user in users.select_related("leader") if may_sign_in(user, today)]

    def save(self, *args, token_generator=default_token_generator, **kwargs) -> None:
        email = self.cleaned_data["email"]
        user = next(iter(self.get_users(email)), None)
        # Nobody's: an unsaved login of that address, whose e-mail is thrown away.
        recipient = user
        if recipient is None:
            recipient = User(pk=0, email=email.strip().lower(), password=make_password(None))
            User.leader.related.set_cached_value(recipient, None)  # no leader to look up
        with transaction.atomic():
            self.send_mail(
                None,
                None,
                {
                    "user": recipient,
                    "uid": urlsafe_base64_encode(force_bytes(recipient.pk)),
                    "token": token_generator.make_token(recipient),
                },
                None,
                recipient.email,
            )
            if user is None:
                transaction.set_rollback(True)

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


class RefusesLeaversMixin:
    """A link that would set a password (invitation, reset) does nothing for a login
    that may not sign in: a valid link of a leader who has left says that access has
    ended and whom to ask, never the password form."""

    def get_user(self, uidb64):
        self.access_ended = None
        try:
            pk = User._meta.pk.to_python(urlsafe_base64_decode(uidb64).decode())
            user = User._default_manager.select_related("leader").get(pk=pk)
        except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
            return None
        if not may_sign_in(user, clock.today()):
            token = self.kwargs["token"]
            if token == self.reset_url_token:
                token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
            if self.token_generator.check_token(user, token):
                self.access_ended = access_ended_message(user)
            return None
        return user

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "access_ended": self.access_ended}


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(RefusesLeaversMixin, auth_views.PasswordResetConfirmView):
    """The link in a password-reset e-mail: choose a new password."""


@method_decorator(login_not_required, name="dispatch")
class InvitationConfirmView(RefusesLeaversMixin, auth_views.PasswordResetConfirmView):
    """The link in an invitation: choose a password (Django's reset view, our token)."""

    token_generator = invitations.invitation_tokens
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


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
