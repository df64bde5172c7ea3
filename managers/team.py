"""*Mit team*: every leader in a manager's scope, one row each, and its columns.

The leaders come from :func:`reports.rules.report_leaders` (the same scope, the same
stored standings, the same place in the programme as the reports), with three more
facts read in the same one query: the next session of the leader's cohort, whether
they answered a self-assessment (yes or no: never a score) and their initiatives
(how many, and the latest one's status). The page and both files are made of the same
:data:`COLUMNS` by the same :class:`Cells`, so they always show the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outcomes.models import AssessmentResponse, Initiative
from programme.models import Enrolment, Leader, Session
from reports.csv_export import CHUNK_SIZE, neutralise
from reports.rules import SORTS, Filters, Scope, Status, report_leaders

# The statuses a manager filters by: the reports' own questions, so the same leaders.
STATUS_CHOICES = [
    (value, label)
    for value, label in Status.CHOICES
    if value in (Status.BEHIND, Status.NOT_ENROLLED, Status.COMPLETED)
]

# The columns, in order: the sort key (or "" when the column does not sort) and heading.
COLUMNS = [
    ("name", _("Name")),
    ("department", _("Department")),
    ("place", _("Place")),
    ("next_session", _("Next session")),
    ("progress", _("Modules completed")),
    ("behind", _("Behind")),
    ("assessment", _("Self-assessment answered")),
    ("initiatives", _("Initiatives")),
]

TEAM_SORTS = {
    **{key: SORTS[key] for key in ("name", "-name", "department", "-department")},
    "progress": SORTS["progress"],
    "-progress": SORTS["-progress"],
    "place": (F("cohort_name").asc(nulls_last=True), "enrolment_status", "name", "pk"),
    "-place": (F("cohort_name").desc(nulls_last=True), "-enrolment_status", "-name", "-pk"),
    "next_session": (F("next_session_at").asc(nulls_last=True), "name", "pk"),
    "-next_session": (F("next_session_at").desc(nulls_last=True), "-name", "-pk"),
    "behind": ("-is_behind", "name", "pk"),
    "-behind": ("is_behind", "-name", "-pk"),
    "assessment": ("assessment_answered", "name", "pk"),
    "-assessment": ("-assessment_answered", "-name", "-pk"),
    "initiatives": ("initiative_count", "name", "pk"),
    "-initiatives": ("-initiative_count", "-name", "-pk"),
}
DEFAULT_SORT = "name"


def header() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


def team_leaders(scope: Scope, filters: Filters, sort: str = DEFAULT_SORT) -> QuerySet[Leader]:
    """The leaders of the scope the filters select, sorted, with every column's facts.

    Adds to :func:`report_leaders`' annotations ``next_session_at`` (the next session of
    the cohort where the leader has a seat), ``assessment_answered`` (any round of the
    programme's self-assessment), ``initiative_count`` (how many) and ``initiative_status``
    (the latest changed one's). Each is a correlated subquery: one query for any number.
    """
    programme, now = filters.programme, filters.now
    next_session = Session.objects.filter(
        cohort__enrolments__leader=OuterRef("pk"),
        cohort__enrolments__programme=programme,
        cohort__enrolments__status=Enrolment.Status.ENROLLED,
        starts_at__gt=now,
    ).order_by("starts_at")
    own = Initiative.objects.filter(leader=OuterRef("pk"), programme=programme)
    counted = own.order_by().values("leader").annotate(n=Count("pk")).values("n")
    leaders = report_leaders(scope, filters).annotate(
        next_session_at=Subquery(next_session.values("starts_at")[:1]),
        assessment_answered=Exists(
            AssessmentResponse.objects.filter(leader=OuterRef("pk"), programme=programme)
        ),
        initiative_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
        initiative_status=Subquery(own.order_by("-changed_at", "-pk").values("status")[:1]),
    )
    ordering = TEAM_SORTS.get(sort, TEAM_SORTS[DEFAULT_SORT])
    return leaders.select_related("department").order_by(*ordering)


class Cells:
    """One leader's cells, in the order of :data:`COLUMNS`, for the page or a file.

    Labels are translated once, when this is made (a file's rows keep the request's
    language while the response streams). In a file, text that comes from people is
    neutralised (no cell runs as a formula) and, for the CSV, the date is ISO text; on
    the page and in the workbook the next session is a ``date``.
    """

    def __init__(self, *, file: bool = False, as_text: bool = False) -> None:
        self.file = file
        self.as_text = as_text
        self.yes, self.no = gettext("Yes"), gettext("No")
        self.not_enrolled = gettext("Not enrolled")
        self.waitlist = gettext("Waitlist: %(cohort)s")
        self.done = gettext("%(done)s of %(required)s")
        self.none = gettext("None")
        self.statuses = {value: str(label) for value, label in Initiative.Status.choices}
        self.counted = gettext("%(count)d, latest: %(status)s")

    def text(self, value: str) -> str:
        return neutralise(value) if self.file else value

    def row(self, leader: Leader) -> list:
        return [
            self.text(leader.name),
            self.text(leader.department.name),
            self.place(leader),
            self.day(leader.next_session_at),
            self.done % {"done": leader.modules_done, "required": leader.modules_required},
            self.yes if leader.is_behind else self.no,
            self.yes if leader.assessment_answered else self.no,
            self.initiatives(leader),
        ]

    def place(self, leader: Leader) -> str:
        if leader.enrolment_status == Enrolment.Status.ENROLLED:
            return self.text(leader.cohort_name)
        if leader.enrolment_status == Enrolment.Status.WAITLISTED:
            return self.text(self.waitlist % {"cohort": leader.cohort_name})
        return self.not_enrolled

    def day(self, moment: dt.datetime | None) -> dt.date | str:
        if moment is None:
            return ""
        day = timezone.localdate(moment)
        return day.isoformat() if self.as_text else day

    def initiatives(self, leader: Leader) -> str:
        if not leader.initiative_count:
            return self.none
        status = self.statuses.get(leader.initiative_status, leader.initiative_status)
        return self.counted % {"count": leader.initiative_count, "status": status}


def file_rows(leaders: QuerySet[Leader], *, as_text: bool) -> Iterator[list]:
    """Every row of a download, read a chunk at a time (memory stays flat)."""
    cells = Cells(file=True, as_text=as_text)  # translates the labels now

    def generate() -> Iterator[list]:
        for leader in leaders.iterator(chunk_size=CHUNK_SIZE):
            yield cells.row(leader)

    return generate()
