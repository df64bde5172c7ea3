"""Demo data: the 2015–2016 programme with departments, cohorts, leaders and attendance.

Deterministic (a seeded random generator) and idempotent: running it again adds
nothing that is there already. ``leaders`` scales the same shape — about 25
leaders a cohort, 20 a department — to tens of thousands with bulk inserts, for
benchmarks.

Seats go through :mod:`programme.booking`'s bulk functions (the same seat rule,
one statement per cohort), and the waitlists of cohorts that had begun by
``as_of`` are closed as ``manage.py close_places`` would have closed them.
Sessions that ended within the registration grace period before ``as_of`` have
no attendance yet, so the demo shows leaders awaiting registration.

So that every page has something to show, the demo also holds what the portal's
own paths leave behind by ``as_of``: the facilitator with a login ran her sessions
with the check-in code (self check-ins, a few marked by her, the absent recorded
when she closed the session), the daily reminder job ran a week before and HR
pressed "Send påmindelse" for leaders who are behind (their e-mails queued through
the outbox), the worker sent the e-mails (two addresses refused, failed for good,
and HR's just queued, waiting), and everyone who completed has a kursusbevis.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef
from django.utils import timezone
from post_office.models import STATUS, Email, Log

from . import assessment, booking, outbox, page_versions, pagecache, reminders
from .db import analyze, insert_in_bulk
from .models import (
    HR_GROUP,
    Answer,
    AssessmentResponse,
    Attendance,
    Certificate,
    Cohort,
    Department,
    Enrolment,
    Facilitator,
    Initiative,
    InitiativeStatusChange,
    Leader,
    Location,
    MakeUpBooking,
    Module,
    Programme,
    Questionnaire,
    SentReminder,
    Session,
    Standing,
    User,
)
from .progress import annotate_progress, refresh_standings, registration_due

PROGRAMME_NAME = "Digital ledelse 2015–2016"
DEMO_PASSWORD = "digital2015"  # noqa: S105 - printed for the demo, never used in production
DEMO_AS_OF = dt.datetime(2016, 1, 18, 9, 0)
HR_EMAIL = "hr@albertslund.dk"
MANAGER_EMAIL = "chef@albertslund.dk"
LEADER_EMAIL = "leder@albertslund.dk"

MODULES = [
    (
        "Kick-off: Det digitale mindset",
        "Hvad digital ledelse er i Albertslund: samspillet mellem ledelse, IT, mennesker, "
        "processer og opgaver, og lederens rolle som forandringsagent.",
    ),
    (
        "IT: Systemer, data og sikkerhed",
        "Kommunens IT-landskab, data som ledelsesinformation og informationssikkerhed.",
    ),
    (
        "Mennesker: Medarbejdere i forandring",
        "At lede medarbejdere gennem digitale forandringer og styrke deres digitale kompetencer.",
    ),
    (
        "Processer: Arbejdsgange og gevinster",
        "At se egne arbejdsgange med digitale briller og hente gevinsterne hjem.",
    ),
    (
        "Opgaver: Kerneydelsen og borgeren",
        "Digitalisering af kerneopgaven på tværs af fagområder, med borgeren i centrum.",
    ),
]

DEPARTMENTS_PER_AREA = 30
DEPARTMENTS = [
    ("ØKS", "Center for Økonomi og Styring"),
    ("PDI", "Center for Personale og Digitalisering"),
    ("BOF", "Center for Børn og Familier"),
    ("SKU", "Center for Skole og Uddannelse"),
    ("ÆLS", "Center for Ældre og Sundhed"),
    ("MIT", "Center for Miljø og Teknik"),
    ("KUF", "Center for Kultur og Fritid"),
    ("ABS", "Center for Arbejdsmarked og Borgerservice"),
]

FIRST_NAMES = [
    "Anders",
    "Anne",
    "Birgitte",
    "Bjørn",
    "Camilla",
    "Christian",
    "Dorte",
    "Erik",
    "Frederikke",
    "Grethe",
    "Hanne",
    "Henrik",
    "Ida",
    "Jens",
    "Jørgen",
    "Karen",
    "Kirsten",
    "Lars",
    "Lene",
    "Mads",
    "Mette",
    "Niels",
    "Pernille",
    "Rasmus",
    "Signe",
    "Søren",
    "Thomas",
    "Trine",
    "Ulla",
    "Åse",
    "Asger",
    "Maja",
    "Sørine",
    "Bodil",
]
LAST_NAMES = [
    "Andersen",
    "Bæk",
    "Christensen",
    "Dahl",
    "Frølund",
    "Hansen",
    "Holm",
    "Jensen",
    "Jørgensen",
    "Kjær",
    "Larsen",
    "Madsen",
    "Møller",
    "Nielsen",
    "Pedersen",
    "Poulsen",
    "Rasmussen",
    "Sørensen",
    "Thomsen",
    "Østergaard",
    "Ågård",
    "Lærkesen",
    "Brøndum",
]
TITLES = {
    Leader.Level.DIRECTOR: "Direktør",
    Leader.Level.HEAD_OF_CENTRE: "Centerchef",
    Leader.Level.DEPARTMENT: "Afdelingsleder",
    Leader.Level.TEAM: "Teamleder",
}
# Rooms: name, address, seats, accessibility.
LOCATIONS = [
    (
        "Albertslund Rådhus, Byrådssalen",
        "Nordmarks Allé 1, 2620 Albertslund",
        60,
        "Niveaufri adgang fra hovedindgangen, elevator og teleslynge.",
    ),
    (
        "Albertslund Rådhus, mødelokale 2",
        "Nordmarks Allé 1, 2620 Albertslund",
        30,
        "Elevator til 1. sal.",
    ),
    (
        "Musikteatret Albertslund, salen",
        "Bibliotekstorvet 2, 2620 Albertslund",
        120,
        "Niveaufri adgang og handicaptoilet.",
    ),
    ("Kongsholmcentret, lokale 3", "Kongsholm Allé 2, 2620 Albertslund", 30, ""),
]
# Facilitators: name, organisation, e-mail; the first can sign in to the session screen.
FACILITATORS = [
    ("Lene Holm", "Digitaliseringsenheden", "facilitator@albertslund.dk"),
    ("Jonas Friis", "HR-udvikling", "jonas.friis@albertslund.dk"),
    ("Pia Krogh", "COK", "pia.krogh@cok.dk"),
]
FACILITATOR_EMAIL = FACILITATORS[0][2]
# Enrolment deadline and the five session dates (the modules in order) per cohort pattern.
COHORT_PATTERNS = [
    (dt.date(2015, 11, 1), ["2015-11-10", "2015-12-08", "2016-01-12", "2016-02-09", "2016-03-08"]),
    (dt.date(2015, 11, 13), ["2015-11-24", "2015-12-15", "2016-01-14", "2016-02-16", "2016-03-15"]),
    (dt.date(2015, 12, 1), ["2015-12-10", "2016-01-07", "2016-02-04", "2016-03-03", "2016-04-07"]),
    (dt.date(2016, 2, 1), ["2016-02-11", "2016-03-10", "2016-04-14", "2016-05-12", "2016-06-09"]),
    (dt.date(2016, 2, 29), ["2016-03-09", "2016-04-06", "2016-05-04", "2016-06-01", "2016-06-22"]),
    (dt.date(2016, 3, 31), ["2016-04-12", "2016-05-10", "2016-05-31", "2016-06-14", "2016-07-05"]),
]
SEATS = 24
# Rows built and inserted at a time when seeding many leaders (keeps memory flat).
PEOPLE_CHUNK = 20_000
COHORT_CHUNK = 500
ATTENDANCE_CHUNK = 50_000
# How many later sessions a leader who missed one tries for a make-up seat.
MAKEUP_CANDIDATES = 20
# How full each cohort pattern is, as a share of its seats; above 1 is a waitlist.
FILL = [1.15, 1.1, 0.95, 1.1, 0.7, 0.45]
ATTENDANCE_WEIGHTS = [
    (Attendance.Status.PRESENT, 78),
    (Attendance.Status.LATE, 8),
    (Attendance.Status.EXCUSED, 8),
    (Attendance.Status.ABSENT, 6),
]


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


def _ascii(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
    return text.translate(table).lower().replace(" ", "")


def _local(day: str | dt.date, hour: int) -> dt.datetime:
    date = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return timezone.make_aware(dt.datetime.combine(date, dt.time(hour)))


def seed(
    *, leaders: int = 150, as_of: dt.datetime = DEMO_AS_OF, timings: dict | None = None
) -> SeedSummary:
    """Load the demo programme (adds only what is missing). ``timings``, if given, gets
    the seconds each step took (``seed_demo -v 2`` prints them)."""
    clock_started = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock_started
        if timings is not None:
            timings[name] = time.monotonic() - clock_started
        clock_started = time.monotonic()

    # Its bulk writes replace the kept pages' versions themselves: gathered into one
    # statement at the end (every page's versions: the programme is new).
    with transaction.atomic(), page_versions.batch():
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
    step("users and leaders")
    enrolments = _enrolments(programme, cohorts, rng)
    step("places")
    booking.close_places(now=as_of, notify=False)
    step("close waitlists")
    attendances = _attendance(programme, as_of, rng)
    step("attendance and make-ups")
    _self_assessments(programme, as_of, rng)
    _initiatives(programme, as_of, rng)
    step("self-assessments and initiatives")
    analyze(User, Leader, Department, Cohort, Session, Enrolment, MakeUpBooking, Attendance)
    # The inserts above are in bulk, which sends no signals.
    step("analyze")
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


def _departments(leaders: int) -> list[Department]:
    wanted = list(DEPARTMENTS)
    extra = max(0, math.ceil(leaders / 20) - len(DEPARTMENTS))
    wanted += [(f"A{n:04d}", f"Afdeling {n}") for n in range(1, extra + 1)]
    # A municipality's own centres stand alone; a national number of departments is
    # grouped into areas (a department's parent) of DEPARTMENTS_PER_AREA each.
    areas = [
        (f"O{n:03d}", f"Område {n}") for n in range(1, math.ceil(extra / DEPARTMENTS_PER_AREA) + 1)
    ]
    Department.objects.bulk_create(
        [Department(code=code, name=name) for code, name in wanted + areas],
        ignore_conflicts=True,
    )
    by_code = Department.objects.in_bulk([code for code, _ in wanted + areas], field_name="code")
    # One plain UPDATE per area (a bulk update's CASE per row took 12 s at 15,000).
    for number, (code, _name) in enumerate(areas):
        first = number * DEPARTMENTS_PER_AREA + 1
        codes = [f"A{n:04d}" for n in range(first, min(first + DEPARTMENTS_PER_AREA, extra + 1))]
        Department.objects.filter(code__in=codes, parent__isnull=True).update(parent=by_code[code])
    return [by_code[code] for code, _ in wanted]


def _cohorts(programme, modules, *, count: int, rng: random.Random) -> list[Cohort]:
    Cohort.objects.bulk_create(
        [
            Cohort(
                programme=programme,
                name=f"Hold {n + 1}",
                capacity=SEATS,
                enrolment_deadline=COHORT_PATTERNS[n % len(COHORT_PATTERNS)][0],
            )
            for n in range(count)
        ],
        ignore_conflicts=True,
    )
    cohorts = sorted(
        Cohort.objects.filter(programme=programme), key=lambda c: int(c.name.split()[-1])
    )[:count]
    for cohort in cohorts:
        cohort.programme = programme  # Session.clean asks; without this, a query each
    have = set(Session.objects.filter(cohort__in=cohorts).values_list("cohort_id", "module_id"))
    rooms, facilitators = _rooms(len(cohorts)), _facilitators()
    new = []
    for n, cohort in enumerate(cohorts):
        days = COHORT_PATTERNS[n % len(COHORT_PATTERNS)][1]
        # Cohorts of the same pattern meet on the same days: each batch of patterns
        # gets rooms of its own, and the facilitators run the first batch only, so
        # no room or facilitator is booked twice at once (the admin refuses that).
        batch = n // len(COHORT_PATTERNS)
        for module, day in zip(modules, days, strict=True):
            if (cohort.pk, module.pk) in have:
                continue
            facilitator = rng.choice(facilitators)
            session = Session(
                cohort=cohort,
                module=module,
                starts_at=_local(day, 9),
                ends_at=_local(day, 15),
                location=rooms[batch * len(LOCATIONS) + (n + module.order) % len(LOCATIONS)],
                facilitator=facilitator if batch == 0 else None,
            )
            session.clean()
            new.append(session)
    Session.objects.bulk_create(new, batch_size=2000)
    return cohorts


def _rooms(cohorts: int) -> list[Location]:
    """The demo's rooms, and numbered rooms for the cohorts of a scaled-up demo."""
    batches = math.ceil(cohorts / len(COHORT_PATTERNS))
    wanted = list(LOCATIONS)
    wanted += [
        (f"Albertslund Rådhus, lokale {k}", "Nordmarks Allé 1, 2620 Albertslund", SEATS, "")
        for k in range(1, (batches - 1) * len(LOCATIONS) + 1)
    ]
    Location.objects.bulk_create(
        [
            Location(name=name, address=address, capacity=seats, accessibility=notes)
            for name, address, seats, notes in wanted
        ],
        ignore_conflicts=True,
    )
    by_name = Location.objects.in_bulk([name for name, *_ in wanted], field_name="name")
    return [by_name[name] for name, *_ in wanted]


