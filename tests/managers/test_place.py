"""A manager enrols, moves and cancels their own leaders through booking: the same seat
rule, the same waitlist, the same e-mail with the calendar to the leader; a leader outside
the manager's scope is a 404, a plain leader gets a 403, HR acts for anyone."""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from programme.models import Enrolment
from tests.conftest import NOW, queued, send_outbox


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


def place_url(leader) -> str:
    return reverse("managers:place", args=[leader.pk])


def post(client, leader, action: str, cohort=None):
    """Press a button on the leader's page, and follow the answer back to the page."""
    data = {"action": action}
    if cohort is not None:
        data["cohort"] = cohort.pk
    return client.post(place_url(leader), data, follow=True)


def said(response) -> list[str]:
    """The messages shown on the page the button led back to."""
    assert response.redirect_chain == [(place_url(response.context["leader"]), 302)]
    shown = [str(m) for m in response.context["messages"]]
    for text in shown:
        assert text in response.text.replace("&#x27;", "'")
    return shown


def active_place(leader) -> Enrolment | None:
    return Enrolment.objects.filter(leader=leader, status__in=Enrolment.ACTIVE).first()


def test_a_manager_enrols_moves_and_cancels_a_leader_of_their_department(
    client, manager_a, leader, other_cohort, open_cohort, mailoutbox
):
    client.force_login(manager_a)
    page = client.get(place_url(leader))
    assert page.status_code == 200
    assert "Søren Ærbø har endnu ingen plads i forløbet." in page.text
    assert "Hold 2 (3 ledige pladser)" in page.text

    response = post(client, leader, "enrol", other_cohort)
    assert said(response) == [
        "Søren Ærbø er tilmeldt Hold 2. En bekræftelse med kalenderen er på vej til "
        "lederens e-mail."
    ]
    seat = active_place(leader)
    assert (seat.cohort, seat.status) == (other_cohort, Enrolment.Status.ENROLLED)
    assert booking.seats_taken(other_cohort) == 1
    (email,) = queued()
    assert email.to == [leader.user.email] and email.subject == "Du er tilmeldt Hold 2"
    send_outbox()
    (message,) = mailoutbox
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("digital-ledelse.ics", "text/calendar")
    assert content.count("BEGIN:VEVENT") == 3

    response = post(client, leader, "move", open_cohort)
    assert said(response) == [
        "Søren Ærbø er flyttet til Hold 3. En bekræftelse med den nye kalender er på vej "
        "til lederens e-mail."
    ]
    seat.refresh_from_db()
    assert seat.end_reason == Enrolment.EndReason.MOVED
    moved = active_place(leader)
    assert (moved.cohort, moved.status) == (open_cohort, Enrolment.Status.ENROLLED)
    assert booking.seats_taken(other_cohort) == 0
    assert queued()[-1].subject == "Du er tilmeldt Hold 3"

    response = post(client, leader, "cancel")
    assert said(response) == ["Søren Ærbøs plads på Hold 3 er afmeldt."]
    assert active_place(leader) is None
    moved.refresh_from_db()
    assert moved.end_reason == Enrolment.EndReason.BY_MANAGER
    assert booking.seats_taken(open_cohort) == 0


def test_a_leader_outside_the_scope_is_a_404_for_the_page_and_every_button(
    client, manager_a, outsider, other_cohort, open_cohort
):
    booking.enrol(leader=outsider, cohort=other_cohort, now=NOW)
    client.force_login(manager_a)
    assert client.get(place_url(outsider)).status_code == 404
    for action, cohort in (("enrol", open_cohort), ("move", open_cohort), ("cancel", None)):
        assert post(client, outsider, action, cohort).status_code == 404, action
    place = active_place(outsider)
    assert (place.cohort, place.status) == (other_cohort, Enrolment.Status.ENROLLED)
    assert [email.subject for email in queued()] == ["Du er tilmeldt Hold 2"]


def test_a_plain_leader_is_refused_and_hr_acts_for_anyone(
    client, leader, colleague, outsider, hr, other_cohort
):
    client.force_login(colleague.user)
    assert client.get(place_url(leader)).status_code == 403
    assert post(client, leader, "enrol", other_cohort).status_code == 403
    assert active_place(leader) is None

    client.force_login(hr)
    assert client.get(place_url(outsider)).status_code == 200
    post(client, outsider, "enrol", other_cohort)
    assert active_place(outsider).cohort == other_cohort


