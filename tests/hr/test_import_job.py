"""The leader import's slow steps as background jobs (hr/import_jobs.py): HR
uploads, the import worker checks the file and the status page leads to the preview or
the problems (the stored file deleted); HR confirms, the worker writes it all or
nothing, HR follows it on a status page; every invitation lands in the outbox once,
whether the job runs twice, its worker is killed halfway, or two workers run at once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from hr import import_jobs
from hr.models import ImportBatch, ImportJob, ImportUpload
from mail.models import Invitation
from programme import clock
from programme.models import Leader
from tests.conftest import make_user, query_name, session_queries
from tests.hr.test_admin_import import HEADER, IMPORT_URL, csv_file, leader_lines, preview, upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def confirm(client, lines: list[str], *, invite: bool = True, name: str = "ledere.csv"):
    """Upload a file of ``lines``, confirm its preview; the response (to the status page)."""
    page = preview(client, csv_file(HEADER, *lines, name=name))
    url = reverse("admin:programme_leader_import_confirm", args=[page.context["batch"].pk])
    return client.post(url, {"send_invitations": "1"} if invite else {})


def writes():
    """The import jobs that write a confirmed preview (each upload's check is a job too)."""
    return ImportJob.objects.filter(kind=ImportJob.Kind.WRITE)


def words(response) -> str:
    return " ".join(response.content.decode().split())


def outbox_recipients() -> list[str]:
    """Every e-mail's recipient in the outbox, sorted (a leader twice if invited twice)."""
    return sorted(address for email in Email.objects.all() for address in email.to)


def emails_of(numbers: list[str]) -> list[str]:
    """The new leaders' addresses (leader_lines' pattern), sorted: one each."""
    return sorted(f"leder{number}@albertslund.dk" for number in numbers)


def numbers_in(lines: list[str]) -> list[str]:
    return [line.split(";")[0] for line in lines]


# --- The upload's check: in the worker, then the preview or the problems -------------


def checks():
    return ImportJob.objects.filter(kind=ImportJob.Kind.CHECK)


def test_an_upload_is_checked_by_the_worker_and_its_page_leads_to_the_preview(
    hr_client, department_a
):
    response = upload(hr_client, csv_file(HEADER, *leader_lines(3)), run=False)
    job = checks().get()
    status_url = reverse("admin:programme_leader_import_job", args=[job.pk])
    assert response["Location"] == status_url
    # The request only stored the file: nothing read, checked or planned yet.
    assert ImportUpload.objects.filter(job=job).exists()
    assert not ImportBatch.objects.exists()
    waiting = hr_client.get(status_url)
    assert "Kontrol af ledere.csv" in words(waiting)
    assert "Status: filen venter på at blive kontrolleret" in words(waiting)
    assert "Intet er importeret endnu" in words(waiting)
    assert 'data-refresh-seconds="3"' in waiting.text
    assert "Filen venter på at blive kontrolleret" in words(hr_client.get(IMPORT_URL))

    assert import_jobs.run_pending() == 1
    checked = hr_client.get(status_url)
    job.refresh_from_db()
    preview_url = reverse("admin:programme_leader_import_preview", args=[job.preview_id])
    assert "Status: filen er kontrolleret: se forhåndsvisningen" in words(checked)
    assert "Hver linje er kontrolleret: 3 ledere, heraf 3 nye, 0 opdateret" in words(checked)
    assert f'<a href="{preview_url}">Se forhåndsvisningen, og bekræft importen</a>' in checked.text
    assert "data-refresh-seconds" not in checked.text
    assert not ImportUpload.objects.exists()  # the file's bytes go with the check
    assert hr_client.get(preview_url).context["batch"].new_count == 3
    assert not Leader.objects.exists()  # nothing imported before HR confirms


def test_a_wrong_header_is_refused_on_the_check_page_where_hr_can_act_on_it(
    hr_client, department_a
):
    response = upload(hr_client, csv_file("Navn;E-mail", "Anne Holm;anne@albertslund.dk"))
    page = words(response)
    assert "Status: ikke importeret" in page
    assert "Intet blev importeret: filen kan ikke læses som en liste over ledere." in page
    assert "Filen mangler kolonnen Medarbejdernummer, Ledelsesniveau, Afdeling." in page
    assert f'<a href="{IMPORT_URL}">Upload en rettet fil</a>' in response.text
    assert not ImportUpload.objects.exists()
    assert not ImportBatch.objects.exists()


def test_the_problems_in_the_lines_are_worded_in_the_uploaders_language(hr_client, department_a):
    hr_client.cookies["django_language"] = "en"
    lines = ["3001;Anne Holm;ikke-en-adresse;;Teamleder;ØKS"]
    response = upload(hr_client, csv_file(HEADER, *lines))
    assert [(e.line, e.column) for e in response.context["errors"]] == [(2, "E-mail")]
    assert "“ikke-en-adresse” is not a valid e-mail address." in response.text
    assert "Nothing was saved: 1 problem must be corrected first." in words(response)


def test_the_problems_name_people_and_are_emptied_after_the_previews_lifetime(
    hr_client, settings, department_a
):
    lines = [f"{3000 + n};Leder {n};ikke-en-adresse-{n};;Teamleder;ØKS" for n in range(2)]
    response = upload(hr_client, csv_file(HEADER, *lines))
    assert "ikke-en-adresse-1" in response.text
    job = checks().get()
    checks().update(
        finished_at=clock.now() - dt.timedelta(seconds=settings.IMPORT_PREVIEW_MAX_AGE + 1)
    )
    status_url = reverse("admin:programme_leader_import_job", args=[job.pk])
    assert "ikke-en-adresse" not in hr_client.get(status_url).text  # not shown, even before
    upload(hr_client, csv_file(HEADER, *leader_lines(1)), run=False)  # any upload sweeps
    job.refresh_from_db()
    assert (job.problems, job.problem_count) == ([], 2)
    later = hr_client.get(reverse("admin:programme_leader_import_job", args=[job.pk]))
    assert "ikke-en-adresse" not in later.text
    assert "Listen over problemer slettes 60 minutter efter kontrollen" in words(later)


def test_a_file_nobody_checked_in_time_is_deleted_and_its_check_says_so(
    hr_client, settings, department_a
):
    upload(hr_client, csv_file(HEADER, *leader_lines(2)), run=False)
    job = checks().get()
    checks().update(
        created_at=clock.now() - dt.timedelta(seconds=settings.IMPORT_PREVIEW_MAX_AGE + 1)
    )
    assert import_jobs.run_pending() == 0  # the worker came back too late
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "expired")
    assert not ImportUpload.objects.exists()
    page = hr_client.get(reverse("admin:programme_leader_import_job", args=[job.pk]))
    assert "filen blev ikke kontrolleret i tide, så den er slettet" in words(page)


