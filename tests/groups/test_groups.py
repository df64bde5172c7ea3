"""Learning groups in the portal: HR forms them with one action and adjusts them by hand
in the admin; the group's page is its members' and HR's; leaders see their group on the
dashboard, kept fresh when it changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from groups import forming
from groups.models import GroupMembership, LearningGroup
from outcomes.models import Collaborator, Initiative
from programme.models import Department, Enrolment, Leader
from tests.conftest import local, make_leader, make_user

NOW = "2016-01-20T10:00"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW


@pytest.fixture
def areas(db) -> list[Department]:
    """Two areas (centres), each with two departments under it."""
    made = []
    for a in range(2):
        area = Department.objects.create(name=f"Center {a}", code=f"C{a}")
        made.append(area)
        for d in range(2):
            Department.objects.create(name=f"Afdeling {a}.{d}", code=f"A{a}{d}", parent=area)
    return made


def enrolled_leaders(cohort, count: int, start: int = 0) -> list[Leader]:
    """``count`` leaders seated in the cohort, spread over the four departments."""
    departments = list(Department.objects.filter(parent__isnull=False).order_by("code"))
    leaders = []
    for i in range(start, start + count):
        leader = make_leader(
            f"leder{i}@albertslund.dk", f"Leder {i:03}", departments[i % 4], f"9{i:03}"
        )
        Enrolment.objects.create(leader=leader, cohort=cohort, status="enrolled")
        leaders.append(leader)
    return leaders


def members_of(group: LearningGroup) -> set[int]:
    return set(group.memberships.values_list("leader_id", flat=True))


# --- Forming ------------------------------------------------------------------------


def test_hr_forms_a_cohorts_groups_with_one_action(client, hr, cohort, areas):
    leaders = enrolled_leaders(cohort, 10)
    client.force_login(hr)
    response = client.post(
        reverse("admin:programme_cohort_changelist"),
        {"action": "form_learning_groups", "_selected_action": [cohort.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 læringsgrupper dannet med 10 ledere" in response.text
    groups = list(LearningGroup.objects.filter(cohort=cohort))
    assert [g.memberships.count() for g in groups] == [5, 5]
    placed = [m.leader_id for m in GroupMembership.objects.all()]
    assert sorted(placed) == sorted(leader.pk for leader in leaders)
    # Ten leaders of four departments in two groups: no group has three of one.
    for group in groups:
        departments = list(group.memberships.values_list("leader__department", flat=True))
        assert max(departments.count(d) for d in departments) <= 2


def test_forming_again_replaces_formed_groups_and_keeps_those_edited_by_hand(cohort, areas):
    # Four departments of three leaders: three groups of four keep each apart.
    enrolled_leaders(cohort, 12)
    first = forming.form(cohort.programme, cohort)
    assert (first.groups, first.leaders, first.replaced) == (3, 12, 0)
    kept = LearningGroup.objects.filter(cohort=cohort).first()
    kept.edited_by_hand = True
    kept.save()
    kept_members = members_of(kept)

    again = forming.form(cohort.programme, cohort)

    assert again.replaced == 2
    assert again.kept == 1
    assert again.leaders == 8  # the kept group's four are left out
    assert again.groups == 2
    kept.refresh_from_db()
    assert members_of(kept) == kept_members
    assert LearningGroup.objects.filter(cohort=cohort).count() == 3
    assert GroupMembership.objects.count() == 12


def test_the_whole_programme_leaves_out_leaders_already_in_a_cohorts_group(
    client, hr, cohort, other_cohort, areas
):
    enrolled_leaders(cohort, 5)
    enrolled_leaders(other_cohort, 8, start=100)
    forming.form(cohort.programme, cohort)
    client.force_login(hr)
    response = client.post(
        reverse("admin:programme_programme_changelist"),
        {"action": "form_learning_groups", "_selected_action": [cohort.programme_id]},
        follow=True,
    )
    assert "2 læringsgrupper dannet med 8 ledere" in response.text
    assert "5 ledere, der allerede er i en gruppe, blev udeladt" in response.text
    assert LearningGroup.objects.filter(cohort=None).count() == 2
    assert GroupMembership.objects.count() == 13


def test_waitlisted_and_departed_leaders_are_not_grouped(cohort, areas):
    seated = enrolled_leaders(cohort, 4)
    waiting = make_leader("venter@albertslund.dk", "Venter", seated[0].department, "8001")
    Enrolment.objects.create(leader=waiting, cohort=cohort, status="waitlisted")
    Leader.objects.filter(pk=seated[0].pk).update(left_on=dt.date(2016, 1, 1))
    formed = forming.form(cohort.programme, cohort)
    assert formed.leaders == 3
    assert set(GroupMembership.objects.values_list("leader_id", flat=True)) == {
        leader.pk for leader in seated[1:]
    }


def test_forming_many_cohorts_at_once_forms_each_as_forming_it_alone_would(
    cohort, other_cohort, areas
):
    """The demo forms every cohort's groups in one go (form_cohorts); each cohort gets
    what forming it alone gives, hand-edited groups kept, in a fixed number of queries."""
    enrolled_leaders(cohort, 12)
    enrolled_leaders(other_cohort, 9, start=100)
    programme = cohort.programme
    forming.form(programme, cohort)
    kept = LearningGroup.objects.filter(cohort=cohort).first()
    kept.edited_by_hand = True
    kept.save()

    def groups():
        return sorted(
            (g.cohort_id, g.name, g.edited_by_hand, frozenset(members_of(g)))
            for g in LearningGroup.objects.all()
        )

    alone = [forming.form(programme, cohort), forming.form(programme, other_cohort)]
    formed_alone = groups()
    LearningGroup.objects.filter(cohort=other_cohort).delete()
    forming.form(programme, cohort)  # back to the state before (group names restart)

    together = forming.form_cohorts(programme, [cohort, other_cohort])

    assert together == alone
    assert alone[0].kept == 1 and alone[0].elsewhere == 4  # the kept group's four
    assert groups() == formed_alone


def test_forming_many_cohorts_takes_the_same_queries_as_forming_one(
    cohort, other_cohort, areas, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrolled_leaders(cohort, 6)
    with CaptureQueriesContext(connection) as one:
        forming.form_cohorts(cohort.programme, [cohort])
    LearningGroup.objects.all().delete()
    enrolled_leaders(other_cohort, 6, start=100)
    with django_assert_max_num_queries(len(one)):
        forming.form_cohorts(cohort.programme, [cohort, other_cohort])
    assert LearningGroup.objects.filter(cohort=other_cohort).exists()


# --- By hand in the admin -----------------------------------------------------------


def group_form(group: LearningGroup, leaders: list[Leader], existing=()) -> dict:
    data = {
        "name": group.name,
        "next_meeting_0": "2016-02-01",
        "next_meeting_1": "14:00",
        "place": "Rådhuset, lokale 2",
        "memberships-TOTAL_FORMS": str(len(existing) + len(leaders)),
        "memberships-INITIAL_FORMS": str(len(existing)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, membership in enumerate(existing):
        data[f"memberships-{i}-id"] = str(membership.pk)
        data[f"memberships-{i}-group"] = str(group.pk)
        data[f"memberships-{i}-leader"] = str(membership.leader_id)
    for i, leader in enumerate(leaders, start=len(existing)):
        data[f"memberships-{i}-group"] = str(group.pk)
        data[f"memberships-{i}-leader"] = str(leader.pk)
    return data


def test_a_leader_put_in_a_second_group_by_hand_is_refused_with_a_message(
    client, hr, cohort, areas
):
    enrolled_leaders(cohort, 10)
    forming.form(cohort.programme, cohort)
    first, second = LearningGroup.objects.filter(cohort=cohort)
    moved = first.memberships.first().leader
    client.force_login(hr)
    url = reverse("admin:groups_learninggroup_change", args=[second.pk])
    existing = list(second.memberships.all())
    response = client.post(url, group_form(second, [moved], existing))
    assert response.status_code == 200
    assert f"{moved.name} er allerede i læringsgruppen {first.name} i dette forløb" in (
        response.text
    )
    assert GroupMembership.objects.get(leader=moved).group == first
    second.refresh_from_db()
    assert not second.edited_by_hand


def test_a_group_changed_by_hand_is_marked_and_shows_its_meeting(client, hr, cohort, areas):
    enrolled_leaders(cohort, 10)
    forming.form(cohort.programme, cohort)
    first, second = LearningGroup.objects.filter(cohort=cohort)
    moved = first.memberships.first()
    moved_leader = moved.leader
    moved.delete()
    client.force_login(hr)
    url = reverse("admin:groups_learninggroup_change", args=[second.pk])
    existing = list(second.memberships.all())
    response = client.post(url, group_form(second, [moved_leader], existing))
    assert response.status_code == 302, response.context["errors"]
    second.refresh_from_db()
    assert second.edited_by_hand
    assert second.next_meeting == local(2016, 2, 1, 14)
    assert GroupMembership.objects.get(leader=moved_leader).group == second


# --- The group's page ---------------------------------------------------------------


@pytest.fixture
def group(cohort, areas) -> LearningGroup:
    enrolled_leaders(cohort, 5)
    forming.form(cohort.programme, cohort)
    group = LearningGroup.objects.get()
    group.next_meeting = local(2016, 2, 3, 13)
    group.place = "Rådhuset, mødelokale 4"
    group.save()
    return group


def test_a_member_sees_the_members_their_departments_areas_and_the_next_meeting(client, group):
    member = group.memberships.select_related("leader__department__parent").first().leader
    client.force_login(member.user)
    response = client.get(reverse("groups:detail", args=[group.pk]))
    assert response.status_code == 200
    for membership in group.memberships.select_related("leader__department__parent"):
        assert membership.leader.name in response.text
    assert member.department.name in response.text
    assert member.department.parent.name in response.text
    assert "3. februar 2016" in response.text
    assert "Rådhuset, mødelokale 4" in response.text
    assert "Næste møde" in response.text


def test_the_group_page_shows_what_members_share_or_work_on_and_nothing_else(
    client, group, outsider
):
    members = [m.leader for m in group.memberships.select_related("leader").order_by("pk")]
    programme = group.programme

    def initiative(leader, title, shared):
        return Initiative.objects.create(
            leader=leader,
            programme=programme,
            title=title,
            problem="Borgerne venter",
            expected_benefit="Kortere ventetid",
            it=True,
            shared_at=local(2016, 1, 10) if shared else None,
            created_at=local(2016, 1, 9),
            changed_at=local(2016, 1, 9),
        )

    initiative(members[0], "Digital vagtplan", shared=True)
    initiative(members[1], "Privat kladde", shared=False)
    joined = initiative(outsider, "Fælles booking af lokaler", shared=True)
    Collaborator.objects.create(initiative=joined, leader=members[2], joined_at=local(2016, 1, 11))
    initiative(outsider, "Udenfor gruppen", shared=True)
    client.force_login(members[3].user)
    url = reverse("groups:detail", args=[group.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Digital vagtplan" in response.text
    assert "Fælles booking af lokaler" in response.text  # a member works on it
    assert "Privat kladde" not in response.text  # not shared: the leader's own
    assert "Udenfor gruppen" not in response.text
    assert "Medlemmernes delte initiativer" in response.text
    # Withdrawn from the catalogue: gone from the group's page too.
    Initiative.objects.filter(title="Digital vagtplan").update(shared_at=None)
    assert "Digital vagtplan" not in client.get(url).text


def test_a_member_who_has_left_is_no_longer_shown_to_the_group(client, group):
    members = [m.leader for m in group.memberships.select_related("leader").order_by("pk")]
    gone = members[0]
    Initiative.objects.create(
        leader=gone,
        programme=group.programme,
        title="Delt før fratræden",
        problem="Borgerne venter",
        expected_benefit="Kortere ventetid",
        it=True,
        shared_at=local(2016, 1, 10),
        created_at=local(2016, 1, 9),
        changed_at=local(2016, 1, 9),
    )
    client.force_login(members[1].user)
    url = reverse("groups:detail", args=[group.pk])
    assert gone.name in client.get(url).text
    Leader.objects.filter(pk=gone.pk).update(left_on=dt.date(2016, 1, 15))
    response = client.get(url)
    assert gone.name not in response.text
    assert "Delt før fratræden" not in response.text
    assert members[2].name in response.text


def test_a_group_whose_members_share_nothing_says_so(client, group):
    client.force_login(group.memberships.first().leader.user)
    response = client.get(reverse("groups:detail", args=[group.pk]))
    assert "Intet medlem har delt et initiativ endnu." in response.text


def test_hr_sees_any_group(client, hr, group):
    client.force_login(hr)
    assert client.get(reverse("groups:detail", args=[group.pk])).status_code == 200


def test_a_leader_outside_the_group_is_told_it_does_not_exist(client, group, outsider):
    client.force_login(outsider.user)
    assert client.get(reverse("groups:detail", args=[group.pk])).status_code == 404


def test_a_manager_who_is_no_member_is_told_it_does_not_exist(client, group):
    department = group.memberships.first().leader.department
    manager = make_user("chef@albertslund.dk")
    department.managers.add(manager)
    client.force_login(manager)
    assert client.get(reverse("groups:detail", args=[group.pk])).status_code == 404


# --- The dashboard ------------------------------------------------------------------


def test_a_leader_sees_their_group_and_its_next_meeting_on_the_dashboard(client, group):
    member = group.memberships.first().leader
    client.force_login(member.user)
    response = client.get("/")
    assert reverse("groups:detail", args=[group.pk]) in response.text
    assert "Din læringsgruppe" in response.text
    assert "Næste møde: 3. februar 2016 kl. 13:00, Rådhuset, mødelokale 4." in response.text


def test_the_kept_dashboard_shows_a_new_group_and_its_changes_at_once(
    client, settings, cohort, areas
):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    (leader,) = enrolled_leaders(cohort, 1)
    client.force_login(leader.user)
    assert "Din læringsgruppe" not in client.get("/").text
    assert "Din læringsgruppe" not in client.get("/").text  # kept now

    forming.form(cohort.programme, cohort)  # a membership written in bulk
    group = LearningGroup.objects.get()
    assert group.name in client.get("/").text

    group.name = "Gruppe Nord"
    group.save()
    assert "Gruppe Nord" in client.get("/").text

    GroupMembership.objects.filter(leader=leader).delete()
    assert "Din læringsgruppe" not in client.get("/").text


def test_hr_adds_a_group_by_hand_and_a_leader_of_another_group_is_refused(
    client, hr, cohort, areas
):
    leaders = enrolled_leaders(cohort, 6)
    grouped = leaders[0]
    other = LearningGroup.objects.create(programme=cohort.programme, name="Gruppe A")
    GroupMembership.objects.create(group=other, leader=grouped)
    client.force_login(hr)
    url = reverse("admin:groups_learninggroup_add")
    new = LearningGroup(programme=cohort.programme, cohort=cohort, name="Gruppe B")
    data = group_form(new, leaders[:3]) | {"programme": cohort.programme_id, "cohort": cohort.pk}
    for i in range(3):
        del data[f"memberships-{i}-group"]

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert f"{grouped.name} er allerede i læringsgruppen Gruppe A i dette forløb" in refused.text
    assert not LearningGroup.objects.filter(name="Gruppe B").exists()

    data["memberships-0-leader"] = str(leaders[3].pk)
    assert client.post(url, data).status_code == 302
    added = LearningGroup.objects.get(name="Gruppe B")
    assert added.edited_by_hand
    assert members_of(added) == {leaders[3].pk, leaders[1].pk, leaders[2].pk}
    assert set(added.memberships.values_list("programme", flat=True)) == {cohort.programme_id}
