from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext

from programme.models import current_programme


def navigation(request: HttpRequest) -> dict:
    """What the header shows: the programme's name and which sections this user may use."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    programme = current_programme(request)
    return {
        "programme_name": programme.name if programme else gettext("Digital leadership"),
        "nav_is_leader": signed_in and hasattr(user, "leader"),
        "nav_can_report": signed_in and (user.is_hr or user.manages_departments),
        "nav_is_staff": signed_in and user.is_staff,
    }


def hr_contact(request: HttpRequest) -> dict:
    """Whom people are told to contact: ``hr_contact.name``, ``.email``, ``.phone``."""
    return {
        "hr_contact": SimpleNamespace(
            name=settings.HR_CONTACT_NAME,
            email=settings.HR_CONTACT_EMAIL,
            phone=settings.HR_CONTACT_PHONE,
        )
    }


def sign_in(request: HttpRequest) -> dict:
    """How people sign in: the work account (single sign-on), a password, or both."""
    from mail.emails import sso_button_label

    return {
        "sso_enabled": settings.SSO_ENABLED,
        "sso_button_label": sso_button_label() if settings.SSO_ENABLED else "",
        "password_sign_in": settings.PASSWORD_SIGN_IN,
    }
