"""Layout checks that axe cannot make: nothing overlaps, nothing scrolls sideways."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.conftest import DESKTOP, PHONE, da, session_cookie

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
    page.goto(live_server.url + reverse("dashboard:dashboard"))
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


# -- Issue 23: no sideways scrolling where people work, labels that can be read ---------

SCROLLS_JS = """() => [document.documentElement.scrollWidth, window.innerWidth,
  [...document.querySelectorAll('.results, .table-stack')].map(el => {
    const region = el.closest('.table-responsive') || el;
    return [el.className, region.scrollWidth, region.clientWidth];
  }).filter(([, scroll, client]) => scroll > client)]"""


def no_sideways_scroll(page) -> list:
    """What scrolls sideways: the page itself, or a list or stacked table inside it."""
    document, width, regions = page.evaluate(SCROLLS_JS)
    return ([f"the page: {document} px in {width} px"] if document > width else []) + regions


@pytest.mark.django_db(transaction=True)
def test_hrs_leader_list_and_cohort_page_fit_1280_px(demo_world, page, sign_in_as, live_server):
    """Repro: the leader list was 1,575 px wide inside a 631 px column, the cohort page
    1,375 px: HR scrolled sideways for the place, the progress and the session times."""
    sign_in_as(demo_world.hr)
    page.set_viewport_size(DESKTOP)
    for url in (
        reverse("admin:programme_leader_changelist"),
        reverse("admin:programme_cohort_change", args=[demo_world.cohort.pk]),
        reverse("admin:programme_session_changelist"),
    ):
        page.goto(live_server.url + url)
        assert no_sideways_scroll(page) == [], url


@pytest.mark.django_db(transaction=True)
def test_the_dashboards_sessions_fit_a_phone_with_calendar_and_facilitator(
    demo_world, page, sign_in_as, live_server
):
    """Repro: at 390 px the session table scrolled sideways, "Læg i kalender" and the
    facilitator off-screen."""
    sign_in_as(demo_world.leader)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("dashboard:dashboard"))
    assert no_sideways_scroll(page) == []
    table = page.locator("#sessions-caption").locator("xpath=..")
    calendar_links = table.locator("a[download]")
    assert calendar_links.count() > 0
    for cell in [calendar_links.first, table.locator("td[data-label]").last]:
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    facilitators = table.locator(f"td[data-label='{da('Facilitator')}']")
    assert facilitators.count() > 0
    assert all(
        (box := cell.bounding_box())["x"] + box["width"] <= PHONE["width"]
        for cell in facilitators.all()
    )


LABEL_SIZES_JS = """() => [...document.querySelectorAll(
    '.report-chart .chart-label, .report-chart .chart-value')].map(el => [
  el.textContent.trim().slice(0, 40),
  parseFloat(getComputedStyle(el).fontSize),
  el.getBoundingClientRect().height])"""


@pytest.mark.django_db(transaction=True)
def test_the_report_charts_labels_are_at_least_12_px_on_phone_and_desktop(
    demo_world, page, sign_in_as, live_server
):
    """Repro: the chart's labels were SVG text, scaled down with the chart: about 6 px on
    a phone."""
    sign_in_as(demo_world.manager)
    page.goto(live_server.url + reverse("reports:overview"))
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        labels = page.evaluate(LABEL_SIZES_JS)
        assert labels, "the chart has labels"
        small = [(text, px, h) for text, px, h in labels if px < 12 or h < 12]
        assert small == [], size
        assert no_sideways_scroll(page) == [], size


BEST_PRACTICE = {"runOnly": {"type": "rule", "values": ["landmark-unique", "empty-table-header"]}}


@pytest.mark.django_db(transaction=True)
def test_landmarks_are_unique_and_table_headers_say_something(
    demo_world, context, page, live_server
):
    """Repro: axe's best-practice rules found two regions named alike on the reports and
    the facilitator's session screen, and three empty table headers on the cohort form."""
    from axe_playwright_python.sync_playwright import Axe

    pages = [
        (demo_world.manager, reverse("reports:overview")),
        (demo_world.leader, reverse("dashboard:dashboard")),
        (
            demo_world.facilitator,
            reverse("checkin:screen", args=[demo_world.facilitated_session.pk]),
        ),
        (demo_world.hr, reverse("admin:programme_cohort_change", args=[demo_world.cohort.pk])),
        (
            demo_world.hr,
            reverse("admin:programme_programme_change", args=[demo_world.cohort.programme_id]),
        ),
    ]
    found = {}
    for person, url in pages:
        context.clear_cookies()
        context.add_cookies([session_cookie(person, live_server)])
        page.goto(live_server.url + url)
        results = Axe().run(page, options=BEST_PRACTICE)
        if results.violations_count:
            found[url] = [
                (v["id"], [n["html"][:100] for n in v["nodes"]])
                for v in results.response["violations"]
            ]
    assert found == {}
