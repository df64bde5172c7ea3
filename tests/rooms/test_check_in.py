"""Attendance in the room: the facilitator's session screen, self check-in by the rotating
code, the facilitator's marks and closing the session."""

import datetime as dt
import re

import pytest
from django.urls import reverse

import booking
from programme import clock
from programme.models import Attendance, Facilitator, MakeUpBooking, Session, Standing
from rooms import checkin
from tests.conftest import NOW, PASSWORD, local, make_leader, make_user, session_reads

SCREEN_OPENS = local(2016, 2, 9, 8, 30)  # 30 minutes before Hold 1's IT session


def at(settings, moment: dt.datetime) -> dt.datetime:
    """Set the portal's clock a few seconds after ``moment``, inside the same code period
    (it runs on from there, as in the demo); the offset is cached per moment, so it
    starts afresh for this test."""
    clock._offset.cache_clear()
    settings.PORTAL_CLOCK = (moment + dt.timedelta(seconds=5)).isoformat()
    return moment


@pytest.fixture
def lene(db) -> Facilitator:
    return Facilitator.objects.create(
        name="Lene Holm", organisation="Digitaliseringsenheden", user=make_user("lene@ab.dk")
    )


@pytest.fixture
def other_facilitator(db) -> Facilitator:
    return Facilitator.objects.create(name="Jonas Friis", user=make_user("jonas@ab.dk"))


@pytest.fixture
def session(cohort, other_cohort, leader, colleague, outsider, lene) -> Session:
    """Hold 1's IT session on 9 February 2016, 09-15, run by Lene: two leaders seated,
    and ``outsider`` of Hold 2 a make-up guest."""
    for person in (leader, colleague):
        booking.enrol(leader=person, cohort=cohort, now=NOW)
    booking.enrol(leader=outsider, cohort=other_cohort, now=NOW)
    session = cohort.sessions.get(module__order=2)
    MakeUpBooking.objects.create(leader=outsider, session=session)
    Session.objects.filter(pk=session.pk).update(facilitator=lene)
    session.refresh_from_db()
    return session


def screen_url(session):
    return reverse("checkin:screen", args=[session.pk])


def code_on_screen(client, session) -> str:
    response = client.get(screen_url(session))
    return re.search(r'data-testid="short-code">(\w+)<', response.text).group(1)


def check_in(client, code):
    """Scan: the code's address, then the confirmation after the redirect."""
    return client.get(reverse("checkin:code", args=[code]), follow=True)


def test_a_facilitator_sees_their_sessions_and_not_anothers(
    client, session, lene, other_facilitator
):
    client.force_login(lene.user)
    assert "IT – Hold 1" in client.get(reverse("checkin:sessions")).text
    assert client.get(screen_url(session)).status_code == 200
    client.force_login(other_facilitator.user)
    assert "IT – Hold 1" not in client.get(reverse("checkin:sessions")).text
    assert client.get(screen_url(session)).status_code == 404


def test_a_leader_cannot_open_the_session_screen_or_close_it(client, session, leader):
    client.force_login(leader.user)
    assert client.get(screen_url(session)).status_code == 404
    assert client.post(reverse("checkin:close", args=[session.pk])).status_code == 404
    assert (
        client.post(reverse("checkin:mark_present", args=[session.pk, leader.pk])).status_code
        == 404
    )


def test_hr_can_open_any_session_screen(client, session, hr):
    client.force_login(hr)
    assert client.get(screen_url(session)).status_code == 200


def test_the_screen_shows_a_qr_code_and_short_code_only_in_the_window(
    client, settings, session, lene
):
    client.force_login(lene.user)
    at(settings, SCREEN_OPENS - dt.timedelta(minutes=1))
    early = client.get(screen_url(session))
    assert "<svg" not in early.text
    assert "Tjek ind åbner" in early.text
    at(settings, SCREEN_OPENS)
    response = client.get(screen_url(session))
    assert re.search(r'<svg [^>]*class="qr"', response.text)
    assert re.search(r'data-testid="short-code">[A-Z2-9]{6}<', response.text)
    assert 'src="/static/js/session-screen.js"' in response.text
    assert f'href="{screen_url(session)}"' in response.text  # the reload link
    assert "Tjekket ind: 0 af 3" in response.text


