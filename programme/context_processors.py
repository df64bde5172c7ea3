from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest

from .models import Programme


def hr_contact() -> SimpleNamespace:
    """Whom the portal tells people to contact: HR's name, e-mail and phone (settings)."""
    return SimpleNamespace(
        name=settings.HR_CONTACT_NAME,
        email=settings.HR_CONTACT_EMAIL,
        phone=settings.HR_CONTACT_PHONE,
    )


def navigation(request: HttpRequest) -> dict:
    """What the header shows: the programme's name and which sections this user may use."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "programme_name": Programme.current_name(),
        "nav_is_leader": signed_in and hasattr(user, "leader"),
        "nav_can_report": signed_in and (user.is_hr or user.managed_departments.exists()),
        "nav_is_staff": signed_in and user.is_staff,
        "hr_contact": hr_contact(),
    }
