"""Texts that Django and third-party apps show HR without a Danish translation of their own.

Listed here so ``make messages`` puts them in locale/da; Django's catalogue from
LOCALE_PATHS then translates them wherever the apps use them. Also the labels of
rights, which Django stores in the database in English (``Permission.name``).
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

MESSAGES = [
    # django-simple-history: the kind of each change on the history pages.
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    # django-simple-history: the titles of the history pages.
    gettext_noop("View history: %s"),
    gettext_noop("Change history: %s"),
    gettext_noop("View %s"),
    gettext_noop("Revert %s"),
    # django-axes (sign-in protection): its models, fields and filters, which the
    # superuser sees in the admin. django-axes ships no Danish.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    # django-post-office (the outbox): the names of its models. It ships no Danish.
    pgettext_lazy("Email address", "Email"),
    pgettext_lazy("Email addresses", "Emails"),
    gettext_noop("Log"),
    gettext_noop("Logs"),
    gettext_noop("Email Template"),
    gettext_noop("Email Templates"),
    gettext_noop("Attachment"),
    gettext_noop("Attachments"),
]

# The rights Django makes for every model, by the first word of their codename.
DEFAULT_PERMISSIONS = {
    "add": gettext_noop("Can add %(name)s"),
    "change": gettext_noop("Can change %(name)s"),
    "delete": gettext_noop("Can delete %(name)s"),
    "view": gettext_noop("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """A right as Django's ``str(permission)`` shows it ("app | model | name"), in the
    active language: Django stores the name in English when it creates the right.
    The label of rights on the group and user admins (:mod:`hr.admin.names`)."""
    action, _, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if action in DEFAULT_PERMISSIONS and model is not None and model_name == model._meta.model_name:
        name = gettext(DEFAULT_PERMISSIONS[action]) % {"name": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{permission.content_type} | {name}"
