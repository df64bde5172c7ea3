"""The catalogue of ideas (idékatalog): a leader shares an initiative with all leaders and
can withdraw it; other leaders and HR find it by words, dimension, area and status; an
initiative nobody shared is never shown to anyone but its leader, their manager and HR."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.personal_data import personal_data
from accounts.privacy import anonymise_leader
from outcomes.models import Initiative
from programme.models import Department
from tests.conftest import NOW, make_leader, make_manager, session_reads
from tests.outcomes.test_leader_outcomes import initiative_data
from tests.outcomes.test_outcome_reports import make_initiative

CATALOGUE = reverse("outcomes:catalogue")
NEW = reverse("outcomes:initiative_new")


def shared(leader, programme, **extra) -> Initiative:
    return make_initiative(leader, programme, shared_at=NOW, **extra)


def titles(client, **query) -> list[str]:
    response = client.get(CATALOGUE, query)
    assert response.status_code == 200
    return [initiative.title for initiative in response.context["page"]]


@pytest.fixture
def signed_in_outsider(client, settings, outsider, programme):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(outsider.user)
    return client


def test_a_shared_initiative_is_found_by_a_leader_in_another_area_with_who_shared_it(
    client, settings, leader, outsider, programme
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    response = client.post(NEW, initiative_data(title="Digital post til forældre", share="on"))
    assert response.status_code == 302
    assert Initiative.objects.get().shared_at is not None

    client.force_login(outsider.user)
    response = client.get(CATALOGUE)
    assert [i.title for i in response.context["page"]] == ["Digital post til forældre"]
    assert leader.name in response.text and leader.department.name in response.text


def test_an_initiative_is_not_shared_unless_its_leader_says_so(
    client, settings, leader, outsider, programme
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    client.post(NEW, initiative_data(title="Mit eget"))
    assert Initiative.objects.get().shared_at is None
    client.force_login(outsider.user)
    assert titles(client) == []


def test_a_withdrawn_initiative_leaves_the_catalogue_at_once(
    client, settings, leader, outsider, programme
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    client.post(NEW, initiative_data(title="Chatbot", share="on"))
    initiative = Initiative.objects.get()
    edit = reverse("outcomes:initiative_edit", args=[initiative.pk])
    assert client.get(edit).context["form"].initial["share"] is True
    client.post(edit, initiative_data(title="Chatbot"))  # the box left empty
    initiative.refresh_from_db()
    assert initiative.shared_at is None
    client.force_login(outsider.user)
    assert titles(client) == []


def test_sharing_again_keeps_the_first_date(client, settings, leader, programme):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    client.post(NEW, initiative_data(share="on"))
    initiative = Initiative.objects.get()
    first = initiative.shared_at
    settings.PORTAL_CLOCK = (NOW + dt.timedelta(days=3)).isoformat()
    edit = reverse("outcomes:initiative_edit", args=[initiative.pk])
    client.post(edit, initiative_data(share="on", status="planned"))
    initiative.refresh_from_db()
    assert initiative.shared_at == first


def test_the_catalogue_filters_by_dimension_status_and_area(
    signed_in_outsider, leader, colleague, outsider, programme, department_a
):
    area = Department.objects.create(name="Center for Byudvikling", code="BYU")
    department_a.parent = area
    department_a.save()
    shared(leader, programme, title="Robot", it=True, status="planned")
    shared(colleague, programme, title="Skemaer", it=False, people=True, status="idea")
    shared(outsider, programme, title="Borgerservice", it=True, status="idea")
    client = signed_in_outsider
    assert set(titles(client)) == {"Robot", "Skemaer", "Borgerservice"}
    assert set(titles(client, dimension="it")) == {"Robot", "Borgerservice"}
    assert titles(client, status="planned") == ["Robot"]
    assert set(titles(client, area=area.pk)) == {"Robot", "Skemaer"}
    assert titles(client, area=area.pk, dimension="people") == ["Skemaer"]


def test_every_word_searched_must_be_in_the_initiative(signed_in_outsider, leader, programme):
    shared(leader, programme, title="Digital post", problem="Breve på papir når ikke frem")
    shared(leader, programme, title="Robotstøvsuger", problem="Gulve bliver ikke gjort rene")
    assert titles(signed_in_outsider, q="papir") == ["Digital post"]
    assert titles(signed_in_outsider, q="breve papir") == ["Digital post"]
    assert titles(signed_in_outsider, q="breve gulve") == []


@pytest.mark.postgres
def test_a_danish_word_form_finds_the_word_on_postgresql(signed_in_outsider, leader, programme):
    shared(
        leader,
        programme,
        title="Digitalisering af visitationen",
        problem="Sagsbehandlerne skriver de samme oplysninger tre gange",
        expected_benefit="Kortere ventetid for borgerne",
    )
    shared(leader, programme, title="Nye stole", problem="Ryggen", expected_benefit="Ro")
    assert titles(signed_in_outsider, q="digitaliseringen") == ["Digitalisering af visitationen"]
    assert titles(signed_in_outsider, q="sagsbehandler") == ["Digitalisering af visitationen"]
    assert titles(signed_in_outsider, q="borger") == ["Digitalisering af visitationen"]


def test_hr_reads_the_catalogue_and_a_manager_who_is_no_leader_is_refused(
    client, hr, leader, programme, department_a
):
    shared(leader, programme, title="Robot")
    client.force_login(hr)
    assert titles(client) == ["Robot"]
    client.force_login(make_manager("chef.x@albertslund.dk", department_a))
    assert client.get(CATALOGUE).status_code == 403


def test_someone_not_signed_in_is_sent_to_sign_in(client, leader, programme):
    shared(leader, programme, title="Robot")
    response = client.get(CATALOGUE)
    assert response.status_code == 302 and "Robot" not in response.text


def test_an_anonymised_leaders_initiative_leaves_the_catalogue(
    signed_in_outsider, leader, programme
):
    shared(leader, programme, title="Søren Ærbøs robot")
    assert personal_data(leader)["initiatives"][0]["shared_with_all_leaders_since"]
    leader.left_on = dt.date(2016, 1, 1)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert titles(signed_in_outsider) == []


# Session and user with the leader and roles (2), the programme, the count of shared
# initiatives, the areas for the filter, the page of initiatives with their leaders, and
# those working on them too.
CATALOGUE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 10])
def test_the_catalogue_runs_a_fixed_number_of_queries(
    signed_in_outsider, programme, department_a, count, django_assert_num_queries
):
    for n in range(count):
        shared(
            make_leader(f"l{n}@albertslund.dk", f"Leder {n}", department_a, f"9{n:03d}"),
            programme,
            title=f"Idé {n}",
        )
    signed_in_outsider.get(CATALOGUE)
    with django_assert_num_queries(CATALOGUE_QUERIES - 1 + session_reads()):
        response = signed_in_outsider.get(CATALOGUE)
    assert response.text.count("<article") == count


def test_a_bad_filter_value_says_so_and_shows_nothing(signed_in_outsider, leader, programme):
    shared(leader, programme, title="Robot")
    response = signed_in_outsider.get(CATALOGUE, {"area": "999999"})
    assert response.status_code == 400
    assert response.context["form"].errors["area"]
    assert list(response.context["page"]) == []


# --- "Vil samarbejde" -----------------------------------------------------------------


def collaborate(client, initiative):
    return client.post(reverse("outcomes:collaborate", args=[initiative.pk]))


def test_a_leader_in_another_area_works_on_a_shared_initiative_and_both_are_told(
    signed_in_outsider, leader, outsider, programme, mailoutbox
):
    from post_office.models import Email

    initiative = shared(leader, programme, title="Digital post til forældre")
    response = collaborate(signed_in_outsider, initiative)
    assert response.status_code == 302
    assert list(initiative.collaborators.values_list("leader", flat=True)) == [outsider.pk]
    queued = {e.to[0]: e for e in Email.objects.all()}
    assert set(queued) == {leader.user.email, outsider.user.email}
    for person in (leader, outsider):
        body = queued[person.user.email].message
        assert body.startswith(f"Kære {person.name}")
        assert "Digital post til forældre" in body
        assert leader.user.email in body and outsider.user.email in body
    page = signed_in_outsider.get(CATALOGUE)
    assert "Du arbejder også med på det." in page.text
    assert outsider.name in page.text  # among those working on it


def test_pressing_twice_makes_one_co_owner_and_sends_nothing_again(
    signed_in_outsider, leader, programme
):
    from post_office.models import Email

    initiative = shared(leader, programme)
    collaborate(signed_in_outsider, initiative)
    collaborate(signed_in_outsider, initiative)
    assert initiative.collaborators.count() == 1
    assert Email.objects.count() == 2


def test_a_leader_cannot_join_their_own_or_an_unshared_initiative(client, leader, programme):
    from post_office.models import Email

    client.force_login(leader.user)
    own = shared(leader, programme)
    assert collaborate(client, own).status_code == 302
    assert own.collaborators.count() == 0
    private = make_initiative(leader, programme, title="Privat")
    assert collaborate(client, private).status_code == 404
    assert Email.objects.count() == 0


def test_co_ownership_is_in_the_personal_data_and_goes_with_anonymisation(
    signed_in_outsider, leader, outsider, programme
):
    initiative = shared(leader, programme, title="Robot")
    collaborate(signed_in_outsider, initiative)
    [worked_on] = personal_data(outsider)["shared_initiatives_worked_on"]
    assert worked_on["initiative"] == "Robot" and worked_on["shared_by"] == leader.name
    outsider.left_on = dt.date(2016, 1, 1)
    outsider.save()
    anonymise_leader(outsider, now=NOW)
    assert initiative.collaborators.count() == 0
