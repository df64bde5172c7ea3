"""Layout checks that axe cannot make: nothing overlaps, nothing scrolls sideways."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

# Every visible element of the sheet's head that holds text or is a control: the
# intro, the "mark all" buttons, the instruction.
OVERLAPS_JS = """selector => {
  const boxes = [...document.querySelectorAll(selector)]
    .filter(el => el.offsetParent !== null)
    .map(el => [el, el.getBoundingClientRect()]);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 1 && y > 1) hits.push(`${a.outerHTML.slice(0, 80)} / ${b.outerHTML.slice(0, 80)}`);
    }
  }
  return hits;
}"""
SHEET_PARTS = "#content-main > p, .attendance-tools a, .attendance-tools button, .attendance-note"


@pytest.mark.django_db(transaction=True)
def test_the_attendance_sheet_has_no_overlapping_elements(world, page, sign_in_as, live_server):
    sign_in_as(world.hr)
    page.goto(
        live_server.url
        + reverse("admin:programme_session_attendance", args=[world.first_session.pk])
    )
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert page.locator(".attendance-note").count() == 1
        assert page.evaluate(OVERLAPS_JS, SHEET_PARTS) == [], size


@pytest.mark.django_db(transaction=True)
def test_the_department_drill_down_fits_1280_px(demo_world, page, sign_in_as, live_server):
    sign_in_as(demo_world.manager)
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + reverse("reports:department", args=[demo_world.department.pk]))
    region = page.locator(".table-responsive")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth"), region.evaluate(
        "el => [el.scrollWidth, el.clientWidth]"
    )


@pytest.mark.django_db(transaction=True)
def test_an_empty_progress_bar_shows_its_outlined_track(world, page, sign_in_as, live_server):
    sign_in_as(world.colleague)  # no seat yet: 0 %
    page.goto(live_server.url + reverse("programme:dashboard"))
    bar = page.locator("progress.leaders-progress")
    assert bar.get_attribute("value") == "0"
    style = bar.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.borderTopStyle, s.borderTopWidth, s.borderTopColor, el.offsetHeight]; }"
    )
    # #6c757d on white: 4.7:1, more than the 3:1 a control's outline needs (WCAG 1.4.11).
    assert style == ["solid", "1px", "rgb(108, 117, 125)", 24], style


@pytest.mark.django_db(transaction=True)
def test_a_printed_report_is_the_tables_without_the_screens_controls(
    world, page, sign_in_as, live_server
):
    sign_in_as(world.manager)
    page.goto(live_server.url + reverse("reports:overview"))
    page.emulate_media(media="print")
    for hidden in (".portal-header", ".portal-footer", ".report-filters", ".report-download"):
        assert page.locator(hidden).first.is_hidden(), hidden
    table = page.locator(".report-table").first
    assert table.is_visible()
    assert table.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
