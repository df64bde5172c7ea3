"""One seat rule on every way in: no session ever expects more people than its seats.

A cohort's enrolled leaders and a session's make-up guests share the cohort's
seats (booking/). Each test here is a path that once went around
that rule: the booking functions themselves, the demo data, and each of the
admin's doors (the make-up add form, deleting a leader, a cohort's capacity, the
history page's revert, a session moved to another cohort, the cohort page's sessions).
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

import booking
from programme.models import Attendance, Cohort, Enrolment, Leader, MakeUpBooking, Session
from tests.conftest import NOW, local, make_leader, queued, room
from tests.forms import form_fields


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def expected_at(session: Session) -> int:
    """The people a session expects: its cohort's seated leaders and its make-up guests."""
    seated = Enrolment.objects.filter(cohort=session.cohort_id, status="enrolled").count()
    return seated + MakeUpBooking.objects.filter(session=session).count()


@pytest.fixture
def absent_from_kickoff(leader, cohort):
    """The leader has a seat in Hold 1 (begun) and missed its kick-off on 12 January."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    kickoff = cohort.sessions.get(module__order=1)
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.ABSENT)
    return leader


def newcomer(department, n):
    return make_leader(f"ny{n}@albertslund.dk", f"Ny Leder {n}", department, f"70{n:02d}")


def test_a_make_up_guest_holds_a_seat_that_enrolment_cannot_take(
    absent_from_kickoff, open_cohort, department_b
):
    """Repro: a make-up took the last seat at a session, then HR enrolled one more."""
    for n in range(2):
        booking.enrol(leader=newcomer(department_b, n), cohort=open_cohort, now=NOW)
    target = open_cohort.sessions.get(module__order=1)
    booking.book_makeup(leader=absent_from_kickoff, session=target, now=NOW)
    assert expected_at(target) == open_cohort.capacity

    late = booking.enrol(leader=newcomer(department_b, 9), cohort=open_cohort, by_staff=True)
    assert late.status == Enrolment.Status.WAITLISTED
    assert expected_at(target) == open_cohort.capacity
    with pytest.raises(booking.BookingError, match="ingen ledig plads"):
        booking.promote(enrolment=late, now=NOW)


def test_a_cancelled_make_up_gives_its_seat_to_the_cohorts_waitlist(
    absent_from_kickoff, open_cohort, department_b
):
    for n in range(2):
        booking.enrol(leader=newcomer(department_b, n), cohort=open_cohort, now=NOW)
    target = open_cohort.sessions.get(module__order=1)
    makeup = booking.book_makeup(leader=absent_from_kickoff, session=target, now=NOW)
    waiting = booking.enrol(leader=newcomer(department_b, 9), cohort=open_cohort, now=NOW)
    assert waiting.status == Enrolment.Status.WAITLISTED

    promoted = booking.cancel_makeup(booking=makeup, now=NOW)

    assert [e.pk for e in promoted] == [waiting.pk]
    assert expected_at(target) == open_cohort.capacity


def test_no_demo_session_expects_more_people_than_its_seats(demo):
    """Repro: the demo seed itself showed Hold 2's sessions "Forventet 26" for 24 seats."""
    over = [
        (str(s), expected_at(s), s.cohort.capacity)
        for s in Session.objects.select_related("cohort", "module")
        if expected_at(s) > s.cohort.capacity
    ]
    assert over == []
    assert MakeUpBooking.objects.exists(), "the demo still shows make-ups"


# The admin's doors.


def test_the_admin_make_up_form_refuses_a_full_session(
    hr_client, absent_from_kickoff, open_cohort, department_b
):
    """Repro: /admin/programme/makeupbooking/add/ booked anyone onto a full session."""
    for n in range(3):
        booking.enrol(leader=newcomer(department_b, n), cohort=open_cohort, now=NOW)
    target = open_cohort.sessions.get(module__order=1)
    url = reverse("admin:programme_makeupbooking_add")
    response = hr_client.post(url, {"leader": absent_from_kickoff.pk, "session": target.pk})
    assert response.status_code == 200
    assert "Der er ingen ledig plads på mødegangen." in response.text
    assert not MakeUpBooking.objects.exists()