def _facilitators() -> list[Facilitator]:
    """The three facilitators; the first has a login for the session screen."""
    user, _ = User.objects.get_or_create(
        email=FACILITATOR_EMAIL,
        defaults={
            "first_name": "Lene",
            "last_name": "Holm",
            "password": make_password(DEMO_PASSWORD),
        },
    )
    found = []
    for name, organisation, email in FACILITATORS:
        facilitator, _ = Facilitator.objects.get_or_create(
            name=name,
            defaults={
                "organisation": organisation,
                "email": email,
                "user": user if email == FACILITATOR_EMAIL else None,
            },
        )
        found.append(facilitator)
    return found


def _people(departments: list[Department], count: int, rng: random.Random) -> None:
    password = make_password(DEMO_PASSWORD)
    hr_group = Group.objects.get(name=HR_GROUP)
    hr, _ = User.objects.get_or_create(
        email=HR_EMAIL,
        defaults={
            "first_name": "Helle",
            "last_name": "Rådgiver",
            "is_staff": True,
            "password": password,
        },
    )
    hr.groups.add(hr_group)

    def person(n: int) -> tuple:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        level = (
            Leader.Level.DIRECTOR
            if n <= 3
            else Leader.Level.HEAD_OF_CENTRE
            if n <= 3 + len(DEPARTMENTS)
            else rng.choice([Leader.Level.DEPARTMENT, Leader.Level.TEAM, Leader.Level.TEAM])
        )
        # The demo people: a manager of two departments, and a leader who has not enrolled.
        if n == 4:
            return ("10004", "Karen", "Østergaard", Leader.Level.HEAD_OF_CENTRE, departments[0])
        if n == count:
            return (f"{10000 + count}", "Søren", "Ærbø", Leader.Level.TEAM, departments[1])
        return (f"{10000 + n}", first, last, level, departments[n % len(departments)])

    existing = set(Leader.objects.values_list("employee_number", flat=True))
    # In chunks, so that a national number of leaders takes no more memory than a few
    # thousand: each chunk's rows are built, inserted and let go.
    for start in range(1, count + 1, PEOPLE_CHUNK):
        people = [person(n) for n in range(start, min(start + PEOPLE_CHUNK, count + 1))]
        new = [p for p in people if p[0] not in existing]
        emails = {p[0]: f"{_ascii(p[1])}.{_ascii(p[2])}.{p[0]}@albertslund.dk" for p in new}
        emails["10004"] = MANAGER_EMAIL
        emails[f"{10000 + count}"] = LEADER_EMAIL
        # COPY on PostgreSQL: a national number of leaders without SQL per row.
        before = User.objects.aggregate(last=Max("pk"))["last"] or 0
        insert_in_bulk(
            User(email=emails[number], first_name=first, last_name=last, password=password)
            for number, first, last, _, _ in new
        )
        user_ids = dict(User.objects.filter(pk__gt=before).values_list("email", "pk"))
        insert_in_bulk(
            Leader(
                user_id=user_ids[emails[number]],
                employee_number=number,
                name=f"{first} {last}",
                title=TITLES[level],
                level=level,
                department=department,
            )
            for number, first, last, level, department in new
        )
    manager = User.objects.get(email=MANAGER_EMAIL)
    for department in departments[:2]:
        department.managers.add(manager)