def test_a_check_that_stops_leaves_nothing_and_is_taken_up_again(
    hr_client, department_a, monkeypatch
):
    from hr import imports

    upload(hr_client, csv_file(HEADER, *leader_lines(3)), run=False)
    real_store = imports.store_preview

    def store_then_stop(*args, **kwargs):
        real_store(*args, **kwargs)
        raise ConnectionError("the database went away")

    monkeypatch.setattr(imports, "store_preview", store_then_stop)
    with pytest.raises(ConnectionError):
        import_jobs.run_pending()
    job = checks().get()
    assert (job.status, job.attempts) == ("running", 1)
    assert ImportUpload.objects.filter(job=job).exists()  # kept for the next attempt
    assert not ImportBatch.objects.exists()  # nothing half-saved
    monkeypatch.setattr(imports, "store_preview", real_store)
    assert import_jobs.run_pending(clock.now() + import_jobs.RETRY_AFTER) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert ImportBatch.objects.get().pk == job.preview_id
    assert not ImportUpload.objects.exists()


def test_a_check_that_keeps_stopping_is_given_up_and_its_file_deleted(hr_client, department_a):
    upload(hr_client, csv_file(HEADER, *leader_lines(2)), run=False)
    checks().update(status="running", attempts=import_jobs.MAX_ATTEMPTS, started_at=clock.now())
    assert import_jobs.run_pending(clock.now() + import_jobs.RETRY_AFTER) == 0
    job = checks().get()
    assert (job.status, job.failure) == ("failed", "stopped")
    assert not ImportUpload.objects.exists()


