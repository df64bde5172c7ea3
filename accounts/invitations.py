"""Invitations: an e-mail to a new leader with a link to choose a password.

The link is Django's password-reset token machinery with a salt of its own: it is
valid for ``INVITATION_VALID_DAYS`` days and works once (the token is bound to the
password, so choosing one spends it). With single sign-on on, the invitation instead
tells the leader to sign in with their work account. Each invitation is recorded
(:class:`~programme.models.Invitation`), so HR sees how many a leader has had.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from mail import emails, outbox
from mail.models import EmailText, Invitation
from programme import clock
from programme.models import Leader, Programme, User


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens that live ``INVITATION_VALID_DAYS`` days, on the portal's clock."""

    key_salt = "programme.invitations.InvitationTokenGenerator"

    def _now(self):
        return timezone.make_naive(clock.now())

    def check_token(self, user: User, token: str) -> bool:
        # Django's check_token measures age against PASSWORD_RESET_TIMEOUT; an invitation
        # has its own validity, so the timestamp is checked here and the hash as Django does.
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - ts > settings.INVITATION_VALID_DAYS * 24 * 3600:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = InvitationTokenGenerator()


class InvitationError(Exception):
    """Why a leader cannot be invited, in words for HR."""


def invitation_link(user: User) -> str:
    from mail.notifications import portal_link

    return portal_link(
        "invitation_confirm",
        urlsafe_base64_encode(force_bytes(user.pk)),
        invitation_tokens.make_token(user),
    )


def invite(
    leader: Leader,
    *,
    by: User | None = None,
    programme: str | None = None,
    text: EmailText | None = None,
) -> Invitation:
    """Queue an invitation to ``leader`` in the caller's transaction, and record it.

    ``programme`` (its name) and ``text`` save their queries when one run invites many.
    """
    from mail.notifications import portal_link

    if leader.has_left(clock.today()):
        raise InvitationError(_("has left the municipality."))
    user = leader.user
    if not user.is_active:
        raise InvitationError(_("the login is closed."))
    values = {
        "name": leader.name,
        "email": user.email,
        "programme": programme or Programme.current_name(),
    }
    if settings.SSO_ENABLED:
        kind = EmailText.Kind.INVITATION_SSO
        values["link"] = portal_link("login")
    else:
        kind = EmailText.Kind.INVITATION
        values.update(link=invitation_link(user), valid_days=str(settings.INVITATION_VALID_DAYS))
    with translation.override(settings.LANGUAGE_CODE):
        if settings.SSO_ENABLED:
            values["button"] = emails.sso_button_label()
        subject, body = emails.render(kind, values, text=text)
    outbox.queue(to=user.email, subject=subject, body=body)
    return Invitation.objects.create(
        leader=leader, sent_by=by, sent_at=clock.now(), single_sign_on=settings.SSO_ENABLED
    )


@transaction.atomic
def invite_new_leaders(leaders: Iterable[Leader], *, by: User | None = None) -> int:
    """The import's hook: invite each new leader who can sign in; returns how many."""
    kind = EmailText.Kind.INVITATION_SSO if settings.SSO_ENABLED else EmailText.Kind.INVITATION
    shared = {"programme": Programme.current_name(), "text": emails.text_for(kind)}
    count = 0
    for leader in leaders:
        try:
            invite(leader, by=by, **shared)
        except InvitationError:
            continue
        count += 1
    return count