def test_the_admin_make_up_form_refuses_a_leader_who_missed_nothing(
    hr_client, leader, cohort, open_cohort
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    Attendance.objects.create(
        leader=leader, session=cohort.sessions.get(module__order=1), status="present"
    )
    target = open_cohort.sessions.get(module__order=2)
    url = reverse("admin:programme_makeupbooking_add")
    response = hr_client.post(url, {"leader": leader.pk, "session": target.pk})
    assert response.status_code == 200
    assert "En indhentningsplads er til et modul, du har misset" in response.text
    assert not MakeUpBooking.objects.exists()


def test_the_admin_make_up_form_books_through_the_rules_and_mails_the_leader(
    hr_client, absent_from_kickoff, open_cohort
):
    target = open_cohort.sessions.get(module__order=1)
    url = reverse("admin:programme_makeupbooking_add")
    before = len(queued())
    response = hr_client.post(url, {"leader": absent_from_kickoff.pk, "session": target.pk})
    assert response.status_code == 302
    assert MakeUpBooking.objects.filter(leader=absent_from_kickoff, session=target).exists()
    (email,) = queued()[before:]
    assert email.subject == "Du har fået en plads til Kick-off på Hold 3"
    assert [a.name for a in email.attachments.all()] == ["digital-ledelse.ics"]


def test_make_ups_are_cancelled_through_booking_not_deleted(
    hr_client, absent_from_kickoff, open_cohort
):
    target = open_cohort.sessions.get(module__order=1)
    makeup = booking.book_makeup(leader=absent_from_kickoff, session=target, now=NOW)
    delete = reverse("admin:programme_makeupbooking_delete", args=[makeup.pk])
    assert hr_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:programme_makeupbooking_change", args=[makeup.pk])
    other = Session.objects.exclude(pk=target.pk).filter(cohort=open_cohort).first()
    hr_client.post(change, {"leader": absent_from_kickoff.pk, "session": other.pk})
    makeup.refresh_from_db()
    assert makeup.session == target, "a make-up seat is not edited into another session"

    changelist = reverse("admin:programme_makeupbooking_changelist")
    hr_client.post(changelist, {"action": "cancel_makeups", "_selected_action": [makeup.pk]})
    assert not MakeUpBooking.objects.exists()


def test_a_leader_with_a_place_cannot_be_deleted_in_the_admin(hr_client, leader, open_cohort):
    """Repro: deleting a leader cascaded their place away and promoted nobody."""
    place = booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    url = reverse("admin:programme_leader_delete", args=[leader.pk])
    assert hr_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:programme_leader_changelist")
    response = hr_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [leader.pk], "post": "yes"}
    )
    assert response.status_code == 200  # the admin explains what protects the leader
    assert Leader.objects.filter(pk=leader.pk).exists()
    place.refresh_from_db()
    assert place.status == Enrolment.Status.ENROLLED


def test_a_leader_without_records_can_still_be_deleted(hr_client, leader):
    url = reverse("admin:programme_leader_delete", args=[leader.pk])
    assert hr_client.post(url, {"post": "yes"}).status_code == 302
    assert not Leader.objects.filter(pk=leader.pk).exists()


def change_cohort(client, cohort, **changes):
    url = reverse("admin:programme_cohort_change", args=[cohort.pk])
    data = form_fields(client.get(url).text, "cohort_form")
    data.update({k: str(v) for k, v in changes.items()})
    return client.post(url, data)


def test_raising_a_cohorts_capacity_gives_the_new_seats_to_its_waitlist(
    hr_client, open_cohort, department_b
):
    """Repro: raising the capacity promoted nobody from the waitlist."""
    places = [
        booking.enrol(leader=newcomer(department_b, n), cohort=open_cohort, now=NOW)
        for n in range(5)
    ]
    assert [p.status for p in places[3:]] == ["waitlisted", "waitlisted"]
    response = change_cohort(hr_client, open_cohort, capacity=4)
    assert response.status_code == 302
    statuses = [Enrolment.objects.get(pk=p.pk).status for p in places]
    assert statuses == ["enrolled"] * 4 + ["waitlisted"]


def test_lowering_a_capacity_below_the_seats_taken_is_refused_with_how_many(
    hr_client, open_cohort, department_b
):
    """Repro: Hold 6 was saved with capacity 5 and 11 enrolled."""
    for n in range(3):
        booking.enrol(leader=newcomer(department_b, n), cohort=open_cohort, now=NOW)
    response = change_cohort(hr_client, open_cohort, capacity=2)
    assert response.status_code == 200
    assert "Hold 3 har 3 pladser optaget og kan derfor ikke have færre pladser" in response.text
    open_cohort.refresh_from_db()
    assert open_cohort.capacity == 3