# --- HR's view: queued, then done; or why not -----------------------------------------


def test_hr_follows_an_import_from_waiting_to_done_on_its_status_page(hr_client, department_a):
    lines = leader_lines(3)
    response = confirm(hr_client, lines)
    job = writes().get()
    status_url = reverse("admin:programme_leader_import_job", args=[job.pk])
    assert response["Location"] == status_url
    assert not Leader.objects.exists()  # the request wrote nothing but the job

    waiting = hr_client.get(status_url)
    assert "Status: venter på at gå i gang" in words(waiting)
    assert "du kan forlade siden og vende tilbage til den fra “Importér ledere”" in words(waiting)
    assert 'data-refresh-seconds="3"' in waiting.text
    assert f'<a href="{status_url}">Opdatér status</a>' in waiting.text
    # The way back: the upload page lists the import, with a link to its status.
    listed = hr_client.get(IMPORT_URL)
    assert f'<a href="{status_url}">ledere.csv</a>' in listed.text
    assert "Venter på at gå i gang" in words(listed)

    assert import_jobs.run_pending() == 1
    done = hr_client.get(status_url)
    assert "Status: færdig" in words(done)
    assert ": 3 nye ledere, 0 opdateret og 0 uændret." in words(done)
    assert "3 invitationer ligger i udbakken." in words(done)
    assert "data-refresh-seconds" not in done.text  # nothing more to wait for
    assert not ImportBatch.objects.exists()  # the file's lines go with the write
    assert Leader.objects.count() == 3
    assert outbox_recipients() == emails_of(numbers_in(lines))


def test_an_import_without_invitations_says_so_and_queues_none(hr_client, department_a):
    confirm(hr_client, leader_lines(2), invite=False)
    import_jobs.run_pending()
    job = writes().get()
    page = hr_client.get(reverse("admin:programme_leader_import_job", args=[job.pk]))
    assert "Ingen sendt" in words(page)
    assert "udbakken" not in words(page)
    assert (job.status, job.invited_count, Email.objects.count()) == ("done", 0, 0)


def test_a_file_changed_since_the_preview_fails_with_the_reason_and_writes_nothing(
    hr_client, leader, department_a
):
    lines = [*leader_lines(2), "1001;Søren Ærbø;soeren@albertslund.dk;Direktør;Direktør;ØKS"]
    response = confirm(hr_client, lines)
    leader.title = "Ændret imens"
    leader.save()
    import_jobs.run_pending()
    page = hr_client.get(response["Location"])
    assert "Status: ikke importeret" in words(page)
    assert (
        "Intet blev importeret: ledere eller logins i filen er ændret siden forhåndsvisningen."
        in words(page)
    )
    assert f'<a href="{IMPORT_URL}">Upload en fil</a>' in page.text
    assert not Leader.objects.filter(employee_number__in=numbers_in(lines[:2])).exists()
    assert (Email.objects.count(), Invitation.objects.count()) == (0, 0)
    assert not ImportBatch.objects.exists()  # the names and addresses are not kept


def test_a_job_that_keeps_stopping_is_given_up_with_a_reason_hr_can_act_on(hr_client, department_a):
    """Three workers took it and died (the row as they left it); the fourth gives up."""
    response = confirm(hr_client, leader_lines(2))
    writes().update(status="running", attempts=import_jobs.MAX_ATTEMPTS, started_at=clock.now())
    later = clock.now() + import_jobs.RETRY_AFTER
    assert import_jobs.run_pending(later) == 0
    job = writes().get()
    assert (job.status, job.failure, job.batch_id) == ("failed", "stopped", None)
    assert not ImportBatch.objects.exists()
    page = hr_client.get(response["Location"])
    assert "importen stoppede med en fejl flere gange" in words(page)
    assert not Leader.objects.exists()