def _enrolments(programme: Programme, cohorts: list[Cohort], rng: random.Random) -> int:
    # Anyone with a place, now or before (a closed waitlist place), was seeded already.
    placed = set(Enrolment.objects.filter(programme=programme).values_list("leader_id", flat=True))
    waiting = list(
        Leader.objects.exclude(pk__in=placed)
        .exclude(user__email__in=[LEADER_EMAIL])
        .order_by("employee_number")
        .values_list("pk", flat=True)
    )
    rng.shuffle(waiting)
    taken = dict(
        Enrolment.objects.filter(cohort__in=cohorts)
        .values_list("cohort_id")
        .annotate(n=Count("pk"))
    )
    places, placed = {}, 0
    for n, cohort in enumerate(cohorts):
        deadline = cohort.enrolment_deadline
        wanted = round(cohort.capacity * FILL[n % len(FILL)]) - taken.get(cohort.pk, 0)
        leader_ids = [waiting.pop() for _ in range(min(max(wanted, 0), len(waiting)))]
        start = _local(deadline - dt.timedelta(days=30), 8)
        places[cohort] = [(pk, start + dt.timedelta(hours=k)) for k, pk in enumerate(leader_ids)]
        if len(places) == COHORT_CHUNK or n == len(cohorts) - 1:
            placed += len(booking.enrol_in_bulk(places=places))
            places = {}
    return placed