def test_a_capacity_counts_the_make_up_guests_too(
    hr_client, absent_from_kickoff, open_cohort, department_b
):
    booking.enrol(leader=newcomer(department_b, 0), cohort=open_cohort, now=NOW)
    booking.book_makeup(
        leader=absent_from_kickoff, session=open_cohort.sessions.get(module__order=1), now=NOW
    )
    assert change_cohort(hr_client, open_cohort, capacity=1).status_code == 200
    assert change_cohort(hr_client, open_cohort, capacity=2).status_code == 302


def test_the_history_page_cannot_bring_back_a_cancelled_place(hr_client, leader, open_cohort):
    """Repro: a POST to the revert page saved even where its button was hidden."""
    place = booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    booking.cancel(enrolment=place, now=NOW)
    enrolled_version = place.history.filter(status="enrolled").first()
    url = reverse(
        "admin:programme_enrolment_simple_history",
        args=[place.pk, enrolled_version.history_id],
    )
    page = hr_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert hr_client.post(url, form_fields(page.text)).status_code == 405
    place.refresh_from_db()
    assert place.status == Enrolment.Status.CANCELLED


def test_moving_a_session_to_another_cohort_takes_its_guests_seats_along(
    hr_client, absent_from_kickoff, open_cohort, other_cohort, department_b
):
    """A session moved to a cohort that cannot seat its guests is refused, with why."""
    target = open_cohort.sessions.get(module__order=1)
    booking.book_makeup(leader=absent_from_kickoff, session=target, now=NOW)
    for n in range(3):
        booking.enrol(leader=newcomer(department_b, n), cohort=other_cohort, now=NOW)
    url = reverse("admin:programme_session_change", args=[target.pk])
    data = form_fields(hr_client.get(url).text, "session_form")
    data["cohort"] = str(other_cohort.pk)
    response = hr_client.post(url, data)
    assert response.status_code == 200
    assert "kan derfor ikke tage mødegangens 1 deltagere, der indhenter" in response.text
    target.refresh_from_db()
    assert target.cohort == open_cohort

    booking.set_capacity(cohort=other_cohort, capacity=4, now=NOW)
    assert hr_client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.cohort == other_cohort
    assert expected_at(target) == 4
    assert all(expected_at(s) <= s.cohort.capacity for s in Session.objects.all())


def test_a_session_with_records_cannot_be_deleted(hr_client, absent_from_kickoff, cohort):
    kickoff = cohort.sessions.get(module__order=1)
    url = reverse("admin:programme_session_delete", args=[kickoff.pk])
    response = hr_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the page lists the records that protect it
    assert Session.objects.filter(pk=kickoff.pk).exists()
    assert Cohort.objects.filter(pk=cohort.pk).exists()


# -- The cohort page's sessions: one door, the session's own page ----------------------


def inline_session(index: int, session: Session | None = None, **values) -> dict:
    """A row of the cohort page's session inline as the page used to post it (and a
    browser can still post it): the session's fields, changed by ``values``."""
    fields = {
        "id": session.pk if session else "",
        "module": session.module_id if session else "",
        "location": session.location_id if session else "",
        "facilitator": session.facilitator_id or "" if session else "",
    }
    for name in ("starts_at", "ends_at"):
        moment = values.pop(name, getattr(session, name, None)).astimezone(NOW.tzinfo)
        fields[f"{name}_0"] = moment.strftime("%d.%m.%Y")
        fields[f"{name}_1"] = moment.strftime("%H:%M")
    fields.update(values)
    return {f"sessions-{index}-{name}": value for name, value in fields.items()}


def post_cohort_page(hr_client, url: str, form: str, rows: list[dict], **fields):
    """The cohort page (add or change) as rendered, its own fields changed by ``fields``,
    with session rows added to what the page shows."""
    data = form_fields(hr_client.get(url).text, form)
    data.update({k: str(v) for k, v in fields.items()})
    for row in rows:
        data.update({k: str(v) for k, v in row.items()})
    data["sessions-TOTAL_FORMS"] = str(max(int(data.get("sessions-TOTAL_FORMS", 0)), len(rows)))
    return hr_client.post(url, data)


def rooms_fit() -> bool:
    return all(s.location.capacity >= s.cohort.capacity for s in Session.objects.all())


