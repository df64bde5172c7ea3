"""The placeholders of the e-mails' texts: which each kind of e-mail offers, and what is
wrong with a text's.

HR words every e-mail in the admin (:class:`programme.models.EmailText`). A text holds
placeholders such as ``{{ name }}``; each kind of e-mail offers its own
(:data:`PLACEHOLDERS`). A text with an unknown or broken placeholder is refused when it is
saved (:func:`placeholder_errors`, called by ``EmailText.clean``), so sending never meets
one. This module sits below the models (it imports none of the project's modules), so
the model can check its own texts.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    """The kinds of e-mail the portal sends, each worded by HR (``EmailText``)."""

    ENROLLED = "enrolled", _("Enrolled in a cohort")
    WAITLISTED = "waitlisted", _("On the waitlist")
    PROMOTED = "promoted", _("Seat from the waitlist")
    CANCELLED = "cancelled", _("Place cancelled")
    WAITLIST_CLOSED = "waitlist_closed", _("Waitlist closed: the cohort has started")
    MAKEUP_BOOKED = "makeup_booked", _("Make-up seat booked")
    MAKEUP_CANCELLED = "makeup_cancelled", _("Make-up seat cancelled")
    REMINDER_SESSION = "reminder_session", _("Reminder: a session soon")
    REMINDER_NOT_ENROLLED = "reminder_not_enrolled", _("Reminder: not enrolled yet")
    REMINDER_BEHIND = "reminder_behind", _("Reminder: a module to make up")
    INVITATION = "invitation", _("Invitation: choose a password")
    INVITATION_SSO = "invitation_sso", _("Invitation: sign in with the work account")
    PASSWORD_RESET = "password_reset", _("Forgotten password")
    SESSION_CHANGED = "session_changed", _("Session moved or its room changed")
    SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
    COLLABORATION = "collaboration", _("A leader will work on a shared initiative")
    MANAGER_DIGEST = "manager_digest", _("Manager's weekly digest")
    APPROVAL_REQUESTED = "approval_requested", _("Approval: a leader asks for a place")
    APPROVAL_REMINDER = "approval_reminder", _("Approval: a request still unanswered")
    APPROVAL_DECLINED = "approval_declined", _("Approval: a request declined")
    EVALUATION = "evaluation", _("Evaluate a session you attended")
    ABSENCE_APPROVED = "absence_approved", _("Absence reported in advance: approved")
    ABSENCE_DECLINED = "absence_declined", _("Absence reported in advance: declined")


Kind = EmailKind

# Offered by every e-mail.
COMMON = {
    "name": _("the person's name"),
    "link": _("the address of the portal page the e-mail is about"),
    "hr_name": _("whom to contact in HR"),
    "hr_email": _("HR's e-mail address"),
    "hr_phone": _("HR's phone number"),
}
_COHORT = {
    "programme": _("the programme's name"),
    "cohort": _("the cohort's name"),
}
_SESSIONS = {"sessions": _("the cohort's sessions, one a line: day, date, time, module, place")}
_OPEN_COHORTS = {
    "open_cohorts": _(
        "the cohorts still open for enrolment, one a line with free seats and deadline"
    ),
}
_MAKEUP = {
    "programme": _("the programme's name"),
    "module": _("the module"),
    "cohort": _("the cohort the session belongs to"),
    "when": _("day, date and time of the session"),
    "location": _("where the session is held"),
}

_SESSION_CHANGE = {
    **_MAKEUP,
    "when": _("day, date and time of the session, as it is now"),
    "location": _("where the session is held now"),
    "before": _("day, date, time and place of the session before the change"),
}

# "Vil samarbejde": sent to both leaders, each named by ``name``.
_COLLABORATION = {
    "initiative": _("the shared initiative's title"),
    "owner": _("the name of the leader who shared it"),
    "owner_department": _("their department"),
    "owner_email": _("their e-mail address"),
    "collaborator": _("the name of the leader who will work on it too"),
    "collaborator_department": _("their department"),
    "collaborator_email": _("their e-mail address"),
}
# A leader's request for a place (ENROLMENT_APPROVAL=manager): to whom decides it
# (``name``), and to the leader when it is declined.
_APPROVAL = {
    **_COHORT,
    "leader": _("the name of the leader who asks for a place"),
    "department": _("their department"),
    "requested": _("the date the leader asked"),
}
PLACEHOLDERS: dict[str, dict] = {
    Kind.ENROLLED: {**COMMON, **_COHORT, **_SESSIONS},
    Kind.WAITLISTED: {**COMMON, **_COHORT},
    Kind.PROMOTED: {**COMMON, **_COHORT, **_SESSIONS},
    Kind.CANCELLED: {**COMMON, **_COHORT},
    Kind.WAITLIST_CLOSED: {**COMMON, **_COHORT, **_OPEN_COHORTS},
    Kind.MAKEUP_BOOKED: {**COMMON, **_MAKEUP},
    Kind.MAKEUP_CANCELLED: {**COMMON, **_MAKEUP},
    Kind.REMINDER_SESSION: {
        **COMMON,
        "module": _("the module"),
        "when": _("day, date and time of the session"),
        "date": _("the session's date, as 23.02.2016"),
        "location": _("where the session is held"),
        "makeup_note": _("for a make-up seat: a line saying which cohort; otherwise empty"),
    },
    Kind.REMINDER_NOT_ENROLLED: {
        **COMMON,
        "programme": _("the programme's name"),
        **_OPEN_COHORTS,
    },
    Kind.REMINDER_BEHIND: {
        **COMMON,
        "programme": _("the programme's name"),
        "modules": _("the required modules the leader has missed and not made up, one a line"),
        "makeup_sessions": _("sessions of those modules with free seats, one a line"),
    },
    Kind.INVITATION: {
        **COMMON,
        "programme": _("the programme's name"),
        "email": _("the e-mail address the person signs in with"),
        "valid_days": _("how many days the link works"),
    },
    Kind.INVITATION_SSO: {
        **COMMON,
        "programme": _("the programme's name"),
        "email": _("the e-mail address the person signs in with"),
        "button": _("the label of the sign-in button for the work account"),
    },
    Kind.PASSWORD_RESET: {
        **COMMON,
        "email": _("the e-mail address the person signs in with"),
    },
    Kind.SESSION_CHANGED: {**COMMON, **_SESSION_CHANGE},
    Kind.SESSION_CANCELLED: {**COMMON, **_MAKEUP},
    Kind.COLLABORATION: {**COMMON, **_COLLABORATION},
    Kind.MANAGER_DIGEST: {
        **COMMON,
        "week": _("the week the digest is about, as 'week 3, 2016'"),
        "count": _("how many events the digest names"),
        "events": _(
            "the week's events, one a line: absences, leaders who became behind, leaders "
            "without a place"
        ),
    },
    Kind.APPROVAL_REQUESTED: {**COMMON, **_APPROVAL},
    Kind.APPROVAL_REMINDER: {
        **COMMON,
        **_APPROVAL,
        "days": _("how many days the request has waited for an answer"),
    },
    Kind.APPROVAL_DECLINED: {
        **COMMON,
        **_COHORT,
        "reason": _("why the request was declined, as the manager wrote it"),
    },
    Kind.EVALUATION: {
        **COMMON,
        "programme": _("the programme's name"),
        "module": _("the module"),
        "when": _("day, date and time of the session"),
        "closes": _("the last day the evaluation can be answered"),
    },
    Kind.ABSENCE_APPROVED: {**COMMON, **_MAKEUP},
    Kind.ABSENCE_DECLINED: {**COMMON, **_MAKEUP},
}

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_TAG = re.compile(r"\{\{(.*?)\}\}|\{%.*?%\}", re.DOTALL)


def placeholder_errors(kind: str, text: str) -> list[str]:
    """What is wrong with the placeholders in ``text`` for this kind of e-mail; [] if nothing."""
    allowed = PLACEHOLDERS.get(kind, COMMON)
    errors = []
    for match in _ANY_TAG.finditer(text or ""):
        whole = match.group(0)
        named = _PLACEHOLDER.fullmatch(whole)
        if named is None:
            errors.append(
                gettext("“%(tag)s” is not a placeholder. Write placeholders like {{ name }}.")
                % {"tag": whole}
            )
        elif named.group(1) not in allowed:
            errors.append(
                gettext("{{ %(name)s }} is not offered by this e-mail. Use one of: %(allowed)s.")
                % {
                    "name": named.group(1),
                    "allowed": ", ".join(f"{{{{ {n} }}}}" for n in allowed),
                }
            )
    leftover = _ANY_TAG.sub("", text or "")
    if "{{" in leftover or "}}" in leftover or "{%" in leftover:
        errors.append(gettext("A placeholder is not closed: write it as {{ name }}."))
    return errors


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values in for the placeholders, as they are (no escaping, no evaluation)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
