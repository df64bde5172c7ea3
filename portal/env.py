"""Settings from the environment, read strictly.

Every setting the portal reads from the environment goes through one of these
functions (``portal/settings.py``, ``gunicorn.conf.py``). A variable that is not set,
or set to an empty value, gives the default; a value that is set must be understood,
or the start stops with ``ImproperlyConfigured`` naming the variable, the value and
what it accepts. A misspelt ``OIDC_VERIFY_KID=ture`` must never quietly turn a
security check off, and ``EMAIL_PORT=twentyfive`` must say which variable is wrong.

Our own module rather than django-environ or environs: django-environ maps any
boolean it does not know to False and raises a bare ``ValueError`` for a bad integer,
and either library would need a wrapper for each type to keep that from happening;
these seven functions are the whole need.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ImproperlyConfigured

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_DECIMAL_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _given(name: str) -> str | None:
    """The variable's value without surrounding spaces, or None when unset or empty."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _refuse(name: str, value: str, accepts: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not understood: {name} must be {accepts}.")


def _bounded(name: str, value: str, number, minimum, maximum, accepts: str):
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        limits = [
            f"at least {minimum}" if minimum is not None else "",
            f"at most {maximum}" if maximum is not None else "",
        ]
        raise _refuse(name, value, f"{accepts}, {' and '.join(part for part in limits if part)}")
    return number


def env_str(name: str, default: str = "") -> str:
    """The text as given (an empty value stays empty), else ``default``."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """true/false, 1/0, yes/no or on/off in any letter case; anything else stops the start."""
    value = _given(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise _refuse(name, value, "one of " + ", ".join(TRUE + FALSE))


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A whole number written in digits (``25``, ``-1``), within the given limits."""
    value = _given(name)
    if value is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(value):
        raise _refuse(name, value, "a whole number in digits, e.g. 25")
    return _bounded(name, value, int(value), minimum, maximum, "a whole number")


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A number in digits with an optional decimal point (``2.5``), within the limits."""
    value = _given(name)
    if value is None:
        return default
    if not _DECIMAL_NUMBER.fullmatch(value):
        raise _refuse(name, value, "a number in digits with a decimal point, e.g. 2.5")
    return _bounded(name, value, float(value), minimum, maximum, "a number")


def env_list(name: str, default: str | Iterable[str] = ()) -> list[str]:
    """Comma-separated values, each without surrounding spaces; empty items are dropped."""
    value = os.environ.get(name)
    if value is None:
        items = default.split(",") if isinstance(default, str) else list(default)
    else:
        items = value.split(",")
    return [item.strip() for item in items if item.strip()]


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (compared without regard to letter case), as written in ``choices``."""
    choices = tuple(choices)
    value = _given(name)
    if value is None:
        return default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise _refuse(name, value, "one of " + ", ".join(repr(c) for c in choices))


def env_month_days(name: str, default: str) -> list[tuple[int, int]]:
    """Days of the year, month-day and comma-separated (``12-24,06-05``), as (month, day)."""
    days = []
    for item in env_list(name, default):
        try:
            month, day = (int(part) for part in item.split("-"))
            date(2016, month, day)  # a leap year: 02-29 is a day of the year
        except ValueError:
            accepts = "month-day dates separated by commas, e.g. 12-24,06-05"
            raise _refuse(name, item, accepts) from None
        days.append((month, day))
    return days