def test_the_cohort_page_shows_its_sessions_with_a_link_to_each_own_page(hr_client, cohort):
    page = hr_client.get(reverse("admin:programme_cohort_change", args=[cohort.pk])).text
    for session in cohort.sessions.all():
        assert reverse("admin:programme_session_change", args=[session.pk]) in page
    assert f"{reverse('admin:programme_session_add')}?cohort={cohort.pk}" in page
    assert 'name="sessions-0-starts_at_0"' not in page, "the sessions are not edited here"


def test_a_session_added_from_the_cohort_page_goes_through_its_own_page(hr_client, cohort):
    add = f"{reverse('admin:programme_session_add')}?cohort={cohort.pk}"
    data = form_fields(hr_client.get(add).text, "session_form")
    assert data["cohort"] == str(cohort.pk), "the cohort is chosen already"
    data.update(
        {
            "module": str(cohort.sessions.first().module_id),
            "starts_at_0": "26.04.2016",
            "starts_at_1": "09:00",
            "ends_at_0": "26.04.2016",
            "ends_at_1": "15:00",
            "location": str(room("Lille", capacity=2).pk),
        }
    )
    refused = hr_client.post(add, data)
    assert refused.status_code == 200
    assert "Lille har 2 pladser, færre end de 3 på Hold 1" in refused.text
    data["location"] = str(room("Store sal", capacity=50).pk)
    response = hr_client.post(add, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:programme_cohort_change", args=[cohort.pk])
    assert cohort.sessions.filter(location__name="Store sal").exists()


def test_no_session_is_changed_through_the_cohort_page(hr_client, cohort):
    """Repro: raising the seats and moving a session to a small room in one save of the
    cohort page stored a room smaller than the cohort (the inline checked the room
    against the old seats and saved around booking)."""
    url = reverse("admin:programme_cohort_change", args=[cohort.pk])
    sessions = list(cohort.sessions.order_by("starts_at"))
    small = room("Mødelokale 2", capacity=5)
    rows = [inline_session(i, s) for i, s in enumerate(sessions)]
    rows[1] = inline_session(1, sessions[1], location=small.pk)
    response = post_cohort_page(hr_client, url, "cohort_form", rows, capacity=10)
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.capacity == 10  # the cohort's own fields still save
    assert Session.objects.get(pk=sessions[1].pk).location_id == sessions[1].location_id
    assert rooms_fit()


def test_no_session_is_added_through_the_cohort_page(hr_client, modules, programme):
    """Repro: a new cohort's sessions were saved with it, and no room was checked at all."""
    url = reverse("admin:programme_cohort_add")
    small = room("Mødelokale 2", capacity=5)
    start = local(2016, 5, 3)
    row = inline_session(
        0,
        module=modules[0].pk,
        location=small.pk,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=6),
    )
    response = post_cohort_page(
        hr_client,
        url,
        "cohort_form",
        [row],
        name="Hold 9",
        programme=programme.pk,
        capacity=20,
        enrolment_deadline="15.04.2016",
    )
    assert response.status_code == 302
    added = Cohort.objects.get(name="Hold 9")
    assert not added.sessions.exists()
    assert rooms_fit()


def test_no_session_is_deleted_through_the_cohort_page(hr_client, cohort):
    url = reverse("admin:programme_cohort_change", args=[cohort.pk])
    sessions = list(cohort.sessions.order_by("starts_at"))
    rows = [inline_session(i, s) for i, s in enumerate(sessions)]
    rows[2]["sessions-2-DELETE"] = "on"
    assert post_cohort_page(hr_client, url, "cohort_form", rows).status_code == 302
    assert cohort.sessions.count() == 3


def test_hrs_cohort_page_shows_who_holds_a_place_not_only_the_waitlist(
    hr_client, leader, colleague, outsider, cohort
):
    """Repro: the cohort page listed the waitlist but not the leaders with a place."""
    cohort.capacity = 2
    cohort.save()
    for person in (leader, colleague, outsider):
        booking.enrol(leader=person, cohort=cohort, now=local(2016, 1, 5))
    page = hr_client.get(reverse("admin:programme_cohort_change", args=[cohort.pk])).text
    places = page[page.index("Tilmeldte ledere") : page.index("Venteliste, i den rækkefølge")]
    for seated in (leader, colleague):
        assert reverse("admin:programme_leader_change", args=[seated.pk]) in places
        assert seated.employee_number in places
    assert outsider.name not in places  # on the waitlist, below
    # Places change through booking (the leader list's actions), not here.
    assert not re.search(r'<(select|textarea)[^>]*name="enrolments-', page)
    assert "enrolments-0-DELETE" not in page
