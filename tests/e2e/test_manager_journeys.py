"""A manager's hand in their leaders' places, in a real browser: from *Mit team* to a
leader's page, enrol them, move them to another cohort and cancel, each through booking,
each with the leader's e-mail in the outbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programme.models import Enrolment
from tests.conftest import queued
from tests.e2e.conftest import da

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def messages_text(page) -> str:
    return page.locator(".messages").inner_text()


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
    assert da(
        "%(leader)s is enrolled in %(cohort)s. A confirmation with the calendar is on its way "
        "to their e-mail.",
        leader=colleague.name,
        cohort="Hold 2",
    ) in messages_text(page)
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
