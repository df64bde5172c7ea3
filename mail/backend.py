"""How the outbox's e-mails leave: through ``EMAIL_BACKEND``, with a Subject that mail
readers show as it was written.

Django 5.2 encodes a subject with Danish letters without counting the ``Subject: ``
in front of it (``Header(value, charset).encode()`` in ``forbid_multi_line_headers``),
so a long subject's first encoded word no longer fits on the header's first line, and
Python's generator moves it to a line of its own. Readers then show the subject with a
leading space. :class:`Backend` is django-post-office's backend (``POST_OFFICE
["BACKENDS"]``): it hands ``EMAIL_BACKEND`` each message with its Subject as a
``Header`` that knows its name, which folds where the line has room.
"""

from __future__ import annotations

import copy
from email.header import Header
from functools import cache

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend


class _NamedSubject:
    """Mixed into a message's own class: the MIME message's Subject folds knowing its name."""

    def message(self):
        mime = super().message()
        subject = str(self.subject)
        if not subject.isascii():
            charset = self.encoding or settings.DEFAULT_CHARSET
            # replace_header stores the Header as it is; the generator folds it then.
            mime.replace_header("Subject", Header(subject, charset, header_name="Subject"))
        return mime


@cache
def _with_named_subject(cls: type[EmailMessage]) -> type[EmailMessage]:
    return type(cls.__name__, (_NamedSubject, cls), {})


def named_subject(message: EmailMessage) -> EmailMessage:
    """A copy of ``message`` (an EmailMessage or EmailMultiAlternatives, as
    django-post-office builds it) whose Subject folds as readers expect."""
    outgoing = copy.copy(message)
    outgoing.__class__ = _with_named_subject(type(message))
    return outgoing


class Backend(BaseEmailBackend):
    """``EMAIL_BACKEND`` (SMTP in production, the console locally), sending each message
    through :func:`named_subject`."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.transport = get_connection(
            settings.EMAIL_BACKEND, fail_silently=fail_silently, **kwargs
        )

    def open(self):
        return self.transport.open()

    def close(self):
        return self.transport.close()

    def send_messages(self, email_messages):
        return self.transport.send_messages([named_subject(m) for m in email_messages])
