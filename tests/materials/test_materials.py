"""Module materials: a leader with a seat at a session sees its materials and its
module's from the set number of days before it, and opens the files; nobody else does
(a 404 to another leader), whatever the address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

import booking
from materials.models import Material
from programme.models import MakeUpBooking
from tests.conftest import NOW, local

LIST = reverse("materials:list")


def file_url(material) -> str:
    return reverse("materials:file", args=[material.pk])


def pdf(title: str, days_before: int = 7, **target) -> Material:
    material = Material(title=title, days_before=days_before, **target)
    material.file.save("forberedelse.pdf", ContentFile(b"%PDF-1.4 forberedelse"), save=False)
    material.save()
    return material


@pytest.fixture
def seated(leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    return leader


def second_session(cohort):
    return cohort.sessions.order_by("starts_at")[1]  # Hold 1's module 2: 9 February 2016


def test_a_session_material_shows_from_its_days_before_and_not_a_day_earlier(
    client, settings, seated, cohort
):
    session = second_session(cohort)
    material = pdf("Læs før mødegang 2", days_before=7, session=session)
    client.force_login(seated.user)
    opens = session.starts_at - dt.timedelta(days=7)

    settings.PORTAL_CLOCK = (opens - dt.timedelta(minutes=1)).isoformat()
    page = client.get(LIST)
    assert [s.material for s in page.context["visible"]] == []
    assert [s.material for s in page.context["coming"]] == [material]
    assert client.get(file_url(material)).status_code == 404

    settings.PORTAL_CLOCK = opens.isoformat()
    page = client.get(LIST)
    assert [s.material for s in page.context["visible"]] == [material]
    response = client.get(file_url(material))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 forberedelse"
    assert "attachment" in response["Content-Disposition"]


def test_a_module_material_shows_for_the_leaders_own_session_of_it(
    client, settings, seated, cohort, modules
):
    material = pdf("Slides", days_before=3, module=modules[1])
    settings.PORTAL_CLOCK = second_session(cohort).starts_at.isoformat()
    client.force_login(seated.user)
    [shown] = client.get(LIST).context["visible"]
    assert (shown.material, shown.session) == (material, second_session(cohort))


def test_a_make_up_seat_brings_the_make_up_sessions_materials(
    client, settings, leader, other_cohort
):
    session = other_cohort.sessions.order_by("starts_at")[1]
    MakeUpBooking.objects.create(leader=leader, session=session, booked_at=NOW)
    material = Material.objects.create(
        title="Link til video", link="https://example.org/video", session=session
    )
    settings.PORTAL_CLOCK = session.starts_at.isoformat()
    client.force_login(leader.user)
    page = client.get(LIST)
    assert [s.material for s in page.context["visible"]] == [material]
    assert 'href="https://example.org/video"' in page.text


def test_a_leader_without_a_seat_at_the_session_never_gets_its_material(
    client, settings, seated, colleague, cohort, open_cohort
):
    material = pdf("Kun for Hold 1", days_before=30, session=second_session(cohort))
    booking.enrol(leader=colleague, cohort=open_cohort, now=local(2016, 1, 5))
    settings.PORTAL_CLOCK = second_session(cohort).starts_at.isoformat()
    client.force_login(colleague.user)
    assert client.get(LIST).context["visible"] == []
    assert client.get(file_url(material)).status_code == 404


def test_a_waitlisted_leader_does_not_get_the_cohorts_material(
    client, settings, seated, colleague, cohort
):
    cohort.capacity = 1
    cohort.save()
    place = booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    assert place.status == "waitlisted"
    material = pdf("Hold 1", days_before=30, session=second_session(cohort))
    settings.PORTAL_CLOCK = second_session(cohort).starts_at.isoformat()
    client.force_login(colleague.user)
    assert client.get(file_url(material)).status_code == 404


def test_hr_opens_any_material_and_someone_without_a_leader_profile_is_refused(
    client, hr, manager_a, cohort
):
    material = pdf("Slides", session=second_session(cohort))
    client.force_login(hr)
    assert client.get(file_url(material)).status_code == 200
    client.force_login(manager_a)
    assert client.get(file_url(material)).status_code == 403
    assert client.get(LIST).status_code == 403


def test_a_material_is_for_a_module_or_a_session_and_has_a_link_or_a_file(modules, cohort):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Material.objects.create(
            title="Begge", link="https://x.dk", module=modules[0], session=second_session(cohort)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Material.objects.create(title="Intet", module=modules[0])


@pytest.mark.parametrize("count", [1, 10])
def test_the_list_runs_a_fixed_number_of_queries(
    client, settings, seated, cohort, modules, count, django_assert_num_queries
):
    from tests.conftest import session_reads

    for n in range(count):
        Material.objects.create(title=f"Link {n}", link=f"https://x.dk/{n}", module=modules[n % 3])
    settings.PORTAL_CLOCK = "2016-04-30T09:00"
    client.force_login(seated.user)
    client.get(LIST)
    # Session and user with the leader and roles (2), the programme (the header's), the
    # leader's sessions, the materials.
    with django_assert_num_queries(5 - 1 + session_reads()):
        response = client.get(LIST)
    assert len(response.context["visible"]) == count
