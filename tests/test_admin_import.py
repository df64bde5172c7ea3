"""Leader import: CSV or Excel from the HR system, preview, then all or nothing."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programme.models import Leader, User

from .conftest import make_user

IMPORT_URL = reverse("admin:programme_leader_import")
CONFIRM_URL = reverse("admin:programme_leader_process_import")
SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "sample-leaders.csv"
HEADER = "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling"


def csv_file(*lines: str, bom: bool = True, name: str = "ledere.csv") -> SimpleUploadedFile:
    text = "\r\n".join(lines) + "\r\n"
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def upload(client, upload_file):
    # The browser also sends the form's hidden fields (empty).
    return client.post(IMPORT_URL, {"import_file": upload_file, "format": "", "resource": ""})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(CONFIRM_URL, {name: form.initial.get(name, "") for name in form.fields})


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def test_a_good_file_creates_and_updates_leaders_after_the_preview(
    hr_client, leader, department_a, department_b
):
    preview = upload(
        hr_client,
        csv_file(
            HEADER,
            "1001;Søren Ærbø;soeren.aerboe@albertslund.dk;Centerchef;Centerchef;ØKS",
            "3001;Æble Øregård;aeble@albertslund.dk;Teamleder, Børnehuset;Teamleder;"
            "Center for Børn og Familier",
        ),
    )
    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert not Leader.objects.filter(employee_number="3001").exists()  # preview saves nothing

    response = confirm(hr_client, preview)
    assert response.status_code == 302
    created = Leader.objects.select_related("user", "department").get(employee_number="3001")
    assert (created.name, created.level, created.department) == (
        "Æble Øregård",
        Leader.Level.TEAM,
        department_b,
    )
    assert created.user.email == "aeble@albertslund.dk"
    assert not created.user.has_usable_password()
    leader.refresh_from_db()
    leader.user.refresh_from_db()
    assert (leader.title, leader.level) == ("Centerchef", Leader.Level.HEAD_OF_CENTRE)
    assert leader.user.email == "soeren.aerboe@albertslund.dk"


def test_one_bad_row_rejects_the_whole_file_and_names_line_and_column(
    hr_client, leader, department_a
):
    response = upload(
        hr_client,
        csv_file(
            HEADER,
            "3001;Anne Holm;anne@albertslund.dk;Teamleder;Teamleder;ØKS",
            "3002;Bo Dahl;bo@albertslund.dk;Teamleder;Chefkok;Center for Ingenting",
            "1001;Søren Ærbø;nyadresse@albertslund.dk;Direktør;Direktør;ØKS",
        ),
    )
    assert response.context.get("confirm_form") is None
    invalid = response.context["result"].invalid_rows
    assert [row.number + 1 for row in invalid] == [3]
    assert set(invalid[0].field_specific_errors) == {"Ledelsesniveau", "Afdeling"}
    assert "Center for Ingenting" in response.content.decode()
    assert Leader.objects.count() == 1
    assert not User.objects.filter(email__in=["anne@albertslund.dk", "bo@albertslund.dk"])
    leader.user.refresh_from_db()
    assert leader.user.email == "soeren@albertslund.dk"


def test_the_saving_step_also_rolls_back_everything_on_one_bad_row(leader, department_a):
    from programme.imports import DelimiterSniffingCSV, LeaderResource

    data = csv_file(
        HEADER,
        "3001;Anne Holm;anne@albertslund.dk;Teamleder;Teamleder;ØKS",
        "3002;Bo Dahl;ikke-en-adresse;Teamleder;Teamleder;ØKS",
    ).read()
    dataset = DelimiterSniffingCSV().create_dataset(data)
    result = LeaderResource().import_data(
        dataset, dry_run=False, rollback_on_validation_errors=True
    )
    assert result.has_validation_errors()
    assert not Leader.objects.filter(employee_number="3001").exists()
    assert not User.objects.filter(email="anne@albertslund.dk").exists()


def test_the_same_employee_number_twice_is_reported_on_the_second_line(hr_client, department_a):
    response = upload(
        hr_client,
        csv_file(
            HEADER,
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
            "3001;Anne Holm;anne.holm@albertslund.dk;;Teamleder;ØKS",
        ),
    )
    invalid = response.context["result"].invalid_rows
    assert [(row.number + 1, list(row.field_specific_errors)) for row in invalid] == [
        (3, ["Medarbejdernummer"])
    ]


def test_an_e_mail_that_is_another_leaders_login_is_refused(hr_client, leader, colleague):
    response = upload(
        hr_client,
        csv_file(HEADER, f"1002;Åse Østergaard;{leader.user.email};;Afdelingsleder;ØKS"),
    )
    invalid = response.context["result"].invalid_rows
    assert list(invalid[0].field_specific_errors) == ["E-mail"]


def test_a_file_without_the_required_columns_says_which_are_missing(hr_client, department_a):
    response = upload(hr_client, csv_file("Navn;E-mail", "Anne Holm;anne@albertslund.dk"))
    result = response.context["result"]
    assert result.has_errors()
    message = str(result.base_errors[0].error)
    assert "Medarbejdernummer" in message and "Afdeling" in message


def test_comma_separated_english_headers_without_bom_import(hr_client, department_a):
    preview = upload(
        hr_client,
        csv_file(
            "Employee number,Name,Email,Title,Leadership level,Department",
            '3001,"Holm, Anne",anne@albertslund.dk,Team leader,team,øks',
            bom=False,
        ),
    )
    confirm(hr_client, preview)
    created = Leader.objects.get(employee_number="3001")
    assert (created.name, created.level, created.department) == (
        "Holm, Anne",
        Leader.Level.TEAM,
        department_a,
    )


def test_the_shipped_sample_file_imports_with_bom_semicolons_and_danish_letters(hr_client, demo):
    raw = SAMPLE.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    before = Leader.objects.count()
    preview = upload(hr_client, SimpleUploadedFile("sample-leaders.csv", raw))
    assert preview.context["confirm_form"] is not None, preview.context["result"].invalid_rows
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"]) == (7, 1)
    confirm(hr_client, preview)
    assert Leader.objects.count() == before + 7
    assert Leader.objects.get(employee_number="20004").name == "Mette Ågård"
    assert Leader.objects.get(employee_number="10004").title == "Centerchef, Økonomi og Styring"


def test_an_excel_file_imports(hr_client, department_b):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(
        [4001, "Jørgen Kjær", "jorgen@albertslund.dk", "Afdelingsleder", "Afdelingsleder", "BOF"]
    )
    content = io.BytesIO()
    book.save(content)
    preview = upload(hr_client, SimpleUploadedFile("ledere.xlsx", content.getvalue()))
    confirm(hr_client, preview)
    created = Leader.objects.get(employee_number="4001")
    assert (created.name, created.department) == ("Jørgen Kjær", department_b)


def test_staff_without_leader_permissions_cannot_import(client, department_a):
    client.force_login(make_user("staff@albertslund.dk", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_importing_the_same_file_again_changes_nothing(hr_client, department_a):
    lines = (HEADER, "3001;Anne Holm;anne@albertslund.dk;Teamleder;Teamleder;ØKS")
    confirm(hr_client, upload(hr_client, csv_file(*lines)))
    again = upload(hr_client, csv_file(*lines))
    totals = again.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 1)


def test_the_preview_shows_a_changed_e_mail(hr_client, leader):
    preview = upload(
        hr_client,
        csv_file(HEADER, "1001;Søren Ærbø;ny@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"),
    )
    [row] = preview.context["result"].valid_rows()
    assert row.import_type == "update"
    assert row.diff[2] == "<del>soere</del><span>n</span><ins>y</ins><span>@albertslund.dk</span>"