def _attendance(programme: Programme, as_of: dt.datetime, rng: random.Random) -> int:
    """Attendance for every session before ``as_of``, and make-ups for some who missed."""
    statuses = [s for s, _ in ATTENDANCE_WEIGHTS]
    weights = [w for _, w in ATTENDANCE_WEIGHTS]
    recorder = User.objects.get(email=HR_EMAIL)
    seated = Enrolment.objects.filter(
        programme=programme, status=Enrolment.Status.ENROLLED
    ).values_list("cohort_id", "leader_id")
    by_cohort: dict[int, list[int]] = {}
    for cohort_id, leader_id in seated:
        by_cohort.setdefault(cohort_id, []).append(leader_id)
    # Sessions whose registration is due: the ones HR has recorded by now.
    past = [
        session
        for session in Session.objects.filter(
            cohort__programme=programme, ends_at__lte=as_of
        ).order_by("starts_at", "pk")
        if registration_due(session.ends_at) <= as_of
    ]
    recorded = set(
        Attendance.objects.filter(session__in=past).values_list("leader_id", "session_id")
    )
    # The facilitator with a login ran her sessions with the check-in code.
    screen = Facilitator.objects.filter(user__email=FACILITATOR_EMAIL).first()
    screened = [s for s in past if screen is not None and s.facilitator_id == screen.pk]
    users = dict(
        Leader.objects.filter(
            pk__in=[pk for s in screened for pk in by_cohort.get(s.cohort_id, [])]
        ).values_list("pk", "user_id")
    )
    new, missed, created = [], [], 0
    for session in past:
        for k, leader_id in enumerate(sorted(by_cohort.get(session.cohort_id, []))):
            if (leader_id, session.pk) in recorded:
                continue
            status = rng.choices(statuses, weights)[0]
            attendance = Attendance(
                leader_id=leader_id,
                session=session,
                status=status,
                recorded_by=recorder,
                recorded_at=session.ends_at,
            )
            if session.facilitator_id == getattr(screen, "pk", None):
                _as_checked_in(attendance, k, by_leader=users[leader_id], by_facilitator=screen)
            new.append(attendance)
            if status not in Attendance.COMPLETING:
                missed.append((leader_id, session))
            if len(new) == ATTENDANCE_CHUNK:
                Attendance.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
                created += len(new)
                new = []
    # A third of those who missed a session made it up at a later one of another cohort,
    # where a seat was free (booking takes the first of a few candidates with room).
    later: dict[int, list[Session]] = {}
    for session in past:
        later.setdefault(session.module_id, []).append(session)
    starts = {module: [s.starts_at for s in sessions] for module, sessions in later.items()}
    existing = set(MakeUpBooking.objects.values_list("leader_id", "session_id"))
    wanted = []
    for leader_id, missed_session in missed[::3]:
        sessions = later[missed_session.module_id]
        first = bisect.bisect_right(starts[missed_session.module_id], missed_session.starts_at)
        options = [
            s
            for s in sessions[first : first + MAKEUP_CANDIDATES]
            if s.cohort_id != missed_session.cohort_id and (leader_id, s.pk) not in existing
        ]
        if options:
            wanted.append((leader_id, options, missed_session.ends_at))
    for makeup in booking.book_makeups_in_bulk(bookings=wanted):
        new.append(
            Attendance(
                leader_id=makeup.leader_id,
                session=makeup.session,
                status=Attendance.Status.PRESENT,
                recorded_by=recorder,
                recorded_at=makeup.session.ends_at,
            )
        )
    new += _checked_in_so_far(programme, as_of, screen, by_cohort)
    Attendance.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    # She closed each session at its end (closing records the absent, above).
    Session.objects.filter(pk__in=[s.pk for s in screened], closed_at__isnull=True).update(
        closed_at=F("ends_at")
    )
    return created + len(new)


