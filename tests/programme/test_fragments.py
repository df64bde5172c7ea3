"""``{% fragment %}`` (programme/templatetags/fragments.py): a line rendered once per what
it shows, never served for other values, another language or time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test.signals import template_rendered
from django.test.utils import override_settings
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from reports.forecast import Week
from reports.rules import DepartmentRow

BAR = Template('{% load fragments %}{% fragment "reports/_overview_bar.html" row=row %}')
WEEK = Template('{% load fragments %}{% fragment "reports/_forecast_week.html" week=week %}')


@pytest.fixture
def rendered():
    """The names of the templates rendered while the test runs."""
    names: list[str] = []

    def seen(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    yield names
    template_rendered.disconnect(seen)


def _row(**changes) -> DepartmentRow:
    values = {"pk": 7, "name": "Skoler & dagtilbud", "code": "SKO", "leaders": 1200}
    return DepartmentRow(**{**values, "completed": 300, "enrolled": 600, **changes})


def _bar(row: DepartmentRow, language: str = "en") -> str:
    with translation.override(language):
        return BAR.render(Context({"row": row}))


@override_settings(ROOT_URLCONF="portal.urls")  # a setting changed: nothing kept yet
def test_the_same_values_are_rendered_once_and_served_again(rendered):
    first = _bar(_row())
    again = _bar(_row())
    assert again == first
    assert rendered.count("reports/_overview_bar.html") == 1
    assert "25 % completed, 50 % enrolled" in first
    assert "300 of 1200 completed" in first
    assert "Skoler &amp; dagtilbud" in first  # escaped as any template escapes it


@override_settings(ROOT_URLCONF="portal.urls")
def test_a_changed_value_is_rendered_afresh_never_the_kept_line(rendered):
    before = _bar(_row())
    after = _bar(_row(completed=301))
    assert "301 of 1200 completed" in after
    assert after != before
    assert rendered.count("reports/_overview_bar.html") == 2
    # A field no property reads is still part of the key.
    _bar(_row(code="SKO2"))
    assert rendered.count("reports/_overview_bar.html") == 3


@override_settings(ROOT_URLCONF="portal.urls")
def test_each_language_has_its_own_line(rendered):
    english = _bar(_row())
    danish = _bar(_row(), "da")
    assert "25 % completed" in english
    assert "25 % gennemført" in danish
    assert "300 af 1200 har gennemført" in danish
    assert _bar(_row()) == english


@override_settings(ROOT_URLCONF="portal.urls")
def test_each_time_zone_has_its_own_line(rendered):
    week = Week(dt.date(2016, 1, 18), 10, 2, 11, 3, 12, 4)
    with timezone.override("Europe/Copenhagen"):
        WEEK.render(Context({"week": week}))
    with timezone.override("UTC"):
        WEEK.render(Context({"week": week}))
    assert rendered.count("reports/_forecast_week.html") == 2


@override_settings(ROOT_URLCONF="portal.urls")
def test_a_setting_changed_empties_what_is_kept(rendered):
    _bar(_row())
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        grouped = _bar(_row())
    assert "300 of 1,200 completed" in grouped
    assert rendered.count("reports/_overview_bar.html") == 2


@pytest.mark.parametrize("value", [{"completed": 1}, ["a"], object()])
def test_a_value_that_is_not_plain_nor_a_dataclass_is_refused(value):
    with pytest.raises(TypeError, match="kept by its values"):
        BAR.render(Context({"row": value}))


ROW = Template(
    '{% load fragments %}{% fragment "reports/_overview_row.html" row=row unit_query=query'
    ' drill_query="" %}'
)


@override_settings(ROOT_URLCONF="portal.urls")
def test_equal_values_of_other_types_are_other_lines(rendered):
    """1 and True are equal keys in Python, and a text equals the same text marked safe;
    each renders differently, so each is its own line."""
    unit = _row(is_unit=True)
    plain = ROW.render(Context({"row": unit, "query": "a=<b>"}))
    marked = ROW.render(Context({"row": unit, "query": mark_safe("a=<b>")}))  # noqa: S308
    assert "a=&lt;b&gt;" in plain
    assert "a=<b>" in marked
    assert _bar(_row(completed=1)) != _bar(_row(completed=True))
    assert rendered.count("reports/_overview_row.html") == 2