def test_a_waiting_import_says_when_the_worker_seems_not_to_run(hr_client, department_a):
    response = confirm(hr_client, leader_lines(1))
    writes().update(created_at=clock.now() - dt.timedelta(minutes=6))
    page = hr_client.get(response["Location"])
    assert "Den har ventet i mere end 5 minutter" in words(page)
    assert "Kontakt IT-support" in words(page)


def test_a_running_import_says_since_when_and_that_nothing_is_saved_until_the_end(
    hr_client, department_a
):
    """The row as a worker leaves it when it takes the job (its writing not yet committed)."""
    response = confirm(hr_client, leader_lines(2))
    started = timezone.localtime(clock.now()).replace(hour=10, minute=5)
    writes().update(status="running", attempts=1, started_at=started)
    page = hr_client.get(response["Location"])
    assert "Status: i gang" in words(page)
    assert "I gang siden kl. 10:05: 2 ledere skrives på én gang" in words(page)
    assert 'data-refresh-seconds="3"' in page.text


def test_another_persons_import_leads_back_to_the_upload_with_a_message(
    client, hr, superuser, department_a
):
    client.force_login(hr)
    response = confirm(client, leader_lines(1))
    colleague = make_user("hr2@albertslund.dk", is_staff=True)
    colleague.groups.set(hr.groups.all())
    for other in (colleague, superuser):
        client.force_login(other)
        page = client.get(response["Location"])
        assert page["Location"] == IMPORT_URL
        followed = client.get(IMPORT_URL)
        assert [str(m) for m in followed.context["messages"]] == [
            "Importen findes ikke: den er ældre end 30 dage, eller den er en andens. Dine "
            "seneste importer står nedenfor."
        ]
        assert "ledere.csv" not in followed.text


def test_imports_are_kept_30_days_and_then_removed_with_the_next_upload(hr_client, department_a):
    confirm(hr_client, leader_lines(1), name="gammel.csv")
    import_jobs.run_pending()
    writes().update(created_at=clock.now() - dt.timedelta(days=30, minutes=1))
    confirm(hr_client, leader_lines(1, start=60_000), name="ny.csv")
    assert list(writes().values_list("file_name", flat=True)) == ["ny.csv"]


def test_a_confirmed_preview_is_kept_for_the_worker_however_long_it_takes(hr_client, department_a):
    """A newer upload replaces, and an hour's wait expires, only previews not confirmed."""
    first = leader_lines(2)
    confirm(hr_client, first, name="foerste.csv")
    upload(hr_client, csv_file(HEADER, *leader_lines(2, start=60_000), name="anden.csv"))

    def previews():
        return list(ImportBatch.objects.order_by("file_name").values_list("file_name", flat=True))

    assert previews() == ["anden.csv", "foerste.csv"]
    ImportBatch.objects.update(created_at=clock.now() - dt.timedelta(hours=2))
    upload(hr_client, csv_file(HEADER, *leader_lines(1, start=70_000), name="tredje.csv"))
    assert previews() == ["foerste.csv", "tredje.csv"]
    assert import_jobs.run_pending() == 1
    assert Leader.objects.filter(employee_number__in=numbers_in(first)).count() == 2


# --- Exactly once ---------------------------------------------------------------------


def test_running_the_worker_again_writes_nothing_twice(hr_client, department_a):
    lines = leader_lines(5)
    confirm(hr_client, lines)
    assert import_jobs.run_pending() == 1
    assert import_jobs.run_pending() == 0
    assert import_jobs.run_pending(clock.now() + dt.timedelta(hours=1)) == 0
    assert outbox_recipients() == emails_of(numbers_in(lines))
    assert Invitation.objects.count() == 5


