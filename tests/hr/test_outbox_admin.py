"""HR's outbox in the admin (Udbakke › E-mails): every page opens for e-mails that were
sent, are waiting and failed, shows each sending attempt in Danish, and "Send igen"
puts an e-mail back in the queue for the worker - from the list or from its own page.

The outside tester opened any e-mail and got a 500 (``NoReverseMatch: 'resend'``):
django-post-office's page linked a URL our admin had dropped.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from post_office.models import STATUS, Email

import booking
from mail import outbox
from tests.conftest import local


@pytest.fixture
def emails(settings, leader, colleague, cohort):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return make_emails(leader, colleague, cohort)


def make_emails(leader, colleague, cohort) -> dict[str, Email]:
    """An e-mail of each kind: sent (through the worker), waiting with its calendar
    file, waiting to try again after a refused connection, and failed for good."""
    sent = outbox.queue(to=colleague.user.email, subject="Velkommen", body="Hej Åse")
    outbox.send_queued()
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    waiting = Email.objects.exclude(pk=sent.pk).get()
    retrying = outbox.queue(to=leader.user.email, subject="Påmindelse", body="Husk mødet")
    failed = outbox.queue(to=leader.user.email, subject="Invitation", body="Vælg en adgangskode")
    for email, status, attempts in ((retrying, STATUS.requeued, 1), (failed, STATUS.failed, 3)):
        Email.objects.filter(pk=email.pk).update(status=status, number_of_retries=attempts)
        for _ in range(attempts):
            email.logs.create(
                status=STATUS.failed,
                message="[Errno 111] Connection refused",
                exception_type="ConnectionRefusedError",
            )
    return {"sent": sent, "waiting": waiting, "retrying": retrying, "failed": failed}


def change_url(email) -> str:
    return reverse("admin:post_office_email_change", args=[email.pk])


def send_again_url(email) -> str:
    return reverse("admin:post_office_email_send_again", args=[email.pk])


@pytest.mark.parametrize("who", ["hr", "superuser"])
def test_every_outbox_page_opens_for_sent_waiting_and_failed_e_mails(client, emails, who, request):
    client.force_login(request.getfixturevalue(who))
    listing = client.get(reverse("admin:post_office_email_changelist"))
    assert listing.status_code == 200
    assert len(listing.context["cl"].result_list) == 4
    for kind, email in emails.items():
        page = client.get(change_url(email))
        assert page.status_code == 200, kind
        assert email.subject in page.text
        history = client.get(reverse("admin:post_office_email_history", args=[email.pk]))
        assert history.status_code == 200, kind


def test_each_sending_attempt_is_shown_with_its_error_in_danish(client, hr, emails):
    client.force_login(hr)
    failed = client.get(change_url(emails["failed"])).text
    assert failed.count("[Errno 111] Connection refused") == 3
    assert "mislykkedes" in failed
    for label in ("Afsendelsesforsøg", "Tidspunkt", "Resultat", "Fejltype", "Nye forsøg"):
        assert label in failed, label
    sent = client.get(change_url(emails["sent"])).text
    assert "sendt" in sent
    assert "Connection refused" not in sent
    waiting = client.get(change_url(emails["waiting"])).text
    assert "Ingen endnu." in waiting
    assert "digital-ledelse.ics" in waiting  # its calendar file


def test_hr_sends_a_failed_e_mail_again_from_its_own_page(client, hr, emails):
    client.force_login(hr)
    failed = emails["failed"]
    page = client.get(change_url(failed))
    assert f'formaction="{send_again_url(failed)}"' in page.text
    response = client.post(send_again_url(failed), follow=True)
    assert response.redirect_chain == [(change_url(failed), 302)]
    assert "1 e-mail ligger i udbakken igen" in response.text
    failed.refresh_from_db()
    assert (failed.status, failed.number_of_retries, failed.scheduled_time) == (
        STATUS.queued,
        0,
        None,
    )
    assert outbox.send_queued().sent == 3  # the worker sends it, with the other two waiting
    failed.refresh_from_db()
    assert failed.status == STATUS.sent


def test_a_sent_e_mail_offers_no_send_again_and_is_not_sent_twice(client, hr, emails):
    client.force_login(hr)
    sent = emails["sent"]
    assert "formaction" not in client.get(change_url(sent)).text
    response = client.post(send_again_url(sent), follow=True)
    assert "Denne e-mail er sendt; den sendes ikke igen." in response.text
    sent.refresh_from_db()
    assert sent.status == STATUS.sent


def test_send_again_takes_only_a_post_and_an_e_mail_that_exists(client, hr, emails):
    client.force_login(hr)
    assert client.get(send_again_url(emails["failed"])).status_code == 405
    gone = reverse("admin:post_office_email_send_again", args=[10**9])
    assert client.post(gone).status_code == 302  # to the admin's start page, with a message


def test_the_list_action_sends_the_chosen_e_mails_again(client, hr, emails):
    client.force_login(hr)
    chosen = [emails["failed"].pk, emails["retrying"].pk, emails["sent"].pk]
    client.post(
        reverse("admin:post_office_email_changelist"),
        {"action": "send_again", "_selected_action": chosen},
    )
    statuses = dict(Email.objects.filter(pk__in=chosen).values_list("pk", "status"))
    assert statuses == {
        emails["failed"].pk: STATUS.queued,
        emails["retrying"].pk: STATUS.queued,
        emails["sent"].pk: STATUS.sent,
    }


def test_an_e_mail_cannot_be_edited_from_its_page(client, hr, emails):
    client.force_login(hr)
    waiting = emails["waiting"]
    response = client.post(change_url(waiting), {"to": "someone@else.dk", "status": STATUS.sent})
    assert response.status_code == 405
    waiting.refresh_from_db()
    assert (waiting.to, waiting.status) == ([emails["waiting"].to[0]], STATUS.queued)
    assert not LogEntry.objects.exists()
    page = client.get(change_url(waiting)).text
    assert 'name="_save"' not in page and 'name="_continue"' not in page


def test_a_leader_cannot_open_the_outbox(client, leader, emails):
    client.force_login(leader.user)
    for url in (change_url(emails["failed"]), send_again_url(emails["failed"])):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
