"""HR words the e-mails in the admin: placeholders listed, a preview with a real leader's
data, a broken placeholder refused when saving, and the next e-mail uses the new text."""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from mail import emails
from mail.models import EmailText
from tests.conftest import local, queued


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def change_url(kind: str) -> str:
    return reverse("admin:mail_emailtext_change", args=[EmailText.objects.get(kind=kind).pk])


def form_data(text: EmailText, **changes) -> dict:
    data = {f: getattr(text, f) for f in ("subject_da", "body_da", "subject_en", "body_en")}
    return {**data, **changes}


def test_every_kind_has_its_shipped_text_from_the_migration(db):
    assert set(EmailText.objects.values_list("kind", flat=True)) == set(EmailText.Kind.values)
    promoted = EmailText.objects.get(kind="promoted")
    assert promoted.subject_da == "Du har fået en plads på {{ cohort }}"
    for text in EmailText.objects.all():
        for field in ("subject_da", "body_da", "subject_en", "body_en"):
            assert emails.placeholder_errors(text.kind, getattr(text, field)) == []


def test_the_form_lists_the_placeholders_and_previews_with_a_real_leader(hr_client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    page = hr_client.get(change_url("promoted"))
    assert page.status_code == 200
    assert "<code>{{ cohort }}</code>" in page.text
    assert "<code>{{ sessions }}</code>" in page.text
    assert "Du har fået en plads på Hold 1" in page.text  # the preview's subject
    assert "Kære Søren Ærbø" in page.text


def test_hr_changes_the_promotion_text_and_the_next_promotion_uses_it(
    hr_client, leader, colleague, cohort
):
    text = EmailText.objects.get(kind="promoted")
    response = hr_client.post(
        change_url("promoted"),
        form_data(
            text,
            subject_da="Tillykke {{ name }}: plads på {{ cohort }}",
            body_da="Hej {{ name }}\n\nDu har nu en plads. Se mere: {{ link }}",
        ),
    )
    assert response.status_code == 302
    cohort.capacity = 1
    cohort.save()
    seat = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    booking.cancel(enrolment=seat, by_staff=True, now=local(2016, 1, 7))
    promoted = queued()[-1]
    assert promoted.to == [colleague.user.email]
    assert promoted.subject == "Tillykke Åse Østergaard: plads på Hold 1"
    assert (
        promoted.message == "Hej Åse Østergaard\n\nDu har nu en plads. Se mere: http://testserver/"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Kære {{ navn }}", "{{ navn }} tilbydes ikke"),
        ("Kære {{ name }", "En pladsholder er ikke lukket"),
        ("{% if name %}Kære{% endif %}", "er ikke en pladsholder"),
        ("Kære {{ name.upper }}", "er ikke en pladsholder"),
    ],
)
def test_a_text_with_an_unknown_or_broken_placeholder_cannot_be_saved(hr_client, body, message):
    text = EmailText.objects.get(kind="promoted")
    response = hr_client.post(change_url("promoted"), form_data(text, body_da=body))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body_da"]
    assert any(message in error for error in errors), errors
    text.refresh_from_db()
    assert text.body_da.startswith("Kære {{ name }}\n")


def test_hr_cannot_add_or_delete_texts(hr_client):
    assert hr_client.get(reverse("admin:mail_emailtext_add")).status_code == 403
    text = EmailText.objects.get(kind="promoted")
    delete = reverse("admin:mail_emailtext_delete", args=[text.pk])
    assert hr_client.get(delete).status_code == 403


def test_the_session_change_texts_list_their_placeholders_and_preview(hr_client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    page = hr_client.get(change_url("session_changed"))
    assert page.status_code == 200
    assert "<code>{{ before }}</code>" in page.text
    # The preview fills it in (with the session as it is: there is no change to show).
    assert "Før ændringen: tirsdag 12. januar 2016, 09:00–15:00, Albertslund" in page.text
    assert "Ændret mødegang: Kick-off med Hold 1" in page.text  # the preview's subject
    cancelled = hr_client.get(change_url("session_cancelled"))
    assert cancelled.status_code == 200
    assert "Aflyst: Kick-off med Hold 1" in cancelled.text
