"""The programme's domain: who takes part, in which cohort, at which sessions.

Rules that must never be broken are constraints in the database; ``clean()`` turns them
into messages a person can act on. One module per concern (all of them are the
``programme`` app's models, imported here: ``from programme.models import Leader``). The
other apps' models build on these: e-mail in :mod:`mail.models`, the self-assessment and
initiatives in :mod:`outcomes.models`, the leader import in :mod:`hr.models`.

- :mod:`.people`: logins, departments, leaders
- :mod:`.cohorts`: the programme, modules, cohorts, sessions, places and make-up seats
- :mod:`.rooms`: locations and facilitators
- :mod:`.reservations`: seats a manager reserves in a cohort, and who took them
- :mod:`.attendance`: attendance, the stored standing, certificates
- :mod:`.statistics`: statistics about people, in whole blocks
- :mod:`.tallies`: kept counts per department, for the reports and the forecast
- :mod:`.saving`: a row as the database holds it when a save begins
"""

from programme.models.attendance import (
    AbsenceNotice,
    Attendance,
    Certificate,
    Standing,
    new_certificate_code,
)
from programme.models.cohorts import (
    Cohort,
    CohortQuerySet,
    Enrolment,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    SessionQuerySet,
    current_programme,
    session_rescheduled,
)
from programme.models.people import HR_GROUP, Department, Leader, User, UserManager
from programme.models.reservations import NamedSeat, Reservation
from programme.models.rooms import Facilitator, Location
from programme.models.saving import read_before_save, stored_before_save
from programme.models.statistics import (
    StatisticsBlock,
    StatisticsEntry,
    StatisticsScope,
    StatisticsValue,
)
from programme.models.tallies import DepartmentTally, ProgrammeTally, TallyNeed
from programme.page_versions import KeptQuerySet, PageWrite

__all__ = [
    "DepartmentTally",
    "ProgrammeTally",
    "TallyNeed",
    "AbsenceNotice",
    "Attendance",
    "Certificate",
    "Cohort",
    "CohortQuerySet",
    "Department",
    "Enrolment",
    "Facilitator",
    "HR_GROUP",
    "KeptQuerySet",
    "Leader",
    "Location",
    "MakeUpBooking",
    "Module",
    "NamedSeat",
    "PageWrite",
    "Programme",
    "Reservation",
    "Session",
    "SessionQuerySet",
    "Standing",
    "StatisticsBlock",
    "StatisticsEntry",
    "StatisticsScope",
    "StatisticsValue",
    "User",
    "UserManager",
    "current_programme",
    "new_certificate_code",
    "read_before_save",
    "session_rescheduled",
    "stored_before_save",
]
