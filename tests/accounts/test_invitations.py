"""Invitations: a link to choose a password (valid INVITATION_VALID_DAYS days, once), from
the import, the admin's add form and the leader list; with single sign-on, the work account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import invitations
from hr import import_jobs
from mail.models import Invitation
from programme.models import Leader
from tests.conftest import queued, session_reads

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-leaders.csv"
NEW_PASSWORD = "Ny-adgangskode-2016"


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def link_in(email) -> str:
    return re.search(r"http://testserver(/accounts/invitation/\S+/)", email.message).group(1)


def import_sample(client, *, invite: bool):
    upload = SimpleUploadedFile("ledere.csv", SAMPLE.read_bytes())
    checking = client.post(reverse("admin:programme_leader_import"), {"import_file": upload})
    assert checking.status_code == 302, checking.content[:2000]
    import_jobs.run_pending()  # the import worker checks the file
    checked = client.get(checking["Location"]).context["job"]
    page = client.get(reverse("admin:programme_leader_import_preview", args=[checked.preview_id]))
    assert ('name="send_invitations"' in page.text) is True
    data = {"send_invitations": "1"} if invite else {}
    url = reverse("admin:programme_leader_import_confirm", args=[page.context["batch"].pk])
    confirmed = client.post(url, data)
    import_jobs.run_pending()  # the import worker (manage.py run_imports) writes it
    return client.get(confirmed["Location"])  # the import's status page


def test_importing_the_sample_with_invitations_queues_one_per_new_leader(client, demo):
    """The demo (``make run``) already has one of the sample's leaders: seven are new."""
    from programme.models import User

    client.force_login(User.objects.get(email="hr@albertslund.dk"))
    before = set(Leader.objects.values_list("pk", flat=True))
    demo_emails = len(queued())  # the demo's own reminders
    response = import_sample(client, invite=True)
    new = Leader.objects.exclude(pk__in=before).select_related("user")
    assert new.count() == 7
    assert sorted(e.to[0] for e in queued()[demo_emails:]) == sorted(
        leader.user.email for leader in new
    )
    assert set(Invitation.objects.values_list("leader", flat=True)) == {n.pk for n in new}
    assert "7 invitationer ligger i udbakken" in response.text


def test_importing_without_invitations_queues_nothing(client, demo):
    from programme.models import User

    client.force_login(User.objects.get(email="hr@albertslund.dk"))
    demo_emails = queued()  # the demo's own reminders
    import_sample(client, invite=False)
    assert queued() == demo_emails


def test_the_invitation_link_sets_a_password_once(client, leader):
    leader.user.set_unusable_password()
    leader.user.save()
    invitations.invite(leader)
    (email,) = queued()
    assert email.subject == "Velkommen til Digital ledelse: vælg din adgangskode"
    assert "Kære Søren Ærbø" in email.message and "14 dage" in email.message
    link = link_in(email)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Din adgangskode er gemt" in response.text
    leader.user.refresh_from_db()
    assert leader.user.check_password(NEW_PASSWORD)
    again = client.get(link, follow=True)
    assert "Linket er ikke gyldigt" in again.text


def test_the_invitation_link_expires_after_the_configured_days(client, leader, settings):
    settings.INVITATION_VALID_DAYS = 3
    settings.PORTAL_CLOCK = "2016-01-01T09:00"
    invitations.invite(leader)
    link = link_in(queued()[0])
    settings.PORTAL_CLOCK = "2016-01-03T09:00"
    assert "Vælg din adgangskode" in client.get(link, follow=True).text
    assert "Linket er ikke gyldigt" not in client.get(link, follow=True).text
    settings.PORTAL_CLOCK = "2016-01-04T10:00"
    assert "Linket er ikke gyldigt" in client.get(link, follow=True).text


def test_with_single_sign_on_the_invitation_says_to_use_the_work_account(leader, settings):
    settings.SSO_ENABLED = True
    invitation = invitations.invite(leader)
    (email,) = queued()
    assert invitation.single_sign_on
    assert "arbejdskonto" in email.message
    assert "Log ind med din arbejdskonto" in email.message
    assert "http://testserver/accounts/login/" in email.message
    assert "/accounts/invitation/" not in email.message


def test_hr_resends_invitations_from_the_leader_list_and_sees_the_count(
    hr_client, leader, colleague
):
    url = reverse("admin:programme_leader_changelist")
    for _ in range(2):
        hr_client.post(url, {"action": "send_invitations", "_selected_action": [leader.pk]})
    hr_client.post(url, {"action": "send_invitations", "_selected_action": [colleague.pk]})
    assert Invitation.objects.filter(leader=leader).count() == 2
    page = hr_client.get(url)
    rows = {r.name: r.invitation_count for r in page.context["cl"].result_list}
    assert rows == {"Søren Ærbø": 2, "Åse Østergaard": 1}
    assert len(queued()) == 3


def test_a_leader_who_has_left_is_not_invited(hr_client, leader, now):
    leader.left_on = now.date().replace(year=2015)
    leader.save()
    response = hr_client.post(
        reverse("admin:programme_leader_changelist"),
        {"action": "send_invitations", "_selected_action": [leader.pk]},
        follow=True,
    )
    assert queued() == []
    assert "Søren Ærbø: har forladt kommunen." in response.text


def test_adding_a_leader_in_the_admin_can_send_an_invitation(hr_client, department_a):
    from tests.conftest import make_user

    user = make_user("ny.leder@albertslund.dk")
    response = hr_client.post(
        reverse("admin:programme_leader_add"),
        {
            "user": user.pk,
            "employee_number": "7001",
            "name": "Ny Leder",
            "title": "",
            "level": Leader.Level.TEAM,
            "department": department_a.pk,
            "left_on": "",
            "send_invitation": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (email,) = queued()
    assert email.to == ["ny.leder@albertslund.dk"]
    assert Invitation.objects.get().leader.name == "Ny Leder"


def test_the_invitation_page_runs_three_queries(client, leader, django_assert_num_queries):
    invitations.invite(leader)
    redirect = client.get(link_in(queued()[0]))
    # The session with the token; the user of the link; the programme's name (header).
    with django_assert_num_queries(2 + session_reads()):
        response = client.get(redirect["Location"])
    assert response.context["validlink"]