def _checked_in_so_far(
    programme: Programme, as_of: dt.datetime, screen: Facilitator | None, by_cohort: dict
) -> list[Attendance]:
    """Her session under way at ``as_of``: the check-ins made by then (most came early,
    one in seven after the grace and so late), one in five not there yet."""
    if screen is None:
        return []
    opens = dt.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    late = dt.timedelta(minutes=settings.CHECKIN_LATE_MINUTES, seconds=60)
    under_way = Session.objects.filter(
        cohort__programme=programme,
        facilitator=screen,
        starts_at__lte=as_of + opens,
        ends_at__gt=as_of,
        closed_at__isnull=True,
    )
    found = []
    for session in under_way:
        leaders = sorted(by_cohort.get(session.cohort_id, []))
        users = dict(Leader.objects.filter(pk__in=leaders).values_list("pk", "user_id"))
        recorded = set(session.attendances.values_list("leader_id", flat=True))
        for k, leader_id in enumerate(leaders):
            if k % 5 == 4:
                continue  # not there yet
            if k % 7 == 6:
                status, at = Attendance.Status.LATE, session.starts_at + late
            else:
                status, at = Attendance.Status.PRESENT, session.starts_at - opens / 2
            at += dt.timedelta(seconds=20 * k)
            if leader_id in recorded or at > as_of:
                continue
            found.append(
                Attendance(
                    leader_id=leader_id,
                    session=session,
                    status=status,
                    recorded_by_id=users[leader_id],
                    recorded_at=at,
                    source=Attendance.Source.SELF_CHECK_IN,
                )
            )
    return found