def test_the_screen_runs_a_fixed_number_of_queries(
    client, settings, session, lene, django_assert_num_queries, department_a
):
    client.force_login(lene.user)
    at(settings, local(2016, 2, 9, 9))
    client.get(screen_url(session))
    for n in range(3):
        extra = make_leader(f"e{n}@ab.dk", f"Ekstra {n}", department_a, f"77{n}")
        MakeUpBooking.objects.create(leader=extra, session=session)
    # The user (with leader profile and roles); the session with module, cohort, room
    # and facilitator; its attendance; the expected leaders; the header's programme.
    with django_assert_num_queries(session_reads() + 5):
        response = client.get(screen_url(session))
    assert "Tjekket ind: 0 af 6" in response.text


def test_the_code_changes_every_period(session):
    first = checkin.current_code(session, local(2016, 2, 9, 9, 0))
    assert checkin.current_code(session, local(2016, 2, 9, 9, 0) + dt.timedelta(seconds=10)) in (
        first,
        checkin.current_code(session, local(2016, 2, 9, 9, 0) + dt.timedelta(seconds=30)),
    )
    assert first != checkin.current_code(session, local(2016, 2, 9, 9, 1))


def test_a_leader_checks_in_by_scanning_and_their_standing_changes(
    client, settings, session, leader, lene
):
    at(settings, local(2016, 2, 9, 9, 5))
    client.force_login(lene.user)
    code = code_on_screen(client, session)
    before = Standing.objects.get(leader=leader).modules_done
    client.force_login(leader.user)
    response = check_in(client, code)
    assert response.status_code == 200
    assert "Du er tjekket ind til IT, 09:05" in response.text
    record = Attendance.objects.get(leader=leader, session=session)
    assert (record.status, record.source) == (Attendance.Status.PRESENT, "self")
    assert record.history.first().history_user == leader.user
    assert Standing.objects.get(leader=leader).modules_done == before + 1


