"""Make-up: a leader who missed a required module takes it with another cohort."""

import pytest
from django.urls import reverse

import booking
from programme.models import Attendance, MakeUpBooking
from programme.progress import ModuleState, leader_progress
from tests.conftest import local, make_leader


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def missed(leader, cohort, other_cohort):
    """The leader was absent from Hold 1's kick-off; Hold 2 holds it on 23 February."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    kickoff = cohort.sessions.get(module__order=1)
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.ABSENT)
    return other_cohort.sessions.get(module__order=1)


def book_url(session):
    return reverse("dashboard:book_makeup", args=[session.pk])


def test_the_dashboard_offers_another_cohorts_session_with_a_free_seat(client, leader, missed):
    client.force_login(leader.user)
    response = client.get("/")
    assert "Tag “Kick-off” igen" in response.text
    assert "tirsdag 23. februar 2016" in response.text
    assert "3 ledige pladser" in response.text
    assert f'action="{book_url(missed)}"' in response.text


def test_a_full_session_is_not_offered(client, leader, missed, other_cohort, department_b):
    for n in range(other_cohort.capacity):
        seat = make_leader(f"o{n}@albertslund.dk", f"O {n}", department_b, f"6{n}")
        booking.enrol(leader=seat, cohort=other_cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    response = client.get("/")
    assert book_url(missed) not in response.text
    assert "Intet andet hold har en ledig plads til dette modul" in response.text


def test_booking_a_make_up_gives_a_seat_and_a_message(client, leader, missed):
    client.force_login(leader.user)
    response = client.post(book_url(missed), follow=True)
    assert MakeUpBooking.objects.filter(leader=leader, session=missed).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Du har fået en plads til Kick-off på Hold 2."
    ]
    assert "Dine mødegange på andre hold" in response.text
    assert book_url(missed) not in response.text


def test_a_session_of_the_leaders_own_cohort_is_refused(client, leader, missed, cohort):
    own = cohort.sessions.get(module__order=2)
    client.force_login(leader.user)
    response = client.post(book_url(own), follow=True)
    assert not MakeUpBooking.objects.exists()
    assert [str(m) for m in response.context["messages"]] == ["Mødegangen er på dit eget hold."]


def test_cancelling_a_make_up_frees_the_seat(client, leader, missed):
    makeup = booking.book_makeup(leader=leader, session=missed, now=local(2016, 1, 20))
    client.force_login(leader.user)
    response = client.post(reverse("dashboard:cancel_makeup", args=[makeup.pk]), follow=True)
    assert not MakeUpBooking.objects.exists()
    assert "Din plads til Kick-off på et andet hold er afmeldt." in response.text


def test_another_leaders_make_up_is_not_found(client, leader, colleague, missed):
    makeup = booking.book_makeup(leader=leader, session=missed, now=local(2016, 1, 20))
    client.force_login(colleague.user)
    response = client.post(reverse("dashboard:cancel_makeup", args=[makeup.pk]))
    assert response.status_code == 404
    assert MakeUpBooking.objects.filter(pk=makeup.pk).exists()


def test_hr_without_a_leader_profile_cannot_book(client, hr, missed):
    client.force_login(hr)
    assert client.post(book_url(missed)).status_code == 403


# -- One definition of "missed" for progress and booking ------------------------------


@pytest.fixture
def seated(leader, cohort):
    """The leader has a seat in Hold 1, whose kick-off was Tuesday 12 January 09-15."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    return leader


def test_a_leader_awaiting_registration_cannot_take_a_make_up_seat(
    client, seated, cohort, other_cohort, settings
):
    """Repro: the day after the kick-off, with nothing recorded yet (the leader may well
    have been there), the make-up button gave the leader a seat in Hold 2."""
    settings.PORTAL_CLOCK = "2016-01-13T10:00"
    elsewhere = other_cohort.sessions.get(module__order=1)
    client.force_login(seated.user)
    assert "Afventer registrering" in client.get("/").text
    response = client.post(book_url(elsewhere), follow=True)
    assert not MakeUpBooking.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Dit fremmøde til dette modul på dit eget hold er ikke registreret endnu. En plads på "
        "et andet hold er til et modul, du har misset: vent, til HR har registreret dit "
        "fremmøde, eller kontakt HR."
    ]


def test_hr_cannot_book_a_make_up_for_a_leader_awaiting_registration(
    client, hr, seated, other_cohort, settings
):
    settings.PORTAL_CLOCK = "2016-01-13T10:00"
    elsewhere = other_cohort.sessions.get(module__order=1)
    client.force_login(hr)
    response = client.post(
        reverse("admin:programme_makeupbooking_add"), {"leader": seated.pk, "session": elsewhere.pk}
    )
    assert response.status_code == 200
    assert "er ikke registreret endnu" in response.text
    assert not MakeUpBooking.objects.exists()


def test_once_the_registration_is_overdue_the_make_up_seat_is_offered_and_booked(
    client, seated, other_cohort, settings
):
    settings.PORTAL_CLOCK = "2016-01-15T15:01"  # three working days after the kick-off
    elsewhere = other_cohort.sessions.get(module__order=1)
    client.force_login(seated.user)
    assert f'action="{book_url(elsewhere)}"' in client.get("/").text
    client.post(book_url(elsewhere))
    assert MakeUpBooking.objects.filter(leader=seated, session=elsewhere).exists()


STATUSES = [None, "present", "late", "absent", "excused"]
MOMENTS = [
    local(2016, 1, 11),  # the day before the kick-off (an excuse may be recorded ahead)
    local(2016, 1, 12, 16),  # an hour after it ended
    local(2016, 1, 15, 14, 59),  # a minute before its registration is due
    local(2016, 1, 15, 15),  # due: three working days after
    local(2016, 2, 1),
]


@pytest.mark.parametrize("status", STATUSES)
def test_booking_refuses_a_make_up_unless_progress_says_missed(
    seated, cohort, other_cohort, status
):
    """For every record and moment: a make-up seat is allowed exactly when the dashboard
    shows the module as missed (or the leader is excused from it ahead)."""
    kickoff = cohort.sessions.get(module__order=1)
    if status:
        Attendance.objects.create(leader=seated, session=kickoff, status=status)
    elsewhere = other_cohort.sessions.get(module__order=1)
    for now in MOMENTS:
        state = leader_progress(seated, cohort.programme, now=now).module(kickoff.module_id).state
        try:
            booking.check_makeup(leader=seated, session=elsewhere, now=now)
            allowed = True
        except booking.BookingError:
            allowed = False
        expected = state == ModuleState.MISSED or status == "excused"
        assert allowed == expected, (status, now, state)