def _as_checked_in(
    attendance: Attendance, k: int, *, by_leader: int, by_facilitator: Facilitator
) -> None:
    """What the check-in screen records (``programme.checkin``): present or late by the
    leader's own check-in, every sixth present one marked by the facilitator (no phone),
    the absent recorded when she closed the session; an excuse is HR's, in advance."""
    session, status = attendance.session, attendance.status
    if status == Attendance.Status.PRESENT and k % 6 == 5:
        attendance.source = Attendance.Source.FACILITATOR
        attendance.recorded_by_id = by_facilitator.user_id
        attendance.recorded_at = session.starts_at + dt.timedelta(minutes=5)
    elif status == Attendance.Status.PRESENT:
        attendance.source = Attendance.Source.SELF_CHECK_IN
        attendance.recorded_by_id = by_leader
        attendance.recorded_at = session.starts_at - dt.timedelta(minutes=20, seconds=-30 * k)
    elif status == Attendance.Status.LATE:
        attendance.source = Attendance.Source.SELF_CHECK_IN
        attendance.recorded_by_id = by_leader
        attendance.recorded_at = session.starts_at + dt.timedelta(minutes=16, seconds=20 * k)
    elif status == Attendance.Status.ABSENT:
        attendance.source = Attendance.Source.CLOSED
        attendance.recorded_by_id = by_facilitator.user_id
        attendance.recorded_at = session.ends_at
    else:
        attendance.recorded_at = session.starts_at - dt.timedelta(days=1)


# How far each dimension moved on average between the rounds, in the demo's story:
# IT and processes most (the modules' focus), people least.
IMPROVEMENT = {"leadership": 0.6, "it": 0.9, "people": 0.3, "processes": 0.7, "tasks": 0.5}
# Cohort patterns (by index) whose leaders answered the follow-up too.
FOLLOW_UP_PATTERNS = {0, 1, 2}
FREE_TEXTS = [
    "Jeg vil gerne blive bedre til at bruge data, når vi prioriterer.",
    "Mine medarbejdere er usikre på de nye systemer; jeg vil hjælpe dem bedre.",
    "Jeg vil tænke mere på tværs af centrene.",
    "At få gevinsterne af vores digitale løsninger hjem.",
    "",
    "",
]


def _score(level: float, rng: random.Random) -> int:
    return max(1, min(5, round(level + rng.uniform(-0.9, 0.9))))


def _self_assessments(programme: Programme, as_of: dt.datetime, rng: random.Random) -> None:
    """Baselines for the leaders of cohorts that have begun; follow-ups, with scores that
    moved (and not for everyone alike), for the first cohorts. Those with both rounds are
    counted in the statistics as a follow-up through the page would count them."""
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        return
    statements = list(questionnaire.statements.all())
    answered = set(
        AssessmentResponse.objects.filter(programme=programme).values_list("leader_id", flat=True)
    )
    cohorts = sorted(
        Cohort.objects.filter(programme=programme), key=lambda c: int(c.name.split()[-1])
    )
    sessions: dict[int, list[Session]] = {}
    for session in Session.objects.filter(cohort__in=cohorts).order_by("starts_at"):
        sessions.setdefault(session.cohort_id, []).append(session)
    seated = Enrolment.objects.filter(
        programme=programme, status=Enrolment.Status.ENROLLED, cohort__in=cohorts
    ).order_by("leader_id")
    places = {e.leader_id: e for e in seated}
    pattern = {c.pk: n % len(COHORT_PATTERNS) for n, c in enumerate(cohorts)}
    plans = []  # (response, {statement: score})
    for leader_id, place in places.items():
        own = sessions.get(place.cohort_id, [])
        if leader_id in answered or not own or own[0].ends_at > as_of or rng.random() > 0.9:
            continue
        level = rng.uniform(1.6, 3.4)
        baseline = {s: _score(level, rng) for s in statements}
        plans.append(
            (
                AssessmentResponse(
                    leader_id=leader_id,
                    programme=programme,
                    questionnaire=questionnaire,
                    round=AssessmentResponse.Round.BASELINE,
                    free_text=rng.choice(FREE_TEXTS),
                    submitted_at=min(place.requested_at + dt.timedelta(days=3), own[0].starts_at),
                ),
                baseline,
            )
        )
        if pattern[place.cohort_id] in FOLLOW_UP_PATTERNS and rng.random() < 0.85:
            moved = {d: gain * rng.uniform(0.0, 2.0) for d, gain in IMPROVEMENT.items()}
            plans.append(
                (
                    AssessmentResponse(
                        leader_id=leader_id,
                        programme=programme,
                        questionnaire=questionnaire,
                        round=AssessmentResponse.Round.FOLLOW_UP,
                        free_text=rng.choice(FREE_TEXTS),
                        submitted_at=own[-1].ends_at + dt.timedelta(days=2),
                    ),
                    {s: _score(level + moved[s.dimension], rng) for s in statements},
                )
            )
    responses = AssessmentResponse.objects.bulk_create([r for r, _ in plans], batch_size=2000)
    Answer.objects.bulk_create(
        (
            Answer(response=response, statement=statement, score=score)
            for response, (_, scores) in zip(responses, plans, strict=True)
            for statement, score in scores.items()
        ),
        batch_size=5000,
    )
    assessment.count_in_statistics(programme, Leader.objects.all())


