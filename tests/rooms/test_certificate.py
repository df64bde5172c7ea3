"""The kursusbevis: a one-page A4 PDF for a leader who completed the programme, and a
public verification page that shows only name, programme and completion date."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

import booking
from accounts import privacy
from programme.models import Attendance, Certificate
from tests.conftest import NOW


@pytest.fixture(autouse=True)
def _clock_after_the_sessions(settings):
    settings.PORTAL_CLOCK = "2016-03-20T09:00:00+01:00"


@pytest.fixture
def completed(leader, cohort, hr):
    """Søren Ærbø attended every session of Hold 1: the required modules by 9 February."""
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    for session in cohort.sessions.all():
        Attendance.objects.create(
            leader=leader, session=session, status=Attendance.Status.PRESENT, recorded_by=hr
        )
    return leader


def pdf_of(response) -> PdfReader:
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )


def test_a_leader_who_completed_downloads_a_one_page_a4_certificate(client, completed):
    client.force_login(completed.user)
    dashboard = client.get(reverse("dashboard:dashboard"))
    assert reverse("dashboard:certificate") in dashboard.text
    reader = pdf_of(client.get(reverse("dashboard:certificate")))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.extract_text()
    for expected in ("Søren Ærbø", "Kick-off", "IT", "Inspiration", "9. februar 2016"):
        assert expected in text, expected
    assert "Albertslund Kommune" in text
    certificate = Certificate.objects.get(leader=completed)
    assert certificate.code in text
    fonts = page["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in font
            else font["/FontDescriptor"]
        ).get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_same_certificate_is_given_each_time(client, completed):
    client.force_login(completed.user)
    client.get(reverse("dashboard:certificate"))
    client.get(reverse("dashboard:certificate"))
    assert Certificate.objects.filter(leader=completed).count() == 1


def test_a_leader_who_has_not_completed_gets_no_certificate(client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    client.force_login(leader.user)
    assert reverse("dashboard:certificate") not in client.get(reverse("dashboard:dashboard")).text
    assert client.get(reverse("dashboard:certificate")).status_code == 404
    assert not Certificate.objects.exists()


def test_hr_and_managers_without_a_leader_profile_have_no_own_certificate(client, hr, manager_a):
    for user in (hr, manager_a):
        client.force_login(user)
        assert client.get(reverse("dashboard:certificate")).status_code == 403


def test_anyone_can_verify_a_certificate_and_sees_only_name_programme_and_date(
    client, completed, django_assert_num_queries
):
    client.force_login(completed.user)
    client.get(reverse("dashboard:certificate"))
    client.logout()
    certificate = Certificate.objects.get()
    # The certificate with its leader and programme; the header's programme name.
    with django_assert_num_queries(2):
        response = client.get(reverse("verify_certificate", args=[certificate.code]))
    assert response.status_code == 200
    main = re.search(r"<main.*</main>", response.text, re.S).group(0)
    assert "Beviset er gyldigt" in main
    assert "Søren Ærbø" in main and "Digital ledelse 2015–2016" in main
    assert "9. februar 2016" in main
    for private in (
        completed.user.email,
        completed.employee_number,
        completed.department.name,
        completed.title,
        "Kick-off",
    ):
        assert private not in main


def test_a_random_code_gets_404(client, completed):
    client.force_login(completed.user)
    client.get(reverse("dashboard:certificate"))
    client.logout()
    assert client.get(reverse("verify_certificate", args=["ABCDEFGHJKMNPQRS"])).status_code == 404
    certificate = Certificate.objects.get()
    assert client.get(reverse("verify_certificate", args=[str(certificate.pk)])).status_code == 404
    assert len(certificate.code) == 16 and not certificate.code.isdigit()


def test_after_anonymisation_the_certificate_is_valid_without_a_name(client, completed, settings):
    client.force_login(completed.user)
    client.get(reverse("dashboard:certificate"))
    client.logout()
    certificate = Certificate.objects.get()
    completed.left_on = NOW.date()
    completed.save()
    privacy.anonymise_leader(completed)
    response = client.get(reverse("verify_certificate", args=[certificate.code]))
    assert "Beviset er gyldigt" in response.text
    assert "Søren" not in response.text
    assert "Ikke vist" in response.text


def test_hr_downloads_any_leaders_certificate_from_the_admin(client, hr, completed, colleague):
    client.force_login(hr)
    url = reverse("admin:programme_leader_changelist")
    data = {"action": "download_certificate", "_selected_action": [completed.pk]}
    reader = pdf_of(client.post(url, data))
    assert "Søren Ærbø" in reader.pages[0].extract_text()
    data["_selected_action"] = [colleague.pk]
    response = client.post(url, data, follow=True)
    assert "har ikke gennemført" in response.text
