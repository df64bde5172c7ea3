"""Rooms and facilitators as records: the admin refuses a double-booked room or
facilitator and a room too small for the cohort; leaders see where and with whom."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from icalendar import Calendar

import booking
from programme.models import Facilitator, Session
from tests.conftest import NOW, local, make_user, room

SESSIONS_ADD = reverse("admin:programme_session_add")


@pytest.fixture(autouse=True)
def _clock_at_now(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


@pytest.fixture
def lene(db) -> Facilitator:
    return Facilitator.objects.create(
        name="Lene Holm",
        organisation="Digitaliseringsenheden",
        email="lene@albertslund.dk",
        user=make_user("lene@albertslund.dk"),
    )


def session_form(cohort, module, start, location, facilitator=None, hours=6):
    end = start + dt.timedelta(hours=hours)
    return {
        "cohort": cohort.pk,
        "module": module.pk,
        "starts_at_0": start.strftime("%d.%m.%Y"),
        "starts_at_1": start.strftime("%H:%M"),
        "ends_at_0": end.strftime("%d.%m.%Y"),
        "ends_at_1": end.strftime("%H:%M"),
        "location": location.pk,
        "facilitator": facilitator.pk if facilitator else "",
    }


def errors(response) -> str:
    return str(response.context["adminform"].form.errors)


def test_a_room_booked_at_an_overlapping_time_is_refused_naming_the_clash(
    hr_client, cohort, other_cohort, modules
):
    taken = cohort.sessions.get(module__order=2)  # 9 February 2016, 09-15
    data = session_form(other_cohort, modules[1], local(2016, 2, 9, 13), taken.location)
    response = hr_client.post(SESSIONS_ADD, data)
    assert response.status_code == 200
    assert "Albertslund Rådhus, Hold 1 er allerede booket" in errors(response)
    assert "IT (Hold 1, 09.02.2016 09:00)" in errors(response)
    assert not other_cohort.sessions.filter(starts_at=local(2016, 2, 9, 13)).exists()


def test_a_room_free_right_after_another_session_is_accepted(
    hr_client, cohort, other_cohort, modules
):
    taken = cohort.sessions.get(module__order=2)
    data = session_form(other_cohort, modules[1], local(2016, 2, 9, 15), taken.location)
    response = hr_client.post(SESSIONS_ADD, data)
    assert response.status_code == 302
    assert other_cohort.sessions.filter(location=taken.location).count() == 1


def test_a_facilitator_booked_at_an_overlapping_time_is_refused_naming_the_clash(
    hr_client, cohort, other_cohort, modules, lene
):
    Session.objects.filter(pk=cohort.sessions.get(module__order=2).pk).update(facilitator=lene)
    data = session_form(other_cohort, modules[1], local(2016, 2, 9, 10), room("Musikteatret"), lene)
    response = hr_client.post(SESSIONS_ADD, data)
    assert response.status_code == 200
    assert "Lene Holm har allerede en mødegang på det tidspunkt" in errors(response)
    assert "IT (Hold 1, 09.02.2016 09:00)" in errors(response)


def test_a_room_smaller_than_the_cohort_is_refused(hr_client, cohort, modules):
    small = room("Mødelokale 1", capacity=2)
    data = session_form(cohort, modules[1], local(2016, 4, 5, 9), small)
    response = hr_client.post(SESSIONS_ADD, data)
    assert response.status_code == 200
    assert "Mødelokale 1 har 2 pladser, færre end de 3 på Hold 1" in errors(response)


# The cohort page shows its sessions to read; each is changed on its own page, so the
# checks above are the only ones (tests/booking/test_seats_everywhere.py: the cohort page's doors).


def test_booking_refuses_a_double_booked_room_whatever_calls_it(cohort, other_cohort):
    taken = cohort.sessions.get(module__order=2)
    moving = other_cohort.sessions.get(module__order=2)
    moving.starts_at, moving.ends_at, moving.location = (
        taken.starts_at,
        taken.ends_at,
        taken.location,
    )
    with pytest.raises(booking.BookingError, match="allerede booket|already booked"):
        booking.save_session(session=moving, now=NOW)


def test_a_cohort_cannot_get_more_seats_than_its_smallest_room(hr_client, cohort):
    Session.objects.filter(pk=cohort.sessions.first().pk).update(location=room("Lille", capacity=4))
    url = reverse("admin:programme_cohort_change", args=[cohort.pk])
    with pytest.raises(booking.BookingError, match="Lille"):
        booking.check_capacity(cohort=cohort, capacity=5)
    booking.check_capacity(cohort=cohort, capacity=4)
    assert hr_client.get(url).status_code == 200


def test_a_room_cannot_shrink_below_a_cohort_that_meets_in_it(hr_client, cohort):
    location = cohort.sessions.first().location
    url = reverse("admin:programme_location_change", args=[location.pk])
    data = {"name": location.name, "address": location.address, "capacity": 2}
    response = hr_client.post(url, data)
    assert response.status_code == 200
    assert "Hold 1 mødes i" in response.text
    location.refresh_from_db()
    assert location.capacity == 100


def test_leaders_see_room_address_and_facilitator_on_dashboard_and_cohort_page(
    client, leader, cohort, lene
):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    cohort.sessions.update(facilitator=lene)
    client.force_login(leader.user)
    for url in (reverse("dashboard:dashboard"), cohort.get_absolute_url()):
        text = client.get(url).text
        assert "Albertslund Rådhus, Hold 1" in text
        assert "Nordmarks Allé 1, 2620 Albertslund" in text
        assert "Lene Holm (Digitaliseringsenheden)" in text


def test_the_calendar_carries_the_full_address_and_the_facilitator(client, leader, cohort, lene):
    session = cohort.sessions.get(module__order=2)
    Session.objects.filter(pk=session.pk).update(facilitator=lene)
    client.force_login(leader.user)
    response = client.get(reverse("dashboard:session_ics", args=[session.pk]))
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert (
        str(event["location"]) == "Albertslund Rådhus, Hold 1, Nordmarks Allé 1, 2620 Albertslund"
    )
    assert str(event["organizer"]) == "mailto:lene@albertslund.dk"
    assert event["organizer"].params["cn"] == "Lene Holm"
    assert "Lene Holm (Digitaliseringsenheden)" in str(event["description"])


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_todays_free_text_rooms_and_facilitators():
    executor = MigrationExecutor(connection)
    executor.migrate([("programme", "0007_import_batch")])
    apps = executor.loader.project_state([("programme", "0007_import_batch")]).apps
    Programme = apps.get_model("programme", "Programme")
    Cohort = apps.get_model("programme", "Cohort")
    Module = apps.get_model("programme", "Module")
    OldSession = apps.get_model("programme", "Session")
    programme = Programme.objects.create(
        name="P", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    module = Module.objects.create(programme=programme, order=1, title="Kick-off")
    small = Cohort.objects.create(
        programme=programme, name="A", capacity=10, enrolment_deadline=dt.date(2015, 11, 1)
    )
    big = Cohort.objects.create(
        programme=programme, name="B", capacity=25, enrolment_deadline=dt.date(2015, 11, 1)
    )
    for cohort, facilitator in ((small, "COK"), (big, "")):
        OldSession.objects.create(
            cohort=cohort,
            module=module,
            starts_at=local(2016, 1, 12),
            ends_at=local(2016, 1, 12, 15),
            location="Byrådssalen",
            facilitator=facilitator,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    sessions = list(Session.objects.select_related("location", "facilitator").order_by("pk"))
    assert [s.location.name for s in sessions] == ["Byrådssalen", "Byrådssalen"]
    assert sessions[0].location.capacity == 25  # the largest cohort that met there
    assert sessions[0].facilitator.name == "COK"
    assert sessions[1].facilitator is None
