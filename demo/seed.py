"""The demo's one entry point, :func:`seed`: each part in order, in one transaction,
with the seconds each step took for ``seed_demo -v 2``."""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

import booking
from demo import session_evaluations
from demo.assessments import _initiatives, _self_assessments
from demo.attendance import _attendance
from demo.data import DEMO_AS_OF, MODULES, PROGRAMME_NAME
from demo.materials import _materials
from demo.outcomes import _certificates, _reminders_and_outbox
from demo.people import _cohorts, _departments, _enrolments, _late_enrolments, _people
from groups import forming
from groups.models import LearningGroup
from programme import page_versions, pagecache
from programme.db import analyze, foreign_keys_checked_at_the_end
from programme.models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    Standing,
    User,
)
from programme.progress import refresh_standings


@dataclass
class SeedSummary:
    programme: Programme
    leaders: int
    cohorts: int
    sessions: int
    enrolments: int
    attendances: int
    emails: int = 0
    certificates: int = 0


def seed(
    *, leaders: int = 150, as_of: dt.datetime = DEMO_AS_OF, timings: dict | None = None
) -> SeedSummary:
    """Load the demo programme (adds only what is missing). ``timings``, if given, gets
    the seconds each step took and the process's peak memory in MB by its end
    (``seed_demo -v 2`` prints them)."""
    clock_started = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock_started
        if timings is not None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KB on Linux
            timings[name] = (time.monotonic() - clock_started, peak)
        clock_started = time.monotonic()

    # Its bulk writes replace the kept pages' versions themselves: gathered into one
    # statement at the end (every page's versions: the programme is new). Millions of
    # rows: their foreign keys checked once at the end, a join each, not row by row.
    with transaction.atomic(), page_versions.batch(), foreign_keys_checked_at_the_end():
        summary = _seed(leaders, as_of, step)
    step("commit")
    return summary


def _seed(leaders: int, as_of: dt.datetime, step) -> SeedSummary:
    rng = random.Random(2015)
    as_of = timezone.make_aware(as_of) if timezone.is_naive(as_of) else as_of
    programme, _ = Programme.objects.get_or_create(
        name=PROGRAMME_NAME,
        defaults={
            "starts_on": dt.date(2015, 11, 1),
            "ends_on": dt.date(2016, 7, 31),
            "description": "Kompetenceudvikling i digital ledelse for alle ledere i "
            "Albertslund Kommune.",
        },
    )
    modules = [
        Module.objects.get_or_create(
            programme=programme,
            order=number,
            defaults={"title": title, "description": text, "required": True},
        )[0]
        for number, (title, text) in enumerate(MODULES, start=1)
    ]
    departments = _departments(leaders)
    step("departments")
    cohorts = _cohorts(programme, modules, count=max(6, round(leaders / 25)), rng=rng)
    step("cohorts and sessions")
    _people(departments, leaders, rng)
    # The places below read the leaders just written, joined to their users: planned
    # without statistics (the tables look empty inside this transaction) that join is a
    # nested loop over every pair.
    analyze(User, Leader, Department, Cohort, Session)
    step("users and leaders")
    enrolments = _enrolments(programme, cohorts, rng)
    step("places")
    booking.close_places(now=as_of, notify=False)
    step("close waitlists")
    # After the closing: a leader whose waiting place closed may enrol elsewhere.
    enrolments += _late_enrolments(programme, cohorts, as_of, rng)
    step("late places")
    attendances = _attendance(programme, as_of, rng)
    step("attendance and make-ups")
    _self_assessments(programme, as_of, rng)
    step("self-assessments")
    _initiatives(programme, as_of, rng)
    step("initiatives")
    _materials(modules)
    step("module materials")
    # What follows reads back the places, attendance and make-ups just written (each
    # cohort's places, for its learning groups): planned with their statistics. (The
    # people, cohorts and sessions were analyzed after they were written, above.)
    analyze(Enrolment, MakeUpBooking, Attendance)
    step("analyze")
    if not LearningGroup.objects.filter(programme=programme).exists():
        # Each cohort's groups, as HR forms them cohort by cohort, all in one go.
        forming.form_cohorts(programme, cohorts)
    step("learning groups")
    session_evaluations.evaluations(programme, as_of)
    step("session evaluations")
    # The inserts above are in bulk, which sends no signals.
    refresh_standings(programme)
    analyze(Standing)
    step("standings")
    certificates = _certificates(programme, as_of)
    step("certificates")
    emails = _reminders_and_outbox(programme, as_of)
    # Earlier loads and commands wrote rows of the kept pages' versions
    # (programme/pagecache.py); read them once, as the first page would, so they are
    # folded here, not in a request.
    pagecache.versions([pagecache.ANY, pagecache.OTHERS])
    step("reminders and outbox")
    return SeedSummary(
        programme=programme,
        leaders=Leader.objects.count(),
        cohorts=len(cohorts),
        sessions=Session.objects.filter(cohort__programme=programme).count(),
        enrolments=enrolments,
        attendances=attendances,
        emails=emails,
        certificates=certificates,
    )
