"""Admin actions on enrolments and leaders: every change goes through booking."""

import pytest
from django.urls import reverse

import booking
from programme.models import Enrolment
from tests.conftest import NOW, local, make_leader

ENROLMENTS = reverse("admin:programme_enrolment_changelist")
LEADERS = reverse("admin:programme_leader_changelist")


@pytest.fixture(autouse=True)
def _clock_at_now(settings):
    """The actions use the portal's clock: set it inside the programme."""
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def run(client, url, action, objects, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    # Following the redirect renders the list, which shows (and so uses up) the messages.
    return client.post(url, data, follow=True)


def levels(response):
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def status_of(leader, cohort):
    return Enrolment.objects.get(leader=leader, cohort=cohort).status


def test_moving_first_shows_a_page_to_choose_the_cohort(hr_client, cohort, other_cohort, leader):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    response = run(hr_client, ENROLMENTS, "move_to_cohort", [enrolment])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/programme/choose_cohort.html"
    assert status_of(leader, cohort) == Enrolment.Status.ENROLLED


def test_moving_enrolments_moves_each_leader_until_the_cohort_is_full(
    hr_client, cohort, other_cohort, leader, colleague, outsider, department_a
):
    moving = [
        booking.enrol(leader=x, cohort=cohort, now=NOW) for x in (leader, colleague, outsider)
    ]
    for n in range(2):
        extra = make_leader(f"x{n}@albertslund.dk", f"Fyld {n}", department_a, f"90{n}")
        booking.enrol(leader=extra, cohort=other_cohort, now=NOW)

    response = run(
        hr_client, ENROLMENTS, "move_to_cohort", moving, apply="1", cohort=other_cohort.pk
    )
    assert response.redirect_chain[-1][0] == ENROLMENTS
    # One seat was free: the first to arrive got it; the others keep their place.
    assert status_of(leader, other_cohort) == Enrolment.Status.ENROLLED
    assert status_of(leader, cohort) == Enrolment.Status.CANCELLED
    assert status_of(colleague, cohort) == Enrolment.Status.ENROLLED
    assert status_of(outsider, cohort) == Enrolment.Status.ENROLLED
    messages = levels(response)
    assert [level for level, _ in messages] == ["success", "error", "error"]
    assert leader.name in messages[0][1]
    assert colleague.name in messages[1][1] and other_cohort.name in messages[1][1]


def test_promoting_gives_a_waitlisted_leader_a_freed_seat(
    hr_client, cohort, leader, colleague, outsider, department_a
):
    """Hold 1 has begun (its waitlist fills nobody by itself): HR gives a freed seat."""
    before_start = local(2016, 1, 5)
    seated = [
        booking.enrol(leader=x, cohort=cohort, now=before_start)
        for x in (leader, colleague, outsider)
    ]
    waiting_leader = make_leader("vent@albertslund.dk", "Vera Venter", department_a, "3333")
    waiting = booking.enrol(leader=waiting_leader, cohort=cohort, now=before_start)
    assert waiting.status == Enrolment.Status.WAITLISTED

    refused = run(hr_client, ENROLMENTS, "promote_from_waitlist", [waiting])
    assert levels(refused)[0][0] == "error"
    assert status_of(waiting_leader, cohort) == Enrolment.Status.WAITLISTED

    booking.cancel(enrolment=seated[0], by_staff=True, now=NOW)
    assert status_of(waiting_leader, cohort) == Enrolment.Status.WAITLISTED
    promoted = run(hr_client, ENROLMENTS, "promote_from_waitlist", [waiting])
    assert levels(promoted)[0][0] == "success"
    assert status_of(waiting_leader, cohort) == Enrolment.Status.ENROLLED


def test_promoting_someone_with_a_seat_is_refused(hr_client, cohort, leader):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    response = run(hr_client, ENROLMENTS, "promote_from_waitlist", [enrolment])
    [(level, message)] = levels(response)
    assert level == "error" and message.startswith(f"{leader.name}: ")
    assert status_of(leader, cohort) == Enrolment.Status.ENROLLED


def test_cancelling_frees_the_seat_for_the_first_on_the_waitlist(
    hr_client, open_cohort, leader, colleague, outsider, department_a
):
    cohort = open_cohort
    enrolments = [
        booking.enrol(leader=x, cohort=cohort, now=NOW) for x in (leader, colleague, outsider)
    ]
    waiting_leader = make_leader("vent@albertslund.dk", "Vera Venter", department_a, "3333")
    booking.enrol(leader=waiting_leader, cohort=cohort, now=NOW)

    response = run(hr_client, ENROLMENTS, "cancel_enrolments", enrolments[:1])
    assert status_of(leader, cohort) == Enrolment.Status.CANCELLED
    assert status_of(waiting_leader, cohort) == Enrolment.Status.ENROLLED
    messages = levels(response)
    assert [level for level, _ in messages] == ["success", "info"]
    assert waiting_leader.name in messages[1][1]


def test_cancelling_a_cancelled_place_is_refused_and_the_others_still_cancelled(
    hr_client, cohort, leader, colleague
):
    first = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    second = booking.enrol(leader=colleague, cohort=cohort, now=NOW)
    booking.cancel(enrolment=first, by_staff=True, now=NOW)
    response = run(hr_client, ENROLMENTS, "cancel_enrolments", [first, second])
    assert status_of(colleague, cohort) == Enrolment.Status.CANCELLED
    assert sorted(level for level, _ in levels(response)) == ["error", "success"]


def test_enrolments_cannot_be_deleted_past_the_booking_rules(hr_client, cohort, leader):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    url = reverse("admin:programme_enrolment_delete", args=[enrolment.pk])
    assert hr_client.post(url, {"post": "yes"}).status_code == 403
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_hr_enrols_selected_leaders_and_a_full_cohort_puts_the_rest_on_its_waitlist(
    hr_client, open_cohort, other_cohort, leader, colleague, outsider, department_a
):
    cohort = open_cohort
    booking.enrol(leader=outsider, cohort=other_cohort, now=NOW)
    fourth = make_leader("fjerde@albertslund.dk", "Åge Fjerde", department_a, "4444")
    for n in range(2):
        extra = make_leader(f"x{n}@albertslund.dk", f"Fyld {n}", department_a, f"90{n}")
        booking.enrol(leader=extra, cohort=cohort, now=NOW)

    response = run(
        hr_client,
        LEADERS,
        "enrol_in_cohort",
        [leader, colleague, outsider, fourth],
        apply="1",
        cohort=cohort.pk,
    )
    # One seat was free: one of the three got it, the other two wait; Bodil has a place already.
    statuses = dict(
        Enrolment.objects.filter(cohort=cohort, leader__in=[leader, colleague, fourth]).values_list(
            "leader__name", "status"
        )
    )
    assert sorted(statuses.values()) == ["enrolled", "waitlisted", "waitlisted"]
    assert not Enrolment.objects.filter(leader=outsider, cohort=cohort).exists()
    assert {level for level, _ in levels(response)} == {"success", "error", "warning"}


def test_enrolling_works_after_the_deadline_because_hr_acts(hr_client, cohort, leader, settings):
    cohort.enrolment_deadline = cohort.enrolment_deadline.replace(year=2015)
    cohort.save()
    run(hr_client, LEADERS, "enrol_in_cohort", [leader], apply="1", cohort=cohort.pk)
    assert status_of(leader, cohort) == Enrolment.Status.ENROLLED


def test_moving_a_leader_without_a_place_says_so(
    hr_client, cohort, other_cohort, leader, colleague
):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    response = run(
        hr_client, LEADERS, "move_to_cohort", [leader, colleague], apply="1", cohort=other_cohort.pk
    )
    assert status_of(leader, other_cohort) == Enrolment.Status.ENROLLED
    messages = levels(response)
    assert [level for level, _ in messages] == ["success", "error"]
    assert colleague.name in messages[1][1]


def test_cancelling_from_the_leader_list_uses_the_leaders_active_place(hr_client, cohort, leader):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    run(hr_client, LEADERS, "cancel_place", [leader])
    assert status_of(leader, cohort) == Enrolment.Status.CANCELLED


def test_staff_without_change_permission_see_no_seat_actions(client, cohort, leader):
    from django.contrib.auth.models import Permission

    from tests.conftest import make_user

    viewer = make_user("laeser@albertslund.dk", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_enrolment"))
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    client.force_login(viewer)
    response = run(client, ENROLMENTS, "cancel_enrolments", [enrolment])
    assert status_of(leader, cohort) == Enrolment.Status.ENROLLED
    assert response.status_code == 200


def test_hr_anonymises_leaders_who_have_left_and_is_told_about_the_others(
    hr_client, leader, colleague
):
    leader.left_on = NOW.date()
    leader.save()
    response = run(hr_client, LEADERS, "anonymise_leavers", [leader, colleague])
    leader.refresh_from_db()
    colleague.refresh_from_db()
    assert leader.anonymised_at is not None
    assert "Søren" not in leader.name
    assert colleague.anonymised_at is None
    found = levels(response)
    assert ("success", "1 leder er anonymiseret.") in found
    assert any(tag == "error" and colleague.name in text for tag, text in found)
