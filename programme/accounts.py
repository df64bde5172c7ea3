"""Which logins a leader may have, and who may change an administrator's login.

An administrator's login (``is_staff`` or ``is_superuser``) carries rights over
everyone's data. A leader record that points at it would let whoever edits leaders
- HR, an import file - change that login, and anonymising the leader would switch
it off. So a leader is only ever attached to a login that is nobody else's and has
no administrator rights, and only a superuser changes an administrator's login.
The import (:mod:`programme.imports`), the admin's leader form and user pages
(:mod:`programme.admin`) and anonymisation (:mod:`programme.privacy`) all ask here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import User

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
