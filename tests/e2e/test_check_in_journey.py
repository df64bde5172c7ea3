"""Checking in in the room, on phones (390 px): the facilitator's screen shows a QR code,
a real decoder (Debian's zbarimg) reads it from the rendered page, and leaders' phones
open what it says."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

import booking
from programme import clock
from programme.models import Attendance, Facilitator, Session, Standing
from tests.conftest import NOW, local, make_user
from tests.e2e.conftest import PHONE, da, session_cookie
from tests.e2e.test_accessibility import check_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ZBARIMG = shutil.which("zbarimg")
# Into a code's period, not at its edge.
FEW_SECONDS = dt.timedelta(seconds=5)


def set_clock(settings, moment) -> None:
    """The portal's clock (the live server runs in this process), afresh from ``moment``."""
    clock._offset.cache_clear()
    settings.PORTAL_CLOCK = moment.isoformat()


def read_qr(page) -> str:
    """Screenshot the QR code as the screen shows it and decode it with zbarimg."""
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "qr.png"
        page.locator(".qr-box").screenshot(path=image)
        found = subprocess.run(
            [ZBARIMG, "--quiet", "--raw", str(image)],
            capture_output=True,
            text=True,
            check=True,
        )
    return found.stdout.strip()


@pytest.mark.skipif(ZBARIMG is None, reason="zbarimg is not installed (apt-get install zbar-tools)")
def test_leaders_check_in_with_the_qr_code_and_the_facilitator_closes_the_session(
    world, browser, live_server, settings, hr
):
    hold_1 = world.cohort
    session = hold_1.sessions.get(module__order=2)  # 9 February 2016, 09:00-15:00
    lene = Facilitator.objects.create(
        name="Lene Holm", organisation="Digitaliseringsenheden", user=make_user("lene@ab.dk")
    )
    Session.objects.filter(pk=session.pk).update(facilitator=lene)
    booking.enrol(leader=world.colleague, cohort=hold_1, now=NOW)
    booking.enrol(leader=world.outsider, cohort=world.other_cohort, now=NOW)
    done_before = Standing.objects.get(leader=world.leader).modules_done

    def phone(person):
        context = browser.new_context(viewport=PHONE, locale="da-DK")
        context.add_cookies([session_cookie(person, live_server)])
        return context.new_page()

    set_clock(settings, local(2016, 2, 9, 8, 55) + FEW_SECONDS)
    screen = phone(lene.user)
    screen.goto(live_server.url + reverse("checkin:screen", args=[session.pk]))
    assert screen.locator("h1").inner_text() == "IT – Hold 1"
    assert not check_page(screen, "checkin-screen")
    url = read_qr(screen)
    short = screen.locator("[data-testid=short-code]").inner_text()
    assert url == f"{live_server.url}/check-in/{short}/"

    # The leader's phone opens what the code says, and is checked in.
    leader_phone = phone(world.leader)
    leader_phone.goto(url)
    assert leader_phone.locator("h1").inner_text() == da(
        "You are checked in to %(module)s, %(time)s", module="IT", time="08:55"
    )
    assert not check_page(leader_phone, "checkin-done")

    # A leader of another cohort, with no make-up seat here, is refused.
    outsider_phone = phone(world.outsider)
    outsider_phone.goto(url)
    assert outsider_phone.locator("h1").inner_text() == da("You are not checked in")
    assert "Du er ikke tilmeldt IT med Hold 1" in outsider_phone.locator(".alert").inner_text()
    assert not check_page(outsider_phone, "checkin-refused")

    # The clock moves on: the code read at 08:55 has expired.
    set_clock(settings, local(2016, 2, 9, 9, 30) + FEW_SECONDS)
    colleague_phone = phone(world.colleague)
    colleague_phone.goto(url)
    assert "Koden er forkert eller udløbet" in colleague_phone.locator(".alert").inner_text()
    assert not Attendance.objects.filter(leader=world.colleague).exists()

    # The facilitator closes the session: the colleague, not checked in, is absent.
    screen.goto(live_server.url + reverse("checkin:screen", args=[session.pk]))
    screen.get_by_role("button", name=da("Close the session: the others are absent")).click()
    screen.wait_for_load_state()
    assert "1 registreret som udeblevet" in screen.locator(".messages").inner_text()
    records = {
        a.leader_id: (a.status, a.source) for a in Attendance.objects.filter(session=session)
    }
    assert records == {
        world.leader.pk: ("present", "self"),
        world.colleague.pk: ("absent", "closed"),
    }
    assert Standing.objects.get(leader=world.leader).modules_done == done_before + 1

    # HR's sheet shows where each record came from.
    hr_page = phone(hr)
    hr_page.goto(live_server.url + reverse("admin:programme_session_attendance", args=[session.pk]))
    sheet = hr_page.locator(".attendance-table").inner_text()
    assert "(Selv tjekket ind)" in sheet and "(Mødegang lukket)" in sheet
