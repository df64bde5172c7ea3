"""The labels of the admin's form fields, capitalised, as the admin's change log stores them.

Django writes "Changed Seats." into a LogEntry with translations off, and translates
each label only when the log is shown, with ``gettext("Seats")``. The label is
``capfirst(verbose_name)``, a message id of its own that ``make messages`` cannot find
in the models, so they are listed here. ``tests/hr/test_change_messages.py`` fails for a
new field whose label is missing.
"""

from django.utils.translation import gettext_noop

LABELS = [
    gettext_noop("About"),
    gettext_noop("Accessibility"),
    gettext_noop("Active"),
    gettext_noop("Address"),
    gettext_noop("Calls"),
    gettext_noop("Code"),
    gettext_noop("Date joined"),
    gettext_noop("Day"),
    gettext_noop("Description"),
    gettext_noop("Edited by hand"),
    gettext_noop("E-mail address"),
    gettext_noop("Endpoint"),
    gettext_noop("Ends at"),
    gettext_noop("Ends on"),
    gettext_noop("Expires at"),
    gettext_noop("File"),
    gettext_noop("First name"),
    gettext_noop("Groups"),
    gettext_noop("Job title"),
    gettext_noop("Manager"),
    gettext_noop("Module"),
    gettext_noop("Kind"),
    gettext_noop("Label of 1"),
    gettext_noop("Label of 5"),
    gettext_noop("Last call"),
    gettext_noop("Last login"),
    gettext_noop("Last name"),
    gettext_noop("Learning group"),
    gettext_noop("Left the municipality on"),
    gettext_noop("Managers"),
    gettext_noop("Next meeting"),
    gettext_noop("Part of"),
    gettext_noop("Question for the free-text answer"),
    gettext_noop("Refused"),
    gettext_noop("Seats"),
    gettext_noop("Sent at"),
    gettext_noop("Sent by"),
    gettext_noop("Session"),
    gettext_noop("Staff status"),
    gettext_noop("Starts at"),
    gettext_noop("Starts on"),
    gettext_noop("Statement"),
    gettext_noop("Subject (Danish)"),
    gettext_noop("Subject (English)"),
    gettext_noop("Superuser status"),
    gettext_noop("Text (Danish)"),
    gettext_noop("Text (English)"),
    gettext_noop("Title"),
    gettext_noop("User permissions"),
    gettext_noop("Shown days before the session"),
    gettext_noop("Web address"),
]
