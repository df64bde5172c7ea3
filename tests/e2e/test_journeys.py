"""The portal's journeys in a real browser, each from signing in to what the person sees.

The leader's main actions (sign in, enrol, cancel, switch language) are done with
the keyboard only: Tab to the link or button, Enter. Expected texts are the
portal's own Danish translations (``da``), so the tests read what a user reads.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

import booking
from programme.models import Attendance, Enrolment
from tests.conftest import NOW, PASSWORD
from tests.e2e.conftest import da, press_enter_on, sign_in_with_keyboard, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def href(name: str, *args) -> str:
    return f'a[href="{reverse(name, args=args)}"]'


def button_of(name: str, *args) -> str:
    return f'form[action="{reverse(name, args=args)}"] button[type="submit"]'


def messages_text(page) -> str:
    return page.locator(".messages").inner_text()


def test_a_leader_enrols_sees_the_sessions_downloads_the_calendar_and_cancels(
    world, page, live_server
):
    colleague, hold_2 = world.colleague, world.other_cohort
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url

    sign_in_with_keyboard(page, colleague.user.email)
    assert page.locator("h1").inner_text() == da("My progress")

    press_enter_on(page, f"main {href('dashboard:cohort_list')}")
    press_enter_on(page, f"main {href('dashboard:cohort_detail', hold_2.pk)}")
    assert page.locator("h1").inner_text() == "Hold 2"
    press_enter_on(page, button_of("dashboard:enrol", hold_2.pk))

    assert page.url == live_server.url + reverse("dashboard:dashboard")
    assert da(
        "You are enrolled in %(cohort)s. A confirmation is on its way to your e-mail.",
        cohort="Hold 2",
    ) in messages_text(page)
    cohort_section = page.locator("section", has=page.locator("#cohort-heading"))
    assert cohort_section.locator("h2").inner_text() == da(
        "Your cohort: %(cohort)s", cohort="Hold 2"
    )
    assert cohort_section.locator("tbody tr").count() == hold_2.sessions.count() == 3

    tab_to(page, href("dashboard:schedule_ics"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    calendar = download.value.path().read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert calendar.count("BEGIN:VEVENT") == 3

    enrolment = Enrolment.objects.get(leader=colleague, status=Enrolment.Status.ENROLLED)
    press_enter_on(page, button_of("dashboard:cancel", enrolment.pk))
    assert page.url == live_server.url + reverse("dashboard:cohort_list")
    assert da(
        "Your place in %(cohort)s is cancelled. You can choose another cohort on this page.",
        cohort="Hold 2",
    ) in messages_text(page)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED


def test_a_leader_on_the_waitlist_is_promoted_when_another_cancels(
    world, page, page_for, sign_in_as, live_server
):
    hold_2 = world.other_cohort
    hold_2.capacity = 1
    hold_2.save()
    seat = booking.enrol(leader=world.outsider, cohort=hold_2, now=NOW)

    sign_in_as(world.colleague)
    page.goto(live_server.url + reverse("dashboard:cohort_detail", args=[hold_2.pk]))
    join = page.locator(button_of("dashboard:enrol", hold_2.pk))
    assert join.inner_text() == da("Join the waitlist")
    with page.expect_navigation():
        join.click()
    assert (
        page.locator("#next-heading + p")
        .inner_text()
        .startswith(
            da(
                "You are number %(position)s on the waitlist for %(cohort)s. When a seat becomes "
                "free, the first on the waitlist gets it, and we will write to you.",
                position=1,
                cohort="Hold 2",
            )
        )
    )

    # The leader with the seat cancels, at another computer.
    other = page_for(world.outsider)
    other.goto(live_server.url + reverse("dashboard:dashboard"))
    with other.expect_navigation():
        other.locator(button_of("dashboard:cancel", seat.pk)).click()
    assert other.url == live_server.url + reverse("dashboard:cohort_list")

    page.reload()
    cohort_section = page.locator("section", has=page.locator("#cohort-heading"))
    assert da("You have a seat in this cohort.") in cohort_section.inner_text()
    assert page.locator(href("dashboard:schedule_ics")).count() == 1


def test_hr_records_attendance_in_the_admin_and_the_leaders_progress_bar_moves(
    world, page, page_for, live_server
):
    kick_off = world.first_session  # Hold 1's first session, on 12 January 2016
    booking.enrol(leader=world.colleague, cohort=world.cohort, now=NOW)
    leader_page = page_for(world.colleague)
    leader_page.goto(live_server.url + reverse("dashboard:dashboard"))
    assert leader_page.locator("#progress-bar").get_attribute("value") == "0"

    page.goto(live_server.url + reverse("admin:index"))
    page.fill("#id_username", world.hr.email)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.locator(f"#content-main {href('admin:programme_session_changelist')}").first.click()
    page.locator(href("admin:programme_session_attendance", kick_off.pk)).click()
    page.locator('a[href="?prefill=present"]').click()
    row = page.locator("tr", has=page.get_by_text(world.colleague.name, exact=False))
    assert row.locator('input[value="present"]').is_checked()
    with page.expect_navigation():
        page.locator(".submit-row [type=submit]").click()
    # Søren was recorded present already; Åse is new.
    assert page.locator(".messagelist").inner_text() == da(
        "Attendance saved: %(created)s recorded, %(changed)s changed, %(unchanged)s unchanged.",
        created=1,
        changed=0,
        unchanged=1,
    )
    assert Attendance.objects.get(leader=world.colleague, session=kick_off).recorded_by == world.hr

    leader_page.reload()
    assert leader_page.locator("#progress-bar").get_attribute("value") == "1"
    assert leader_page.locator("#progress-words").inner_text() == da(
        "%(done)s of %(total)s module completed",
        "%(done)s of %(total)s modules completed",
        2,
        done=1,
        total=2,
    )


def test_a_manager_filters_the_report_to_a_department_and_downloads_its_csv(
    world, page, sign_in_as, live_server
):
    world.outsider.department.managers.add(world.manager)
    sign_in_as(world.manager)
    page.goto(live_server.url + reverse("reports:overview"))
    departments = page.locator(".report-table tbody th")
    assert departments.count() == 2

    page.select_option("#id_department", str(world.department.pk))
    with page.expect_navigation():
        page.locator(".report-filters [type=submit]").click()
    assert departments.count() == 1
    assert departments.inner_text() == world.department.name

    with page.expect_download() as download:
        page.get_by_role("button", name="Hent CSV").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    names = sorted(row[1] for row in rows[1:])
    assert names == sorted([world.leader.name, world.colleague.name]), rows
    assert world.outsider.name not in content

    with page.expect_download() as download:
        page.get_by_role("button", name="Hent Excel (.xlsx)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sorted(row[1].value for row in sheet.iter_rows(min_row=2)) == names


def test_the_language_switch_turns_a_page_from_danish_to_english_and_back(
    world, page, sign_in_as, live_server
):
    sign_in_as(world.leader)
    page.goto(live_server.url + reverse("dashboard:dashboard"))
    html = page.locator("html")
    assert html.get_attribute("lang") == "da"
    assert page.locator("h1").inner_text() == da("My progress") != "My progress"

    press_enter_on(page, 'button[name="language"][value="en"]')
    assert html.get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My progress"
    assert page.url == live_server.url + reverse("dashboard:dashboard")

    press_enter_on(page, 'button[name="language"][value="da"]')
    assert html.get_attribute("lang") == "da"
    assert page.locator("h1").inner_text() == da("My progress")