INITIATIVE_IDEAS = [
    (
        "Digital post til borgerne",
        "Breve på papir er dyre og når ikke altid frem.",
        "Færre breve og hurtigere svar",
    ),
    (
        "Selvbetjening af pladsanvisning",
        "Forældre ringer for at høre om pladser.",
        "Færre opkald, mere tid til rådgivning",
    ),
    (
        "Tablets i hjemmeplejen",
        "Medarbejderne dokumenterer først, når de er tilbage på kontoret.",
        "Mere tid hos borgeren",
    ),
    (
        "Fælles booking af mødelokaler",
        "Lokaler står tomme, mens andre mangler plads.",
        "Bedre udnyttelse af lokalerne",
    ),
    (
        "Dataoverblik over sygefravær",
        "Vi opdager først fravær, når det er blevet langvarigt.",
        "Tidligere og bedre samtaler",
    ),
    (
        "Robot til fakturabehandling",
        "Manuelle indtastninger giver fejl og ventetid.",
        "Færre fejl og frigjort tid",
    ),
    (
        "Digital vagtplan",
        "Vagtbytte sker på sedler og i sms'er.",
        "Overblik for både leder og medarbejdere",
    ),
    (
        "Sensorer i de kommunale bygninger",
        "Vi varmer lokaler op, der ikke bruges.",
        "Lavere energiforbrug",
    ),
]
STATUS_WEIGHTS = [
    (Initiative.Status.IDEA, 25),
    (Initiative.Status.PLANNED, 25),
    (Initiative.Status.IN_PROGRESS, 30),
    (Initiative.Status.DONE, 12),
    (Initiative.Status.ABANDONED, 8),
]
STATUS_PATH = list(Initiative.Status)[:4]


def _steps(status: str) -> list[str]:
    """The statuses an initiative went through to ``status``."""
    if status == Initiative.Status.ABANDONED:
        return [Initiative.Status.IDEA, Initiative.Status.ABANDONED]
    return STATUS_PATH[: STATUS_PATH.index(status) + 1]


def _initiatives(programme: Programme, as_of: dt.datetime, rng: random.Random) -> None:
    """An initiative for most leaders of cohorts that have begun, in every status."""
    have = set(Initiative.objects.filter(programme=programme).values_list("leader_id", flat=True))
    started = Session.objects.filter(cohort=OuterRef("cohort"), starts_at__lte=as_of)
    seated = (
        Enrolment.objects.filter(programme=programme, status=Enrolment.Status.ENROLLED)
        .filter(Exists(started))
        .select_related("leader")
        .order_by("leader_id")
    )
    departments = list(Department.objects.order_by("pk")[:20])
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    planned = []
    for place in seated:
        if place.leader_id in have or rng.random() > 0.7:
            continue
        title, problem, benefit = rng.choice(INITIATIVE_IDEAS)
        status = rng.choices(statuses, weights)[0]
        dimensions = rng.sample(list(Initiative.DIMENSION_FIELDS.values()), rng.randint(1, 3))
        other = rng.choice(departments) if rng.random() < 0.3 else None
        created = place.requested_at + dt.timedelta(days=rng.randint(10, 40))
        # Room for the steps to its status, ten days apart, before as_of.
        created = min(created, as_of - dt.timedelta(days=41))
        steps = _steps(status)
        planned.append(
            Initiative(
                leader_id=place.leader_id,
                programme=programme,
                title=title,
                problem=problem,
                expected_benefit=benefit,
                other_department=other
                if other and other.pk != place.leader.department_id
                else None,
                status=status,
                abandoned_reason="Projektet blev lagt ind under et fælleskommunalt initiativ."
                if status == Initiative.Status.ABANDONED
                else "",
                next_step_on=(as_of + dt.timedelta(days=rng.randint(7, 90))).date()
                if status not in (Initiative.Status.DONE, Initiative.Status.ABANDONED)
                else None,
                created_at=created,
                changed_at=created + dt.timedelta(days=10 * (len(steps) - 1)),
                **dict.fromkeys(dimensions, True),
            )
        )
    initiatives = Initiative.objects.bulk_create(planned, batch_size=2000)
    history = []
    for initiative in initiatives:
        for n, status in enumerate(_steps(initiative.status)):
            history.append(
                InitiativeStatusChange(
                    initiative=initiative,
                    status=status,
                    reason=initiative.abandoned_reason
                    if status == Initiative.Status.ABANDONED
                    else "",
                    changed_at=initiative.created_at + dt.timedelta(days=10 * n),
                )
            )
    InitiativeStatusChange.objects.bulk_create(history, batch_size=5000)