def test_a_leader_signs_in_after_scanning_and_is_then_checked_in(
    client, settings, session, leader, lene
):
    at(settings, local(2016, 2, 9, 8, 45))
    client.force_login(lene.user)
    code = code_on_screen(client, session)
    client.logout()
    response = client.get(reverse("checkin:code", args=[code]), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    response = client.post(
        response.redirect_chain[-1][0],
        {"username": leader.user.email, "password": PASSWORD},
        follow=True,
    )
    assert "Du er tjekket ind til IT" in response.text
    assert Attendance.objects.filter(leader=leader, session=session).exists()


def test_a_leader_checking_in_after_the_late_limit_is_recorded_late(
    client, settings, session, leader
):
    at(settings, local(2016, 2, 9, 9, 16))
    code = checkin.current_code(session, local(2016, 2, 9, 9, 16))
    client.force_login(leader.user)
    assert "Du er tjekket ind til IT, 09:16" in check_in(client, code).text
    assert Attendance.objects.get(leader=leader).status == Attendance.Status.LATE


def test_an_expired_code_is_refused_with_a_danish_page(client, settings, session, leader):
    old = checkin.current_code(session, local(2016, 2, 9, 9, 0))
    at(settings, local(2016, 2, 9, 9, 2))
    client.force_login(leader.user)
    response = check_in(client, old)
    assert response.status_code == 410
    assert "Koden er forkert eller udløbet" in response.text
    assert not Attendance.objects.exists()


def test_a_code_outside_the_window_is_refused(client, settings, session, leader):
    before = SCREEN_OPENS - dt.timedelta(minutes=1)
    code = checkin.current_code(session, before)
    at(settings, before)
    client.force_login(leader.user)
    assert check_in(client, code).status_code == 410
    after = local(2016, 2, 9, 15, 0)
    at(settings, after)
    assert check_in(client, checkin.current_code(session, after)).status_code == 410
    assert not Attendance.objects.exists()


def test_a_leader_of_another_cohort_without_a_make_up_seat_is_refused(
    client, settings, session, department_b, other_cohort
):
    stranger = make_leader("s@ab.dk", "Sten Fremmed", department_b, "3001")
    booking.enrol(leader=stranger, cohort=other_cohort, now=NOW)
    now = at(settings, local(2016, 2, 9, 9))
    client.force_login(stranger.user)
    response = check_in(client, checkin.current_code(session, now))
    assert response.status_code == 409
    assert "Du er ikke tilmeldt IT med Hold 1" in response.text
    assert not Attendance.objects.exists()


def test_a_make_up_guest_checks_in(client, settings, session, outsider):
    now = at(settings, local(2016, 2, 9, 9))
    client.force_login(outsider.user)
    assert "Du er tjekket ind til IT" in check_in(client, checkin.current_code(session, now)).text
    assert Attendance.objects.get(leader=outsider).source == "self"


def test_a_second_check_in_is_refused(client, settings, session, leader):
    now = at(settings, local(2016, 2, 9, 9))
    client.force_login(leader.user)
    check_in(client, checkin.current_code(session, now))
    response = check_in(client, checkin.current_code(session, now))
    assert response.status_code == 409
    assert "allerede tjekket ind" in response.text
    assert Attendance.objects.count() == 1


def test_a_code_can_be_typed(client, settings, session, leader):
    now = at(settings, local(2016, 2, 9, 9))
    client.force_login(leader.user)
    typed = checkin.current_code(session, now).lower()
    response = client.post(reverse("checkin:enter"), {"code": f" {typed} "}, follow=True)
    assert "Du er tjekket ind til IT" in response.text


def test_the_facilitator_checks_in_someone_without_a_phone(
    client, settings, session, colleague, lene
):
    at(settings, local(2016, 2, 9, 9, 10))
    client.force_login(lene.user)
    url = reverse("checkin:mark_present", args=[session.pk, colleague.pk])
    response = client.post(url, follow=True)
    assert "Åse Østergaard er tjekket ind" in response.text
    record = Attendance.objects.get(leader=colleague)
    assert (record.status, record.source, record.recorded_by) == (
        Attendance.Status.PRESENT,
        "facilitator",
        lene.user,
    )


def test_closing_marks_the_rest_absent_keeps_excused_and_ends_check_in(
    client, settings, session, leader, colleague, outsider, lene, hr
):
    Attendance.objects.create(
        leader=outsider, session=session, status=Attendance.Status.EXCUSED, recorded_by=hr
    )
    now = at(settings, local(2016, 2, 9, 9, 5))
    client.force_login(leader.user)
    check_in(client, checkin.current_code(session, now))
    at(settings, local(2016, 2, 9, 14, 0))
    client.force_login(lene.user)
    response = client.post(reverse("checkin:close", args=[session.pk]), follow=True)
    assert "1 registreret som udeblevet" in response.text
    statuses = dict(Attendance.objects.values_list("leader__name", "status"))
    assert statuses == {
        leader.name: "present",
        colleague.name: "absent",
        outsider.name: "excused",
    }
    assert Attendance.objects.get(leader=colleague).source == "closed"
    assert Standing.objects.get(leader=colleague).behind_from is not None
    # Closed: no more check-ins, and the screen says so.
    client.force_login(outsider.user)
    later = local(2016, 2, 9, 14, 1)
    at(settings, later)
    assert check_in(client, checkin.current_code(session, later)).status_code == 410
    client.force_login(lene.user)
    assert "Mødegangen blev lukket kl. 14:00" in client.get(screen_url(session)).text


def test_a_session_cannot_be_closed_before_it_starts(client, settings, session, lene):
    at(settings, local(2016, 2, 9, 8, 40))
    client.force_login(lene.user)
    response = client.post(reverse("checkin:close", args=[session.pk]), follow=True)
    assert "ikke begyndt endnu" in response.text
    session.refresh_from_db()
    assert session.closed_at is None


def test_hrs_sheet_shows_each_records_source_and_can_correct_it(
    client, settings, session, leader, colleague, hr
):
    now = at(settings, local(2016, 2, 9, 9))
    client.force_login(leader.user)
    check_in(client, checkin.current_code(session, now))
    client.force_login(hr)
    url = reverse("admin:programme_session_attendance", args=[session.pk])
    assert "(Selv tjekket ind)" in client.get(url).text
    client.post(url, {f"leader_{leader.pk}": "late"})
    record = Attendance.objects.get(leader=leader)
    assert (record.status, record.source) == ("late", "sheet")


def test_the_facilitators_list_runs_a_fixed_number_of_queries(
    client, settings, session, other_cohort, lene, django_assert_num_queries
):
    at(settings, local(2016, 2, 9, 8))
    client.force_login(lene.user)
    client.get(reverse("checkin:sessions"))
    other_cohort.sessions.update(facilitator=lene)
    # The user (with leader profile and roles); the sessions with module, cohort, room
    # and facilitator; the header's programme.
    with django_assert_num_queries(session_reads() + 3):
        response = client.get(reverse("checkin:sessions"))
    assert response.text.count(reverse("checkin:screen", args=[session.pk])) == 1
    assert "Kick-off – Hold 2" in response.text
