"""The programme's domain: who takes part, in which cohort, at which sessions.

Rules that must never be broken are constraints in the database; ``clean()`` turns them
into messages a person can act on. One module per concern (all of them are the
``programme`` app's models, imported here, so ``from programme.models import Leader``
works as before):

- :mod:`.people`: logins, departments, leaders
- :mod:`.cohorts`: the programme, modules, cohorts, sessions, places and make-up seats
- :mod:`.rooms`: locations and facilitators
- :mod:`.attendance`: attendance, the stored standing, certificates
- :mod:`.mail`: reminders sent, e-mail texts, invitations, the outbox's attachments
- :mod:`.imports`: the leader import's previews, jobs and uploads
- :mod:`.outcomes`: the self-assessment and the initiatives
- :mod:`.statistics`: statistics about people, in whole blocks
- :mod:`.saving`: a row as the database holds it when a save begins
"""

from programme.models.attendance import Attendance, Certificate, Standing, new_certificate_code
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
)
from programme.models.imports import ImportBatch, ImportJob, ImportUpload
from programme.models.mail import EmailText, Invitation, OutboxFile, SentReminder
from programme.models.outcomes import (
    FROZEN_MESSAGE,
    Answer,
    AssessmentResponse,
    Dimension,
    Initiative,
    InitiativeStatusChange,
    Questionnaire,
    QuestionnaireFrozen,
    Statement,
)
from programme.models.people import HR_GROUP, Department, Leader, User, UserManager
from programme.models.rooms import Facilitator, Location
from programme.models.saving import read_before_save, stored_before_save
from programme.models.statistics import (
    StatisticsBlock,
    StatisticsEntry,
    StatisticsScope,
    StatisticsValue,
)
from programme.page_versions import KeptQuerySet, PageWrite

__all__ = [
    "Answer",
    "AssessmentResponse",
    "Attendance",
    "Certificate",
    "Cohort",
    "CohortQuerySet",
    "Department",
    "Dimension",
    "EmailText",
    "Enrolment",
    "FROZEN_MESSAGE",
    "Facilitator",
    "HR_GROUP",
    "ImportBatch",
    "ImportJob",
    "ImportUpload",
    "Initiative",
    "InitiativeStatusChange",
    "Invitation",
    "KeptQuerySet",
    "Leader",
    "Location",
    "MakeUpBooking",
    "Module",
    "OutboxFile",
    "PageWrite",
    "Programme",
    "Questionnaire",
    "QuestionnaireFrozen",
    "SentReminder",
    "Session",
    "SessionQuerySet",
    "Standing",
    "Statement",
    "StatisticsBlock",
    "StatisticsEntry",
    "StatisticsScope",
    "StatisticsValue",
    "User",
    "UserManager",
    "current_programme",
    "new_certificate_code",
    "read_before_save",
    "stored_before_save",
]
