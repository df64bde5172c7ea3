"""A manager's hand in their leaders' places, in a real browser: from *Mit team* to a
leader's page, enrol them, move them to another cohort and cancel, each through booking,
each with the leader's e-mail in the outbox; and seats reserved for the team, one given
to a leader, the rest released."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programme.models import Cohort, Enrolment, Reservation
from tests.conftest import queued
from tests.e2e.conftest import da
from tests.e2e.test_accessibility import check_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def messages_text(page) -> str:
    return page.locator(".messages").inner_text()


def enrolled(name: str, cohort: str) -> str:
    """The message a manager reads when their leader got a seat."""
    return da(
        "%(leader)s is enrolled in %(cohort)s. A confirmation with the calendar is on its way "
        "to their e-mail.",
        leader=name,
        cohort=cohort,
    )


def test_a_manager_enrols_moves_and_cancels_a_leader_of_their_team(
    world, open_cohort, page, sign_in_as, live_server
):
    colleague, hold_2 = world.colleague, world.other_cohort
    place_url = live_server.url + reverse("managers:place", args=[colleague.pk])
    sign_in_as(world.manager)
    page.goto(live_server.url + reverse("managers:team"))
    row = page.locator("tbody tr", has=page.get_by_text(colleague.name, exact=True))
    with page.expect_navigation():
        row.get_by_role("link", name=da("Enrol, move or cancel"), exact=False).click()
    assert page.url == place_url
    assert page.locator("h1").inner_text() == da("Place: %(name)s", name=colleague.name)

    page.locator("#id_cohort").select_option(str(hold_2.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=da("Enrol"), exact=True).click()
    assert enrolled(colleague.name, "Hold 2") in messages_text(page)
    assert page.locator("#current-place").inner_text() == da(
        "%(name)s has a seat in %(cohort)s.", name=colleague.name, cohort="Hold 2"
    )

    page.locator("#id_cohort").select_option(str(open_cohort.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=da("Move"), exact=True).click()
    assert da(
        "%(leader)s is moved to %(cohort)s. A confirmation with the new calendar is on its "
        "way to their e-mail.",
        leader=colleague.name,
        cohort="Hold 3",
    ) in messages_text(page)
    assert page.locator("#current-place").inner_text() == da(
        "%(name)s has a seat in %(cohort)s.", name=colleague.name, cohort="Hold 3"
    )

    with page.expect_navigation():
        page.get_by_role("button", name=da("Cancel the place")).click()
    assert da(
        "%(leader)s's place in %(cohort)s is cancelled.", leader=colleague.name, cohort="Hold 3"
    ) in messages_text(page)
    assert page.locator("#current-place").inner_text() == da(
        "%(name)s has no place in the programme yet.", name=colleague.name
    )
    assert not Enrolment.objects.filter(leader=colleague, status__in=Enrolment.ACTIVE).exists()
    to_colleague = [e.subject for e in queued() if e.to == [colleague.user.email]]
    assert to_colleague == [
        "Du er tilmeldt Hold 2",
        "Du er tilmeldt Hold 3",
        "Din plads på Hold 3 er afmeldt",
    ]


def test_a_manager_reserves_seats_names_a_leader_and_releases_the_rest(
    world, open_cohort, page, page_for, sign_in_as, live_server
):
    """From *Mit team* to *Reserverede pladser*: two seats in Hold 3 held for the team,
    one given to a leader of it (the leader has the place and the e-mail), the other
    released; while held, the seats are taken for everyone else."""
    colleague, hold_3 = world.colleague, open_cohort
    sign_in_as(world.manager)
    page.goto(live_server.url + reverse("managers:team"))
    with page.expect_navigation():
        page.get_by_role("link", name=da("Reserved seats"), exact=True).click()
    assert page.locator("h1").inner_text() == da("Reserved seats")
    assert check_page(page, "manager-reservations") == []

    page.locator("#id_cohort").select_option(str(hold_3.pk))
    page.locator("#id_seats").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name=da("Reserve"), exact=True).click()
    held = Reservation.objects.get(cohort=hold_3, manager=world.manager)
    assert page.url == live_server.url + reverse("managers:reservation", args=[held.pk])
    assert da(
        "%(seats)s seat in %(cohort)s is reserved for your leaders until %(day)s.",
        "%(seats)s seats in %(cohort)s are reserved for your leaders until %(day)s.",
        2,
        seats=2,
        cohort="Hold 3",
        day="16. februar 2016",
    ) in messages_text(page)
    assert check_page(page, "manager-reservation") == []

    # Held for the team: another leader sees the two seats taken on the cohort's page.
    other = page_for(world.leader)
    other.goto(live_server.url + reverse("dashboard:cohort_detail", args=[hold_3.pk]))
    seats = other.locator("main dl")
    assert da("%(taken)s of %(capacity)s", taken=2, capacity=hold_3.capacity) in seats.inner_text()
    assert f"{da('Free seats')}\n{hold_3.capacity - 2}" in seats.inner_text()

    page.locator("#id_leader").select_option(str(colleague.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=da("Give the seat"), exact=True).click()
    assert enrolled(colleague.name, "Hold 3") in messages_text(page)
    assert colleague.name in page.locator("#named-heading + ul").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name=da("Release the unnamed seats now")).click()
    assert da("The unnamed seats in %(cohort)s are released.", cohort="Hold 3") in messages_text(
        page
    )
    held.refresh_from_db()
    assert (held.seats, held.named, held.released_at is not None) == (2, 1, True)
    # The colleague holds the named seat; the released one is everyone's again.
    assert (
        Enrolment.objects.get(leader=colleague, status=Enrolment.Status.ENROLLED).cohort == hold_3
    )
    assert Cohort.objects.with_seats().get(pk=hold_3.pk).seats_taken == 1
    to_colleague = [e.subject for e in queued() if e.to == [colleague.user.email]]
    assert to_colleague == ["Du er tilmeldt Hold 3"]
