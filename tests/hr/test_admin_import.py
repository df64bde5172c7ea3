"""Leader import: CSV or Excel from the HR system, preview, then all or nothing."""

import codecs
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import booking
from hr import import_jobs
from hr.models import ImportBatch, ImportJob, ImportUpload
from programme.models import Enrolment, Leader, User
from tests.conftest import NOW, make_user, session_reads

IMPORT_URL = reverse("admin:programme_leader_import")
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-leaders.csv"
HEADER = "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling"


def csv_bytes(*lines: str, bom: bool = True) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def csv_file(*lines: str, bom: bool = True, name: str = "ledere.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(*lines, bom=bom))


def upload(client, upload_file, *, run: bool = True):
    """Upload the file; unless ``run`` is off, let the import worker check it, as
    ``manage.py run_imports`` does beside the server. The page HR then sees: the upload
    form again (a wrong name or size), or the check's status page."""
    response = client.post(IMPORT_URL, {"import_file": upload_file})
    if response.status_code != 302 or not run:
        return response
    assert import_jobs.run_pending(kind=ImportJob.Kind.CHECK) == 1
    return client.get(response["Location"])


def preview(client, upload_file):
    """Upload a file that passes the checks and open its preview from the check's page."""
    response = upload(client, upload_file)
    assert response.status_code == 200
    job = response.context["job"]
    assert job.status == "done", (job.failure, job.file_problem, response.context["errors"])
    url = reverse("admin:programme_leader_import_preview", args=[job.preview_id])
    assert f'href="{url}"' in response.text
    return client.get(url)


def confirm(client, preview_page, *, run: bool = True):
    """Confirm the preview, then (unless ``run`` is off) let the import worker run what
    the confirmation queued, as ``manage.py run_imports`` does beside the server."""
    batch = preview_page.context["batch"]
    response = client.post(reverse("admin:programme_leader_import_confirm", args=[batch.pk]))
    if run:
        import_jobs.run_pending()
    return response


def job_url(job: ImportJob) -> str:
    return reverse("admin:programme_leader_import_job", args=[job.pk])


def status_text(client, response) -> str:
    """The status page the confirmation led to, as HR reads it."""
    page = client.get(response["Location"])
    assert page.status_code == 200
    return " ".join(page.content.decode().split())


def errors_of(response) -> list[tuple[int, str]]:
    return [(error.line, error.column) for error in response.context["errors"]]


def file_error(response) -> str:
    """Why the file as a whole was refused: at the form's field, or on the check's page."""
    if "form" in response.context:
        return " ".join(response.context["form"].errors["import_file"])
    job = response.context["job"]
    assert job.failure == ImportJob.Failure.FILE
    assert job.file_problem in " ".join(response.text.split())
    return job.file_problem


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def test_a_good_file_creates_and_updates_leaders_after_the_preview(
    hr_client, hr, leader, department_a, department_b
):
    page = preview(
        hr_client,
        csv_file(
            HEADER,
            "1001;Søren Ærbø;soeren.aerboe@albertslund.dk;Centerchef;Centerchef;ØKS",
            "3001;Æble Øregård;aeble@albertslund.dk;Teamleder, Børnehuset;Teamleder;"
            "Center for Børn og Familier",
        ),
    )
    assert page.status_code == 200
    batch = page.context["batch"]
    assert (batch.new_count, batch.update_count, batch.unchanged_count) == (1, 1, 0)
    assert not Leader.objects.filter(employee_number="3001").exists()  # preview saves nothing

    response = confirm(hr_client, page)
    assert response.status_code == 302
    assert response["Location"] == job_url(ImportJob.objects.get(kind="write"))
    assert "Importeret " in status_text(hr_client, response)
    created = Leader.objects.select_related("user", "department").get(employee_number="3001")
    assert (created.name, created.level, created.department) == (
        "Æble Øregård",
        Leader.Level.TEAM,
        department_b,
    )
    assert created.user.email == "aeble@albertslund.dk"
    assert (created.user.first_name, created.user.last_name) == ("Æble", "Øregård")
    assert not created.user.has_usable_password()
    leader.refresh_from_db()
    leader.user.refresh_from_db()
    assert (leader.title, leader.level) == ("Centerchef", Leader.Level.HEAD_OF_CENTRE)
    assert leader.user.email == "soeren.aerboe@albertslund.dk"
    assert not ImportBatch.objects.exists()  # the preview goes once it is imported


def test_the_import_writes_history_with_who_imported(hr_client, hr, leader, department_a):
    page = preview(
        hr_client,
        csv_file(
            HEADER,
            "1001;Søren Ærbø;soeren@albertslund.dk;Direktør;Direktør;ØKS",
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
        ),
    )
    confirm(hr_client, page)
    created = Leader.objects.get(employee_number="3001")
    assert [(h.history_type, h.history_user) for h in created.history.all()] == [("+", hr)]
    latest = leader.history.order_by("-history_date", "-history_id").first()
    assert (latest.history_type, latest.title, latest.history_user) == ("~", "Direktør", hr)
    assert latest.history_change_reason == "import: ledere.csv"


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
    assert response.status_code == 200
    assert errors_of(response) == [(3, "Ledelsesniveau"), (3, "Afdeling")]
    assert "Center for Ingenting" in response.text
    assert "Intet blev gemt" in response.text
    assert not ImportBatch.objects.exists()
    assert Leader.objects.count() == 1
    assert not User.objects.filter(email__in=["anne@albertslund.dk", "bo@albertslund.dk"])


def test_the_same_employee_number_twice_is_reported_on_the_second_line(hr_client, department_a):
    response = upload(
        hr_client,
        csv_file(
            HEADER,
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
            "3001;Anne Holm;anne.holm@albertslund.dk;;Teamleder;ØKS",
        ),
    )
    assert errors_of(response) == [(3, "Medarbejdernummer")]


def test_an_e_mail_that_is_another_leaders_login_is_refused(hr_client, leader, colleague):
    response = upload(
        hr_client,
        csv_file(HEADER, f"1002;Åse Østergaard;{leader.user.email};;Afdelingsleder;ØKS"),
    )
    assert errors_of(response) == [(2, "E-mail")]
    assert "er allerede login for Søren Ærbø (1001)" in response.text


def test_a_file_without_the_required_columns_says_which_are_missing(hr_client, department_a):
    response = upload(hr_client, csv_file("Navn;E-mail", "Anne Holm;anne@albertslund.dk"))
    message = file_error(response)
    assert "Medarbejdernummer" in message and "Afdeling" in message


def test_comma_separated_english_headers_without_bom_import(hr_client, department_a):
    page = preview(
        hr_client,
        csv_file(
            "Employee number,Name,Email,Title,Leadership level,Department",
            '3001,"Holm, Anne",anne@albertslund.dk,Team leader,team,øks',
            bom=False,
        ),
    )
    confirm(hr_client, page)
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
    page = preview(hr_client, SimpleUploadedFile("sample-leaders.csv", raw))
    batch = page.context["batch"]
    assert (batch.new_count, batch.update_count) == (7, 1)
    confirm(hr_client, page)
    assert Leader.objects.count() == before + 7
    assert Leader.objects.get(employee_number="20004").name == "Mette Ågård"
    assert Leader.objects.get(employee_number="10004").title == "Centerchef, Økonomi og Styring"


def xlsx(*rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def test_an_excel_file_imports(hr_client, department_b):
    data = xlsx(
        HEADER.split(";"),
        [4001, "Jørgen Kjær", "jorgen@albertslund.dk", "Afdelingsleder", "Afdelingsleder", "BOF"],
        [None] * 6,  # a blank row left at the end of the sheet
    )
    page = preview(hr_client, SimpleUploadedFile("ledere.xlsx", data))
    confirm(hr_client, page)
    created = Leader.objects.get(employee_number="4001")
    assert (created.name, created.department) == ("Jørgen Kjær", department_b)


def test_staff_without_leader_permissions_cannot_import(client, department_a):
    client.force_login(make_user("staff@albertslund.dk", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_importing_the_same_file_again_changes_nothing(hr_client, department_a):
    lines = (HEADER, "3001;Anne Holm;anne@albertslund.dk;Teamleder;Teamleder;ØKS")
    confirm(hr_client, preview(hr_client, csv_file(*lines)))
    batch = preview(hr_client, csv_file(*lines)).context["batch"]
    assert (batch.new_count, batch.update_count, batch.unchanged_count) == (0, 0, 1)


def test_the_preview_shows_a_changed_e_mail_as_before_and_after(hr_client, leader):
    page = preview(
        hr_client,
        csv_file(HEADER, "1001;Søren Ærbø;ny@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"),
    )
    [row] = page.context["page"].object_list
    assert row["kind"] == "update"
    email = row["cells"][2]
    assert (email.before, email.value) == ("soeren@albertslund.dk", "ny@albertslund.dk")
    assert row["cells"][1].before is None  # the name did not change
    assert "<del>" in page.text and "ny@albertslund.dk</ins>" in page.text


def test_the_preview_shows_only_the_new_lines_when_asked(hr_client, leader, department_a):
    page = preview(
        hr_client,
        csv_file(
            HEADER,
            "1001;Søren Ærbø;soeren@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS",
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
        ),
    )
    url = reverse("admin:programme_leader_import_preview", args=[page.context["batch"].pk])
    shown = hr_client.get(url, {"show": "new"}).context["page"].object_list
    assert [(row["line"], row["kind"]) for row in shown] == [(3, "new")]


def test_an_import_never_changes_seats(hr_client, leader, cohort, department_a):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    before = list(Enrolment.objects.values_list("pk", "leader", "cohort", "status"))
    page = preview(
        hr_client,
        csv_file(HEADER, "1001;Søren Ærbø;soeren@albertslund.dk;Direktør;Direktør;ØKS"),
    )
    confirm(hr_client, page)
    assert list(Enrolment.objects.values_list("pk", "leader", "cohort", "status")) == before
    assert Enrolment.history.count() == 1


# --- No account takeover through the import -------------------------------------------


def test_a_new_leader_cannot_take_a_superusers_login_in_any_letter_case(
    hr_client, department_a, superuser
):
    """The outside tester's file: the superuser's e-mail address as a new leader."""
    superuser.email = "root@example.invalid"
    superuser.save()
    response = upload(
        hr_client,
        csv_file(
            "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling",
            "99001;Rod Bruger;ROOT@example.invalid;;Teamleder;ØKS",
        ),
    )
    assert errors_of(response) == [(2, "E-mail")]
    [error] = response.context["errors"]
    assert error.message == (
        "root@example.invalid er login for en administrator (admin-status eller "
        "superbrugerstatus) og kan derfor ikke blive en leders login. Brug lederens egen "
        "e-mailadresse."
    )
    assert not ImportBatch.objects.exists()
    assert not Leader.objects.filter(employee_number="99001").exists()
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.is_active


def test_a_new_leader_cannot_take_an_hr_colleagues_login(client, hr, department_a):
    colleague = make_user("hr2@albertslund.dk", is_staff=True)
    colleague.groups.set(hr.groups.all())
    client.force_login(hr)
    response = upload(
        client, csv_file(HEADER, "99002;Hanne Holm;HR2@albertslund.dk;;Teamleder;ØKS")
    )
    assert errors_of(response) == [(2, "E-mail")]
    assert "administrator" in response.context["errors"][0].message


def test_a_new_leader_may_get_a_plain_login_that_no_one_else_has(
    hr_client, manager_b, department_a
):
    page = preview(
        hr_client, csv_file(HEADER, "99003;Chef Bee;chef.b@albertslund.dk;;Centerchef;ØKS")
    )
    confirm(hr_client, page)
    assert Leader.objects.get(employee_number="99003").user == manager_b


def test_hr_cannot_change_an_administrators_login_through_the_import(
    hr_client, leader, department_a
):
    leader.user.is_staff = True
    leader.user.save()
    response = upload(
        hr_client,
        csv_file(HEADER, "1001;Søren Ærbø;ny@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"),
    )
    assert errors_of(response) == [(2, "E-mail")]
    assert "kun en superbruger" in response.context["errors"][0].message
    leader.user.refresh_from_db()
    assert leader.user.email == "soeren@albertslund.dk"


def test_a_superuser_can_change_an_administrators_login_through_the_import(
    client, superuser, leader, department_a
):
    leader.user.is_staff = True
    leader.user.save()
    client.force_login(superuser)
    page = preview(
        client,
        csv_file(HEADER, "1001;Søren Ærbø;ny@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"),
    )
    confirm(client, page)
    leader.user.refresh_from_db()
    assert (leader.user.email, leader.user.is_staff) == ("ny@albertslund.dk", True)


def test_a_login_made_an_administrators_after_the_preview_is_not_taken(
    hr_client, manager_b, department_a
):
    page = preview(
        hr_client, csv_file(HEADER, "99003;Chef Bee;chef.b@albertslund.dk;;Centerchef;ØKS")
    )
    manager_b.is_staff = True
    manager_b.save()
    response = confirm(hr_client, page)
    assert not Leader.objects.filter(employee_number="99003").exists()
    assert ImportJob.objects.get(kind="write").failure == ImportJob.Failure.OUT_OF_DATE
    assert "Intet blev importeret: ledere eller logins i filen er ændret" in status_text(
        hr_client, response
    )


# --- Expired, tampered, stale and double confirmations --------------------------------


def messages_after(client, response) -> list[str]:
    assert response.status_code == 302
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


def test_an_expired_preview_sends_hr_back_to_upload_with_a_danish_message(hr_client, department_a):
    page = preview(hr_client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    ImportBatch.objects.update(created_at=NOW - dt.timedelta(hours=2))
    response = confirm(hr_client, page)
    assert response["Location"] == IMPORT_URL
    assert messages_after(hr_client, response) == [
        "Forhåndsvisningen udløb efter 60 minutter, så intet blev importeret. Upload filen igen."
    ]
    assert not Leader.objects.filter(employee_number="3001").exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "batch_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 300]
)
def test_a_tampered_confirmation_sends_hr_back_to_upload(hr_client, department_a, batch_id):
    preview(hr_client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    response = hr_client.post(reverse("admin:programme_leader_import_confirm", args=[batch_id]))
    assert response["Location"] == IMPORT_URL
    [message] = messages_after(hr_client, response)
    assert message.startswith("Forhåndsvisningen findes ikke længere")
    assert not Leader.objects.filter(employee_number="3001").exists()


def test_another_persons_preview_cannot_be_seen_or_confirmed(client, hr, superuser, department_a):
    client.force_login(hr)
    page = preview(client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    batch = page.context["batch"]
    client.force_login(superuser)
    seen = client.get(reverse("admin:programme_leader_import_preview", args=[batch.pk]))
    assert seen["Location"] == IMPORT_URL
    confirmed = client.post(reverse("admin:programme_leader_import_confirm", args=[batch.pk]))
    assert confirmed["Location"] == IMPORT_URL
    assert not Leader.objects.filter(employee_number="3001").exists()


def test_confirming_twice_imports_once(hr_client, department_a):
    page = preview(hr_client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    assert confirm(hr_client, page)["Location"] == job_url(ImportJob.objects.get(kind="write"))
    again = confirm(hr_client, page)
    assert again["Location"] == IMPORT_URL
    assert Leader.objects.filter(employee_number="3001").count() == 1


def test_confirming_twice_before_the_worker_runs_queues_one_import(hr_client, department_a):
    page = preview(hr_client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    first = confirm(hr_client, page, run=False)
    again = confirm(hr_client, page, run=False)
    (job,) = ImportJob.objects.filter(kind="write")
    assert first["Location"] == again["Location"] == job_url(job)
    # The preview's own address now leads to the import's status, not to a second confirm.
    batch_url = reverse("admin:programme_leader_import_preview", args=[job.batch_id])
    assert hr_client.get(batch_url)["Location"] == job_url(job)
    assert import_jobs.run_pending() == 1
    assert Leader.objects.filter(employee_number="3001").count() == 1


def test_a_leader_changed_since_the_preview_stops_the_whole_import(hr_client, leader, department_a):
    page = preview(
        hr_client,
        csv_file(
            HEADER,
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
            "1001;Søren Ærbø;soeren@albertslund.dk;Direktør;Direktør;ØKS",
        ),
    )
    leader.title = "Ændret imens"
    leader.save()
    response = confirm(hr_client, page)
    assert response["Location"] == job_url(ImportJob.objects.get(kind="write"))
    assert not Leader.objects.filter(employee_number="3001").exists()
    assert not ImportBatch.objects.exists()
    leader.refresh_from_db()
    assert leader.title == "Ændret imens"


def test_confirming_uses_the_stored_preview_not_the_file(hr_client, department_a):
    """The file is not sent again: the confirmation carries nothing but the preview's id."""
    page = preview(hr_client, csv_file(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"))
    batch = page.context["batch"]
    assert batch.rows[0]["email"] == "anne@albertslund.dk"
    url = reverse("admin:programme_leader_import_confirm", args=[batch.pk])
    assert f'action="{url}"' in page.text
    assert 'type="file"' not in page.text
    confirm(hr_client, page)
    assert Leader.objects.filter(employee_number="3001").exists()


# --- Every way a file can be unreadable: a Danish message at the field ---------------


def test_an_excel_unicode_text_file_in_utf_16_imports(hr_client, department_a):
    """Excel's "Unicode text": UTF-16 with a byte order mark, separated by tabs."""
    text = (
        HEADER.replace(";", "\t")
        + "\r\n3001\tÅse Holm\taase.h@albertslund.dk\t\tTeamleder\tØKS\r\n"
    )
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    page = preview(hr_client, SimpleUploadedFile("ledere.txt", data))
    confirm(hr_client, page)
    assert Leader.objects.get(employee_number="3001").name == "Åse Holm"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "ledere.csv",
            csv_bytes(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS", bom=False)
            .decode("utf-8")
            .encode("utf-16-le"),
            "Filen er i UTF-16 uden byte order mark",
        ),
        (
            "ledere.csv",
            bytes(range(256)) * 40,
            "Filen kan ikke læses som tekst",
        ),
        (
            "ledere.xlsx",
            csv_bytes(HEADER, "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS"),
            "Filen hedder .xlsx, men er ikke en Excel-projektmappe",
        ),
        (
            "ledere.csv",
            xlsx(HEADER.split(";"), [3001, "Anne", "anne@albertslund.dk", "", "Teamleder", "ØKS"]),
            "Filen hedder .csv, men er en Excel-projektmappe",
        ),
        (
            "ledere.xlsx",
            b"PK\x03\x04" + b"\x00" * 200,
            "Excel-projektmappen kan ikke læses",
        ),
        (
            "ledere.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200,
            "Filen er en gammel Excel-projektmappe (.xls)",
        ),
        ("ledere.csv", csv_bytes(HEADER), "Filen har kun kolonnenavnene og ingen ledere"),
        ("ledere.xlsx", xlsx(HEADER.split(";")), "Filen har kun kolonnenavnene og ingen ledere"),
        ("ledere.csv", b"\r\n\r\n", "Filen er tom"),
        ("ledere.csv", b"", "Den indsendte fil er tom"),
        ("ledere.pdf", b"%PDF-1.4", "Vælg en .csv- eller .xlsx-fil"),
        (
            "ledere.csv",
            csv_bytes(HEADER + ";E-mail", "3001;Anne;anne@albertslund.dk;;Teamleder;ØKS;x"),
            "Kolonnen E-mail står to gange",
        ),
    ],
    ids=[
        "utf-16-without-bom",
        "binary-csv",
        "csv-renamed-xlsx",
        "xlsx-renamed-csv",
        "broken-xlsx",
        "old-xls",
        "header-only-csv",
        "header-only-xlsx",
        "blank-csv",
        "empty-file",
        "wrong-extension",
        "duplicate-column",
    ],
)
def test_an_unreadable_file_is_refused_in_danish_and_nothing_is_kept(
    hr_client, department_a, name, data, expected
):
    """At the field when its name says so; otherwise on the check's page, once the
    import worker has read it (the stored file deleted)."""
    response = upload(hr_client, SimpleUploadedFile(name, data))
    assert response.status_code == 200
    assert expected in file_error(response)
    assert not ImportBatch.objects.exists()
    assert not ImportUpload.objects.exists()


def test_a_nul_byte_in_a_cell_is_reported_at_its_line_and_column(hr_client, department_a):
    response = upload(
        hr_client,
        csv_file(
            HEADER,
            "3001;Anne Holm;anne@albertslund.dk;;Teamleder;ØKS",
            "3002;Bo\x00Dahl;bo@albertslund.dk;;Teamleder;ØKS",
        ),
    )
    assert errors_of(response) == [(3, "Navn")]
    assert "NUL-tegn (0x00)" in response.context["errors"][0].message
    assert not Leader.objects.filter(employee_number="3001").exists()


def test_too_long_values_are_reported_in_their_cells(hr_client, department_a):
    response = upload(
        hr_client,
        csv_file(HEADER, f"{'9' * 21};{'N' * 201};{'a' * 250}@x.dk;{'T' * 201};Teamleder;ØKS"),
    )
    assert errors_of(response) == [
        (2, "Medarbejdernummer"),
        (2, "Navn"),
        (2, "E-mail"),
        (2, "Stilling"),
    ]
    assert "Højst 20 tegn (her er 21)" in response.context["errors"][0].message


def test_a_file_over_the_size_limit_is_refused_with_the_limits_explained(
    hr_client, settings, department_a
):
    settings.IMPORT_MAX_FILE_MB = 1
    data = csv_bytes(HEADER) + b"3001;Anne;anne@albertslund.dk;;Teamleder;\xc3\x98KS\r\n" * 30_000
    response = upload(hr_client, SimpleUploadedFile("ledere.csv", data))
    message = file_error(response)
    assert message.startswith("Filen fylder 1,3 MB; importen tager højst 1 MB og 50.000 ledere.")
    assert "Højst 1 MB og 50.000 ledere" in response.text  # the field's help says so up front


def test_a_file_with_more_lines_than_the_limit_is_refused(hr_client, settings, department_a):
    settings.IMPORT_MAX_ROWS = 3
    lines = [f"{3000 + n};Leder {n};l{n}@albertslund.dk;;Teamleder;ØKS" for n in range(4)]
    response = upload(hr_client, csv_file(HEADER, *lines))
    assert "Filen har mere end 3 ledere" in file_error(response)


def test_a_problem_list_of_thousands_shows_the_first_few_hundred(hr_client, department_a):
    lines = [f"{3000 + n};Leder {n};ikke-en-adresse-{n};;Teamleder;ØKS" for n in range(400)]
    response = upload(hr_client, csv_file(HEADER, *lines))
    assert len(response.context["errors"]) == 300
    assert response.context["error_count"] == 400
    assert "og 100 problemer mere" in response.text


# --- Set-based: the number of queries does not grow with the file --------------------


def leader_lines(count: int, start: int = 50_000) -> list[str]:
    return [
        f"{start + n};Leder Nummer{n};leder{start + n}@albertslund.dk;Teamleder;Teamleder;ØKS"
        for n in range(count)
    ]


def statements(context, *, inserts: bool) -> list[str]:
    """The captured SQL, without transaction control; only INSERTs, or all but them."""
    sqls = [q["sql"] for q in context.captured_queries]
    sqls = [sql for sql in sqls if not sql.startswith(("SAVEPOINT", "RELEASE", "ANALYZE"))]
    return [sql for sql in sqls if sql.startswith("INSERT") == inserts]


# Uploading (the request): 1 session, 2 user, 3-4 the user's and group permissions,
# 5 files nobody checked in time (none), 6 old checks' problems emptied, then the job's
# and the file's INSERTs; 7 the session's sign-in time saved (first request after
# signing in).
UPLOAD_QUERIES = 6 + session_reads()
# Checking it (the worker): claiming: 1 files nobody checked in time, 2 old problems
# emptied, 3 the oldest waiting job, locked, 4 marked running; checking: 5 the job locked
# again, 6 the stored file, 7 departments (codes and names), 8 leaders by employee
# number, 9 logins by e-mail, 10 department names, 11 expired previews, 12 the
# uploader's earlier preview (each looked for, to be deleted), 13 imports older than 30
# days deleted, then the preview's INSERT, 14 the stored file (looked up without its
# bytes, 15 deleted), 16 the job's outcome; 17-19: the next claim finds none waiting.
CHECK_QUERIES = 19
# Confirming (the request): 1 session, 2 user, 3-4 permissions, 5 the preview (with its
# job, if confirmed already), 6 the preview locked, 7 its job looked for, then the job
# queued: its INSERT.
CONFIRM_QUERIES = 6 + session_reads()
# Writing it (the worker): claiming: 1-2 as for the check, 3 the oldest waiting job,
# locked, 4 marked running; writing: 5 the job locked again, 6 the preview, 7 the preview
# locked, 8 leaders by employee number, 9 logins by e-mail, 10 department names, 11 the
# preview deleted (looked up, 12 the job's link to it emptied, 13 deleted), 14 the job's
# outcome; 15-17 the next claim: none waiting. Then the INSERTs and UPDATEs, many rows
# to a statement.
WORKER_QUERIES = 17


@pytest.mark.parametrize("lines", [50, 1200])
def test_checking_and_importing_take_the_same_queries_for_a_small_and_a_large_file(
    hr_client, department_a, lines
):
    data = csv_file(HEADER, *leader_lines(lines))
    with CaptureQueriesContext(connection) as uploading:
        response = upload(hr_client, data, run=False)
        request = statements(uploading, inserts=False)
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as checking:
        assert import_jobs.run_pending() == 1
        check = statements(checking, inserts=False)
    job = ImportJob.objects.get(kind="check")
    page = hr_client.get(reverse("admin:programme_leader_import_preview", args=[job.preview_id]))
    with CaptureQueriesContext(connection) as confirming:
        confirm(hr_client, page, run=False)
        confirm_request = statements(confirming, inserts=False)
    with CaptureQueriesContext(connection) as working:
        assert import_jobs.run_pending() == 1
        other = statements(working, inserts=False)
        inserts = statements(working, inserts=True)
    assert Leader.objects.count() == lines
    assert (len(request), len(check), len(confirm_request), len(other)) == (
        UPLOAD_QUERIES,
        CHECK_QUERIES,
        CONFIRM_QUERIES,
        WORKER_QUERIES,
    )
    # Logins, leaders and their history: never one statement per line; and one for the
    # kept pages' versions (programme/pagecache.py).
    assert len(inserts) <= 3 * -(-lines // 50) + 1


def test_a_large_import_refreshes_postgresqls_statistics(hr_client, department_a):
    page = preview(hr_client, csv_file(HEADER, *leader_lines(1000)))
    with CaptureQueriesContext(connection) as confirming:
        confirm(hr_client, page)  # and the worker, which refreshes them after it commits
    analyzed = [q["sql"] for q in confirming.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analyzed == [
            'ANALYZE "programme_user", "programme_leader", "programme_historicalleader"'
        ]
    else:
        assert analyzed == []


def test_the_preview_page_runs_a_fixed_number_of_queries(
    hr_client, department_a, django_assert_num_queries
):
    page = preview(hr_client, csv_file(HEADER, *leader_lines(450)))
    url = reverse("admin:programme_leader_import_preview", args=[page.context["batch"].pk])
    # 1 session, 2 user (with leader profile and roles), 3-4 the user's and group
    # permissions (admin), 5 the preview with its lines, 6 the programme (header)
    with django_assert_num_queries(5 + session_reads()):
        second = hr_client.get(url, {"page": 2})
    assert [row["line"] for row in second.context["page"].object_list][:1] == [202]