def test_a_job_put_back_in_the_queue_cannot_write_its_preview_twice(hr_client, department_a):
    """Even if a job ran again by mistake, its preview went with the write that used it."""
    lines = leader_lines(5)
    confirm(hr_client, lines)
    import_jobs.run_pending()
    writes().update(status="queued", finished_at=None)
    assert import_jobs.run_pending() == 1
    assert writes().get().failure == "gone"
    assert outbox_recipients() == emails_of(numbers_in(lines))
    assert Leader.objects.count() == 5


def test_a_running_job_is_taken_up_again_only_after_its_worker_has_had_time(
    hr_client, department_a
):
    """A job left running (its worker died after taking it) waits RETRY_AFTER, then runs."""
    lines = leader_lines(3)
    confirm(hr_client, lines)
    taken = clock.now()
    writes().update(status="running", attempts=1, started_at=taken)
    assert import_jobs.run_pending(taken + dt.timedelta(seconds=30)) == 0
    assert import_jobs.run_pending(taken + import_jobs.RETRY_AFTER) == 1
    job = writes().get()
    assert (job.status, job.attempts, job.invited_count) == ("done", 2, 3)
    assert outbox_recipients() == emails_of(numbers_in(lines))


def test_the_command_runs_every_waiting_import_and_says_so(hr_client, department_a, capsys):
    confirm(hr_client, leader_lines(2), name="a.csv")
    confirm(hr_client, leader_lines(2, start=60_000), name="b.csv")
    call_command("run_imports")
    out = capsys.readouterr().out
    assert "(a.csv): done, 2 new, 0 updated, 2 invitations queued." in out
    assert "(b.csv): done, 2 new" in out
    assert out.rstrip().endswith("Ran 2 imports; none is waiting.")
    assert Leader.objects.count() == 4


# --- The status page's queries ------------------------------------------------------


# 1 session, 2 user (with leader profile and roles), 3-4 the user's and group permissions
# (admin), 5 the job, 6 the programme (the header's name).
STATUS_PAGE = [
    *session_queries(),
    "select programme_user",
    "select auth_permission",
    "select auth_permission",
    "select programme_importjob",
    "select programme_programme",
]


@pytest.mark.parametrize("lines", [3, 600])
def test_the_status_page_asks_the_same_queries_waiting_or_done_small_or_large(
    hr_client, department_a, lines
):
    response = confirm(hr_client, leader_lines(lines))
    for run in (False, True):
        if run:
            import_jobs.run_pending()
        with CaptureQueriesContext(connection) as context:
            page = hr_client.get(response["Location"])
        assert page.status_code == 200
        assert [query_name(q["sql"]) for q in context.captured_queries] == STATUS_PAGE


def test_a_checks_status_page_asks_the_same_queries_waiting_checked_or_refused(
    hr_client, department_a
):
    refused = upload(hr_client, csv_file(HEADER, *[f"{n};x;y;;z;w" for n in range(400)]))
    good = upload(hr_client, csv_file(HEADER, *leader_lines(5)), run=False)
    assert len(refused.context["errors"]) == 300  # the first few hundred, from the job's row
    assert "… og 900 problemer mere, som ikke er vist." in words(refused)
    for url in (good["Location"], good["Location"], refused.request["PATH_INFO"]):
        with CaptureQueriesContext(connection) as context:
            page = hr_client.get(url)
        assert page.status_code == 200
        assert [query_name(q["sql"]) for q in context.captured_queries] == STATUS_PAGE
        import_jobs.run_pending()


def test_the_upload_page_lists_recent_imports_in_one_query(hr_client, department_a):
    for n in range(4):
        confirm(hr_client, leader_lines(1, start=60_000 + n), name=f"fil{n}.csv")
    with CaptureQueriesContext(connection) as context:
        page = hr_client.get(IMPORT_URL)
    # The same names as the status page's: the fifth is the latest imports, all at once.
    assert [query_name(q["sql"]) for q in context.captured_queries] == STATUS_PAGE
    # Each file's check and its import, the latest first.
    listed = [(job.file_name, job.kind) for job in page.context["jobs"]]
    assert listed == [(f"fil{n}.csv", kind) for n in (3, 2, 1, 0) for kind in ("write", "check")]


