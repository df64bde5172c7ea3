"""Session evaluations in a real browser: a leader who attended the kick-off finds it on
the dashboard and answers; the facilitator sees "too few answers yet" until a second
leader has answered (the minimum group is 2 here), then the averages and both texts,
without names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programme.models import Attendance, Facilitator
from tests.conftest import make_user
from tests.e2e.conftest import da

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def evaluate(page, live_server, relevance: str, facilitation: str, text: str) -> None:
    """From the dashboard's "Evaluér" link: two scores, a text, send."""
    page.goto(live_server.url + reverse("dashboard:dashboard"))
    with page.expect_navigation():
        page.get_by_role("link", name=da("Evaluate %(module)s", module="Kick-off")).click()
    page.check(f'input[name="relevance"][value="{relevance}"]')
    page.check(f'input[name="facilitation"][value="{facilitation}"]')
    page.fill("#id_different", text)
    with page.expect_navigation():
        page.get_by_role("button", name=da("Send my evaluation")).click()
    assert da("Thank you: your evaluation is saved.") in page.locator(".messages").inner_text()
    # Asked no more: the dashboard's link is gone.
    assert page.get_by_role("link", name=da("Evaluate %(module)s", module="Kick-off")).count() == 0


def test_a_leader_evaluates_and_the_facilitator_sees_the_average_once_the_group_is_large_enough(
    world, settings, page, sign_in_as, page_for, live_server
):
    settings.ASSESSMENT_MIN_GROUP = 2
    first = world.first_session
    facilitator = Facilitator.objects.create(
        name="Lene Holm", user=make_user("lene.holm@albertslund.dk")
    )
    first.facilitator = facilitator
    first.save()
    Attendance.objects.create(leader=world.colleague, session=first, status=Attendance.Status.LATE)

    sign_in_as(world.leader)
    evaluate(page, live_server, "5", "4", "Tale med teamet om data")

    screen = page_for(facilitator.user)
    screen.goto(live_server.url + reverse("checkin:sessions"))
    with screen.expect_navigation():
        screen.get_by_role("link", name=da("Evaluations of my sessions")).click()
    row = screen.locator(f'tbody tr[data-unit="session:{first.pk}"]')
    assert da("too few answers yet") in row.inner_text()
    with screen.expect_navigation():
        row.get_by_role("link").click()
    assert "Tale med teamet" not in screen.locator("main").inner_text()

    other = page_for(world.colleague)
    evaluate(other, live_server, "3", "5", "Færre møder, flere forsøg")

    screen.goto(live_server.url + reverse("evaluations:mine"))
    cells = screen.locator(f'tbody tr[data-unit="session:{first.pk}"] td').all_inner_texts()
    assert cells == ["4,0", "4,5", "2"]
    with screen.expect_navigation():
        screen.locator(f'tbody tr[data-unit="session:{first.pk}"]').get_by_role("link").click()
    texts = screen.locator("main ul li").all_inner_texts()
    assert texts == ["Færre møder, flere forsøg", "Tale med teamet om data"]
    main = screen.locator("main").inner_text()
    assert world.leader.name not in main and world.colleague.name not in main
