"""The demo's organisation and places: departments, cohorts and their sessions, rooms,
facilitators, the logins and leaders (in chunks, bulk-inserted), and the places booked
through :mod:`booking`'s bulk functions."""

from __future__ import annotations

import datetime as dt
import math
import random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import Count, Max
from django.utils import timezone

import booking
from demo.data import (
    COHORT_CHUNK,
    COHORT_PATTERNS,
    DEMO_AS_OF,
    DEMO_PASSWORD,
    DEPARTMENTS,
    DEPARTMENTS_PER_AREA,
    FACILITATOR_EMAIL,
    FACILITATORS,
    FILL,
    FIRST_NAMES,
    HR_EMAIL,
    LAST_NAMES,
    LEADER_EMAIL,
    LOCATIONS,
    MANAGER_EMAIL,
    PEOPLE_CHUNK,
    SEATS,
    TITLES,
    _ascii,
    _local,
)
from programme.db import insert_in_bulk
from programme.models import (
    HR_GROUP,
    Cohort,
    Department,
    Enrolment,
    Facilitator,
    Leader,
    Location,
    Programme,
    Session,
    User,
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
    _hr(password)

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


def _hr(password: str) -> None:
    """HR's login, in the HR group."""
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


def _late_enrolments(
    programme: Programme, cohorts: list[Cohort], as_of: dt.datetime, rng: random.Random
) -> int:
    """The rush before the last deadlines: a demo seeded later than its usual day
    (``DEMO_AS_OF``) has the leaders without a place enrol in the cohorts still open
    between that day and ``as_of``, while seats last. So ``seed_demo --as-of 2016-03-01``
    shows the last cohorts full and some leaders left without a seat, or without a
    make-up seat, before the end date (the forecast's "can no longer finish")."""
    opens = timezone.make_aware(DEMO_AS_OF)
    if as_of <= opens:
        return 0
    # Everyone without a place now: never placed, or whose waiting place closed when its
    # cohort began.
    placed = Enrolment.objects.filter(programme=programme, status__in=Enrolment.ACTIVE)
    waiting = list(
        Leader.objects.exclude(pk__in=placed.values("leader_id"))
        .exclude(user__email__in=[LEADER_EMAIL])
        .order_by("employee_number")
        .values_list("pk", flat=True)
    )
    rng.shuffle(waiting)
    taken = dict(
        Cohort.objects.filter(pk__in=[c.pk for c in cohorts])
        .with_seats()
        .values_list("pk", "seats_taken")
    )
    places: dict[Cohort, list[tuple[int, dt.datetime]]] = {}
    last = None
    for cohort in cohorts:
        closes = min(as_of, _local(cohort.enrolment_deadline, 16))
        if closes <= opens:
            continue
        last = (cohort, closes)
        free = max(cohort.capacity - taken[cohort.pk], 0)
        leader_ids = [waiting.pop() for _ in range(min(free, len(waiting)))]
        step = (closes - opens) / (len(leader_ids) + 1)
        places[cohort] = [(pk, opens + step * (k + 1)) for k, pk in enumerate(leader_ids)]
    if last is not None and waiting:
        # The rest sign up for the last open cohort too, and wait for a seat there.
        cohort, closes = last
        places[cohort] += [
            (pk, closes - dt.timedelta(minutes=len(waiting) - k)) for k, pk in enumerate(waiting)
        ]
    return len(booking.enrol_in_bulk(places=places)) if places else 0