CERTIFICATE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _certificates(programme: Programme, as_of: dt.datetime) -> int:
    """A kursusbevis for everyone who completed by ``as_of``, as ``certificates.issue``
    gives it (the completion date from the stored standing), with a code drawn from a
    generator of its own so the rest of the demo stays the same."""
    rng = random.Random(2016)
    done = (
        Standing.objects.filter(programme=programme, completed_at__lte=as_of)
        .exclude(leader__certificates__programme=programme)
        .order_by("leader_id")
    )
    issued = [
        Certificate(
            leader_id=standing.leader_id,
            programme=programme,
            code="".join(rng.choices(CERTIFICATE_ALPHABET, k=16)),
            completed_on=timezone.localdate(standing.completed_at),
            # Downloaded from the dashboard within a week of the registration.
            issued_at=min(
                registration_due(standing.completed_at) + dt.timedelta(days=2),
                as_of - dt.timedelta(minutes=1),
            ),
        )
        for standing in done
    ]
    return len(Certificate.objects.bulk_create(issued, batch_size=2000, ignore_conflicts=True))


# How the demo's e-mails went: the mail server refused these many addresses for good.
REFUSED = 2
REFUSED_ERROR = "(550, b'5.1.1 Recipient address rejected: User unknown in virtual mailbox table')"
BEHIND_REMINDED = 10


def _reminders_and_outbox(programme: Programme, as_of: dt.datetime) -> int:
    """Reminders through the portal's own paths, and what the worker made of their e-mails.

    The daily job (``send_reminders``) ran a week before ``as_of``: session reminders and
    "not enrolled yet"; the worker sent them a minute later, except to ``REFUSED``
    addresses the mail server refused, failed after every retry. At ``as_of`` HR pressed
    "Send påmindelse" for leaders who are behind: those e-mails wait for the worker.
    Only the municipality's own centres are reminded, so a national demo stays quick.
    Returns how many e-mails were queued.
    """
    centres = Leader.objects.filter(department__code__in=[code for code, _ in DEPARTMENTS])
    daily = as_of - dt.timedelta(days=7)
    before = Email.objects.aggregate(last=Max("pk"))["last"] or 0
    reminders.send_reminders(days=reminders.DEFAULT_DAYS, now=daily, leaders=centres)
    queued = list(Email.objects.filter(pk__gt=before).order_by("pk"))
    _sent_by_the_worker(queued[: len(queued) - REFUSED], daily)
    _refused_by_the_server(queued[len(queued) - REFUSED :], daily)
    before = max([before] + [email.pk for email in queued])
    behind = annotate_progress(centres, programme, now=as_of).filter(is_behind=True)
    reminders.remind_by_hand(
        leaders=behind.filter(
            pk__in=list(behind.order_by("pk").values_list("pk", flat=True)[:BEHIND_REMINDED])
        ),
        kind=SentReminder.Kind.BEHIND,
        programme=programme,
        by=User.objects.get(email=HR_EMAIL),
        now=as_of,
    )
    waiting = Email.objects.filter(pk__gt=before)
    waiting.update(created=as_of, last_updated=as_of)
    return len(queued) + waiting.count()


def _sent_by_the_worker(emails: list[Email], queued_at: dt.datetime) -> None:
    sent_at = queued_at + dt.timedelta(minutes=1)
    Email.objects.filter(pk__in=[e.pk for e in emails]).update(
        status=STATUS.sent, created=queued_at, last_updated=sent_at
    )
    Log.objects.bulk_create(Log(email=e, status=STATUS.sent, message="") for e in emails)
    Log.objects.filter(email__in=emails).update(date=sent_at)


def _refused_by_the_server(emails: list[Email], queued_at: dt.datetime) -> None:
    """Tried, and retried after 1, 2, 4, ... minutes, until marked failed for HR."""
    retries = settings.OUTBOX_MAX_RETRIES
    tried_at = [queued_at + dt.timedelta(minutes=1)]
    for n in range(1, retries + 1):
        tried_at.append(tried_at[-1] + outbox.retry_delay(n))
    for email in emails:
        Email.objects.filter(pk=email.pk).update(
            status=STATUS.failed,
            number_of_retries=retries,
            created=queued_at,
            last_updated=tried_at[-1],
        )
        logs = Log.objects.bulk_create(
            Log(
                email=email,
                status=STATUS.failed,
                exception_type="SMTPRecipientsRefused",
                message=REFUSED_ERROR,
            )
            for _ in tried_at
        )
        for log, moment in zip(logs, tried_at, strict=True):
            Log.objects.filter(pk=log.pk).update(date=moment)
