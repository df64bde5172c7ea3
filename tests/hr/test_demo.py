"""The demo data holds what every page needs to be seen with content: e-mails in the
outbox that were sent, wait and failed, check-ins, reminders and certificates - each
made the way the portal's own paths make it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email, Log

import demo as demo_data
from mail.models import SentReminder
from materials.models import Material
from programme import clock
from programme.models import Attendance, Certificate, Facilitator, Module, Session, Standing
from rooms import certificates

pytestmark = pytest.mark.django_db

DEMO_DAY = timezone.make_aware(demo_data.DEMO_AS_OF)
# Mid-March: the first cohorts have completed (the end-to-end crawl's day).
LATER = dt.datetime(2016, 3, 15, 9, 20)


def test_the_outbox_holds_e_mails_that_were_sent_wait_and_failed(demo, settings):
    statuses = Counter(Email.objects.values_list("status", flat=True))
    assert statuses[STATUS.sent] > 20
    assert statuses[STATUS.failed] == demo_data.REFUSED
    assert statuses[STATUS.queued] == demo_data.BEHIND_REMINDED
    for email in Email.objects.filter(status=STATUS.failed):
        # Tried once and retried as often as the worker retries, each with the server's error.
        logs = list(email.logs.order_by("date"))
        assert len(logs) == settings.OUTBOX_MAX_RETRIES + 1
        assert {log.status for log in logs} == {STATUS.failed}
        assert "Recipient address rejected" in logs[-1].message
    for email in Email.objects.filter(status=STATUS.sent):
        assert [log.status for log in email.logs.all()] == [STATUS.sent]
    assert not Log.objects.filter(email__status=STATUS.queued).exists()
    # Everything happened before the demo's day, none of it at the moment of seeding.
    assert not Email.objects.filter(created__gt=DEMO_DAY).exists()
    assert not Log.objects.filter(date__gt=DEMO_DAY).exists()


def test_each_e_mail_is_a_reminder_the_portal_recorded(demo):
    reminded = Counter(
        SentReminder.objects.values_list("leader__user__email", "sent_at")
    )  # one e-mail per reminder, to its leader, queued when it was sent
    queued = Counter((email.to[0], email.created) for email in Email.objects.all())
    assert queued == reminded
    kinds = Counter(SentReminder.objects.values_list("kind", flat=True))
    assert set(kinds) == set(SentReminder.Kind)
    # HR pressed "Send påmindelse" for the leaders who are behind; the daily job sent the rest.
    by_hand = SentReminder.objects.filter(sent_by__email=demo_data.HR_EMAIL)
    assert by_hand.count() == kinds[SentReminder.Kind.BEHIND] == demo_data.BEHIND_REMINDED
    assert set(by_hand.values_list("sent_at", flat=True)) == {DEMO_DAY}


def test_the_facilitator_checked_her_sessions_in_and_closed_them(demo, settings):
    lene = Facilitator.objects.get(user__email=demo_data.FACILITATOR_EMAIL)
    hers = Session.objects.filter(facilitator=lene, ends_at__lte=DEMO_DAY)
    closed = Session.objects.filter(closed_at__isnull=False)
    assert set(closed) == {s for s in hers if s.attendances.exists()} != set()
    rows = Attendance.objects.filter(session__in=closed).select_related("session", "leader")
    sources = Counter(rows.values_list("source", flat=True))
    assert sources[Attendance.Source.SELF_CHECK_IN] > sources[Attendance.Source.FACILITATOR] > 0
    late = dt.timedelta(minutes=settings.CHECKIN_LATE_MINUTES)
    opens = dt.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    for row in rows:
        session = row.session
        if row.source == Attendance.Source.SELF_CHECK_IN:
            # By the leader, in the window the code works, late only after the grace.
            assert row.recorded_by_id == row.leader.user_id
            assert session.starts_at - opens <= row.recorded_at < session.ends_at
            assert (row.recorded_at > session.starts_at + late) == (row.status == "late")
        elif row.source in (Attendance.Source.FACILITATOR, Attendance.Source.CLOSED):
            assert row.recorded_by_id == lene.user_id
            assert row.status == ("present" if row.source == "facilitator" else "absent")
    # Other facilitators' sessions were recorded on HR's sheet.
    others = Attendance.objects.exclude(session__facilitator=lene)
    assert set(others.values_list("source", flat=True)) == {Attendance.Source.SHEET}


def test_her_session_under_way_has_the_check_ins_made_so_far(db, settings):
    demo_data.seed(leaders=40, as_of=LATER)
    now = timezone.make_aware(LATER)
    (session,) = Session.objects.filter(
        facilitator__user__email=demo_data.FACILITATOR_EMAIL, starts_at__lte=now, ends_at__gt=now
    )
    assert session.closed_at is None
    rows = list(session.attendances.select_related("leader"))
    expected = session.cohort.enrolments.filter(status="enrolled").count()
    assert 0 < len(rows) < expected  # some are not there yet
    late = dt.timedelta(minutes=settings.CHECKIN_LATE_MINUTES)
    for row in rows:
        assert row.source == Attendance.Source.SELF_CHECK_IN
        assert row.recorded_by_id == row.leader.user_id
        assert row.recorded_at <= now
        assert (row.recorded_at > session.starts_at + late) == (row.status == "late")
    assert {row.status for row in rows} == {"present", "late"}


def test_everyone_who_completed_by_the_day_has_a_certificate_as_the_portal_issues_it(
    db, client, settings
):
    summary = demo_data.seed(leaders=40, as_of=LATER)
    completed = Standing.objects.filter(completed_at__isnull=False)
    issued = Certificate.objects.select_related("leader", "programme")
    assert summary.certificates == issued.count() == completed.count() > 0
    assert {c.leader_id for c in issued} == set(completed.values_list("leader_id", flat=True))
    settings.PORTAL_CLOCK = LATER.isoformat()
    for certificate in issued:
        assert certificate.issued_at <= clock.now()
        # The portal's own path finds the same certificate, with the same date.
        again, _ = certificates.issue(leader=certificate.leader, programme=certificate.programme)
        assert (again.pk, again.completed_on) == (certificate.pk, certificate.completed_on)
    page = client.get(reverse("verify_certificate", args=[issued[0].code]))
    assert page.status_code == 200
    assert issued[0].leader.name in page.text


def test_nobody_has_a_certificate_on_the_demo_day_since_nobody_has_completed(demo):
    # Module 4 meets in February at the earliest: a certificate now would be a lie.
    assert not Standing.objects.filter(completed_at__isnull=False).exists()
    assert not Certificate.objects.exists()


def test_each_module_has_pre_reading_and_the_kick_off_its_programme_as_a_file(demo):
    for module in Module.objects.all():
        assert module.materials.exclude(link="").exists(), module
    kick_off = Material.objects.get(module__order=1, link="")
    with kick_off.file.open("rb") as stored:
        assert stored.read().decode().startswith("Kick-off: Det digitale mindset")


def test_seeding_again_adds_nothing(demo):
    def counts():
        return [
            model.objects.count()
            for model in (Email, Log, SentReminder, Certificate, Attendance, Session, Material)
        ] + [Session.objects.filter(closed_at__isnull=False).count()]

    before = counts()
    again = demo_data.seed()
    assert counts() == before
    assert (again.emails, again.enrolments, again.attendances) == (0, 0, 0)


def test_the_command_says_what_it_added(db, capsys):
    call_command("seed_demo", "--leaders", "40")
    out = capsys.readouterr().out
    emails = Email.objects.count()
    assert f"{emails} e-mails and 0 certificates" in out
    assert emails > 0


def test_the_command_at_verbosity_2_says_each_steps_seconds_and_peak_memory(db, capsys):
    call_command("seed_demo", "--leaders", "40", "-v", "2")
    lines = [line for line in capsys.readouterr().out.splitlines() if "MB so far" in line]
    steps = [line.split(":")[0].strip() for line in lines]
    assert steps[0] == "departments"
    assert steps[-1] == "commit"
    peaks = [int(line.split("(peak ")[1].split(" MB")[0]) for line in lines]
    assert peaks == sorted(peaks)  # a peak so far only grows
    assert peaks[0] > 10  # a Django process holds tens of MB, not kilobytes


def test_the_demos_evaluations_saved_in_parts_form_the_blocks_of_one_go(db, monkeypatch):
    """A national demo saves its evaluations a few whole sessions at a time; each
    evaluation lands in the same statistics block as when all are saved at once. Here:
    a part at every moment sessions end, against one part of all."""
    from demo import session_evaluations
    from evaluations.models import Evaluation
    from programme.models import StatisticsBlock, StatisticsEntry, StatisticsScope

    def blocks():
        by_pk = {e.pk: (e.leader_id, e.session_id) for e in Evaluation.objects.all()}
        entries = StatisticsEntry.objects.filter(scope__kind="evaluation").select_related("block")
        return {
            by_pk[int(e.subject.split(":")[1])]: (
                e.arrived_at,
                e.block and (e.block.level, e.block.leaf, e.block.size, e.block.formed_at),
            )
            for e in entries
        }

    monkeypatch.setattr(session_evaluations, "SAVED_AT_ONCE", 1)
    summary = demo_data.seed(leaders=60)
    in_parts = blocks()
    assert sum(1 for _, block in in_parts.values() if block) >= 10  # blocks did form

    StatisticsEntry.objects.filter(scope__kind="evaluation").delete()
    StatisticsBlock.objects.filter(scope__kind="evaluation").delete()
    StatisticsScope.objects.filter(kind="evaluation").delete()
    Evaluation.objects.all().delete()
    monkeypatch.setattr(session_evaluations, "SAVED_AT_ONCE", 1_000_000)
    session_evaluations.evaluations(summary.programme, DEMO_DAY)
    assert blocks() == in_parts
