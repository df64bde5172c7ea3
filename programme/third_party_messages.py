"""Texts that third-party apps show HR without a Danish translation of their own.

Listed here so ``make messages`` puts them in locale/da; Django's catalogue from
LOCALE_PATHS then translates them wherever the apps use them.
"""

from django.utils.translation import gettext_noop

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
]
