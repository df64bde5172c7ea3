"""``{% fragment "app/_row.html" row=row link=query %}``: an include rendered once per
what it shows, in each worker process.

A long page (HR's overview, 58 administrations and centres, each a bar and a table
row) spent most of its time in the template language rendering the same lines again:
after a booking, one line of 58 changes. A fragment is a pure function of the values it
is given, the active language and the active time zone, so its HTML is kept in memory
under exactly those and served again for the same ones; a changed value is another
key, never a stale line.

The rules that make that true, checked where they can be:

- the fragment's template sees only the values given (no request, user or context
  processors): it is rendered with a plain context;
- each value is a plain value (text, number, true/false, none, a date or time, a tuple
  of those), keyed with its type, or a dataclass instance, keyed by its fields: what
  the fragment shows of it (its properties too) must follow from them. Anything else is
  refused (``TypeError``), not rendered uncached in silence;
- what else a fragment's output depends on is the same for the whole process
  (the URLs, the translations, the settings); a changed setting empties the memory
  (tests change settings).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django import template
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

register = template.Library()

# Fragments kept per process: emptied whole when full (a page's lines are a few hundred).
LIMIT = 20_000
_kept: dict[tuple, str] = {}
PLAIN = (str, int, float, bool, type(None), dt.date, dt.time, dt.timedelta)
# Each dataclass's field names, found once.
_fields: dict[type, tuple[str, ...]] = {}


def _key_of(value):
    kind = type(value)
    if isinstance(value, PLAIN):
        # With its type: 1, 1.0 and True are equal keys but render differently, and so
        # do a text and the same text marked safe (escaped, or not).
        return (kind, value)
    if isinstance(value, tuple):
        return tuple(_key_of(v) for v in value)
    names = _fields.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _fields[kind] = tuple(f.name for f in dataclasses.fields(kind))
    if names is None:
        raise TypeError(
            f"A fragment is kept by its values: {kind.__name__} is not a plain value "
            "or a dataclass instance."
        )
    return (kind, *(_key_of(getattr(value, name)) for name in names))


@register.simple_tag
def fragment(template_name: str, **values) -> str:
    key = (
        template_name,
        get_language(),
        get_current_timezone_name(),
        *sorted((n, _key_of(v)) for n, v in values.items()),
    )
    html = _kept.get(key)
    if html is None:
        html = get_template(template_name).render(values)
        if len(_kept) >= LIMIT:
            _kept.clear()
        _kept[key] = html
    return html


def forget(**_kwargs) -> None:
    _kept.clear()


setting_changed.connect(forget)