def test_a_full_cohort_puts_the_leader_on_its_waitlist_and_refuses_a_move(
    client, manager_a, leader, colleague, outsider, other_cohort, open_cohort
):
    """As booking decides: enrolling into a full cohort waitlists, a move into one is refused."""
    booking.set_capacity(cohort=open_cohort, capacity=1, now=NOW)
    booking.enrol(leader=outsider, cohort=open_cohort, now=NOW)
    client.force_login(manager_a)
    assert "Hold 3 (fuldt)" in client.get(place_url(leader)).text

    response = post(client, leader, "enrol", open_cohort)
    assert said(response) == [
        "Hold 3 er fuldt, så Søren Ærbø er nummer 1 på ventelisten. Vi skriver til lederen, "
        "hvis en plads bliver ledig."
    ]
    assert active_place(leader).status == Enrolment.Status.WAITLISTED
    assert booking.seats_taken(open_cohort) == 1

    response = post(client, leader, "cancel")
    assert said(response) == ["Søren Ærbø er taget af ventelisten til Hold 3."]
    assert active_place(leader) is None
    response = post(client, leader, "cancel")
    assert said(response) == ["Søren Ærbø har ingen plads at afmelde."]

    booking.enrol(leader=colleague, cohort=other_cohort, now=NOW)
    response = post(client, colleague, "move", open_cohort)
    assert said(response) == ["Hold 3 er fuldt: Åse Østergaard blev ikke flyttet."]
    assert active_place(colleague).cohort == other_cohort


def test_after_the_deadline_a_manager_may_not_cancel_or_move_a_seat_but_hr_may(
    client, settings, manager_a, hr, leader, other_cohort, open_cohort
):
    seat = booking.enrol(leader=leader, cohort=other_cohort, now=NOW)
    settings.PORTAL_CLOCK = "2016-02-16T09:00"  # Hold 2's deadline (15 February) is over
    client.force_login(manager_a)
    page = client.get(place_url(leader))
    assert "Afmeld pladsen" not in page.text
    assert "Tilmeldingsfristen er overskredet" in page.text

    for action, cohort in (("cancel", None), ("move", open_cohort)):
        response = post(client, leader, action, cohort)
        (text,) = said(response)
        assert text.startswith("Tilmeldingsfristen for Hold 2 er overskredet."), text
    assert active_place(leader) == seat

    client.force_login(hr)
    assert "Afmeld pladsen" in client.get(place_url(leader)).text
    post(client, leader, "cancel")
    assert active_place(leader) is None


def test_only_cohorts_that_take_enrolments_are_offered_and_accepted(
    client, manager_a, leader, cohort, other_cohort
):
    client.force_login(manager_a)
    page = client.get(place_url(leader))
    assert "Hold 2 (3 ledige pladser)" in page.text
    assert "Hold 1 (" in page.text  # its deadline, 31 January, is still to come
    response = client.post(place_url(leader), {"action": "enrol"})
    assert response.status_code == 400
    assert "Dette felt er påkrævet." in response.text
    assert active_place(leader) is None
    response = client.post(place_url(leader), {"action": "delete"})
    assert response.status_code == 400


def test_a_closed_cohort_is_not_a_choice(client, settings, manager_a, leader, cohort, other_cohort):
    settings.PORTAL_CLOCK = "2016-02-01T09:00"  # Hold 1's deadline is over, Hold 2's is not
    client.force_login(manager_a)
    page = client.get(place_url(leader))
    assert "Hold 1 (" not in page.text and "Hold 2 (" in page.text
    response = client.post(place_url(leader), {"action": "enrol", "cohort": cohort.pk})
    assert response.status_code == 400
    assert "er ikke en af de tilgængelige valgmuligheder" in response.text
    assert active_place(leader) is None


def test_every_row_of_mit_team_links_to_the_leaders_place(
    client, manager_a, programme, leader, colleague
):
    client.force_login(manager_a)
    text = client.get(reverse("managers:team")).text
    for person in (leader, colleague):
        assert f'href="{place_url(person)}"' in text
    assert "Tilmeld, flyt eller afmeld" in text