# --- Real workers on PostgreSQL: killed halfway, and two at once -----------------------


def worker_environment() -> dict[str, str]:
    """The worker's own process, against this test's database, as in production."""
    params = connection.settings_dict
    url = (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_ENV", "PORTAL_"))}
    return {**env, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def another_backend_writes(table: str) -> bool:
    """Whether another connection holds a write lock on ``table`` (its transaction is
    writing there and has not ended)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()",
            [table],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_leaves_nothing_and_the_next_writes_it_once(
    client, superuser, department_a
):
    # A superuser: an earlier transactional test may have flushed the HR group.
    client.force_login(superuser)
    lines = leader_lines(2000)
    confirm(client, lines)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_imports", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=worker_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Killed when its transaction is queuing invitations: leaders, logins and
        # history are written by then, and some e-mails.
        assert wait_for(lambda: another_backend_writes("post_office_email"), 60), (
            "the worker never began to queue invitations"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert wait_for(lambda: not another_backend_writes("programme_leader"), 30)

    job = writes().get()
    assert (job.status, job.attempts) == ("running", 1)
    assert (Leader.objects.count(), Email.objects.count(), Invitation.objects.count()) == (0, 0, 0)
    assert ImportBatch.objects.filter(pk=job.batch_id).exists()

    # The next worker takes it up (at once here: on PostgreSQL a live worker's job is
    # locked, so it is never taken from under it).
    second = subprocess.run(
        [sys.executable, "manage.py", "run_imports", "--retry-after", "0"],
        cwd=ROOT,
        env=worker_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr
    assert "done, 2000 new, 0 updated, 2000 invitations queued" in second.stdout
    job.refresh_from_db()
    assert (job.status, job.attempts, job.invited_count) == ("done", 2, 2000)
    assert outbox_recipients() == emails_of(numbers_in(lines))
    assert Invitation.objects.count() == Leader.objects.count() == 2000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_running_at_once_write_each_import_once(client, superuser, department_a):
    """Four workers (threads, each with its own connection) on three imports."""
    client.force_login(superuser)
    files = [leader_lines(200, start=60_000 + 1000 * n) for n in range(3)]
    for n, lines in enumerate(files):
        confirm(client, lines, name=f"fil{n}.csv")
    start = threading.Barrier(4)
    ran: list[int] = []
    errors: list[BaseException] = []

    def work():
        try:
            start.wait(timeout=30)
            ran.append(import_jobs.run_pending())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert sum(ran) == 3
    assert (
        list(writes().values_list("status", "attempts", "invited_count")) == [("done", 1, 200)] * 3
    )
    every = [number for lines in files for number in numbers_in(lines)]
    assert outbox_recipients() == emails_of(every)
    assert Invitation.objects.count() == Leader.objects.count() == 600


# --- imports.confirm: the same work at once, for code that needs it done ----------------


def test_confirm_still_writes_at_once_and_refuses_a_preview_already_queued(hr, department_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hr import imports

    def stored(lines):
        data = SimpleUploadedFile("ledere.csv", ("\r\n".join([HEADER, *lines]) + "\r\n").encode())
        table = imports.read_upload(data)
        return imports.store_preview(imports.check(table, by=hr), by=hr, file_name="ledere.csv")

    written = imports.confirm(stored(leader_lines(3)).pk, by=hr, invite=True)
    assert (written.new, written.invited, Leader.objects.count()) == (3, 3, 3)
    queued = import_jobs.queue(stored(leader_lines(2, start=60_000)).pk, by=hr, invite=False)
    with pytest.raises(imports.AlreadyConfirmed) as refused:
        imports.confirm(queued.batch_id, by=hr)
    assert refused.value.job == queued
    assert Leader.objects.count() == 3
