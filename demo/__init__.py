"""Demo data: the 2015–2016 programme with departments, cohorts, leaders and attendance.

Deterministic (a seeded random generator) and idempotent: running it again adds
nothing that is there already. ``leaders`` scales the same shape — about 25
leaders a cohort, 20 a department — to tens of thousands with bulk inserts, for
benchmarks.

Seats go through :mod:`booking`'s bulk functions (the same seat rule,
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

The parts: :mod:`.data` (the fixed names, numbers and logins), :mod:`.seed` (:func:`seed`,
each part in order), :mod:`.people` (departments, cohorts, rooms, facilitators, leaders,
places), :mod:`.attendance` (attendance, check-ins, make-ups), :mod:`.assessments`
(self-assessments, initiatives) and :mod:`.outcomes` (certificates, reminders, the
outbox). Callers use ``demo.<name>``, never a part directly.
"""

from __future__ import annotations

from demo.assessments import (
    FOLLOW_UP_PATTERNS,
    FREE_TEXTS,
    IMPROVEMENT,
    INITIATIVE_IDEAS,
    STATUS_PATH,
    STATUS_WEIGHTS,
)
from demo.data import (
    ATTENDANCE_CHUNK,
    ATTENDANCE_WEIGHTS,
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
    MAKEUP_CANDIDATES,
    MANAGER_EMAIL,
    MODULES,
    PEOPLE_CHUNK,
    PROGRAMME_NAME,
    SEATS,
    TITLES,
)
from demo.outcomes import BEHIND_REMINDED, CERTIFICATE_ALPHABET, REFUSED, REFUSED_ERROR
from demo.seed import SeedSummary, seed

# Programme: tests reach the model as demo.Programme, as before the split.
from programme.models import Programme

__all__ = [
    "Programme",
    "PROGRAMME_NAME",
    "DEMO_PASSWORD",
    "DEMO_AS_OF",
    "HR_EMAIL",
    "MANAGER_EMAIL",
    "LEADER_EMAIL",
    "MODULES",
    "DEPARTMENTS_PER_AREA",
    "DEPARTMENTS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "TITLES",
    "LOCATIONS",
    "FACILITATORS",
    "FACILITATOR_EMAIL",
    "COHORT_PATTERNS",
    "SEATS",
    "PEOPLE_CHUNK",
    "COHORT_CHUNK",
    "ATTENDANCE_CHUNK",
    "MAKEUP_CANDIDATES",
    "FILL",
    "ATTENDANCE_WEIGHTS",
    "SeedSummary",
    "seed",
    "IMPROVEMENT",
    "FOLLOW_UP_PATTERNS",
    "FREE_TEXTS",
    "INITIATIVE_IDEAS",
    "STATUS_WEIGHTS",
    "STATUS_PATH",
    "CERTIFICATE_ALPHABET",
    "REFUSED",
    "REFUSED_ERROR",
    "BEHIND_REMINDED",
]
