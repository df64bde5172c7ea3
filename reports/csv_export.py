"""The completion report as CSV, streamed: the web download and ``export_completion``.

Rows come from :func:`reports.rules.report_leaders`, each with its leader's
stored standing (totals and each module's moments, the same source as the page
and the drill-down), read with ``iterator(chunk_size=...)`` and written a few
hundred rows at a time: memory stays flat and the number of queries does not
grow with the number of leaders.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from programme.models import Enrolment, Leader, Module
from programme.progress import ModuleState, module_state

CHUNK_SIZE = 2000  # rows per database fetch (one server-side cursor on PostgreSQL)
ROWS_PER_WRITE = 500  # rows per chunk of bytes handed to the response or the file


class Dialect:
    EXCEL_DA = "excel_da"
    STANDARD = "standard"
    CHOICES = [
        (EXCEL_DA, _("Excel (dansk): semicolons, UTF-8 with BOM")),
        (STANDARD, _("Standard CSV (RFC 4180): commas, UTF-8")),
    ]
    # Danish Excel splits on semicolons and needs the BOM to read UTF-8 as UTF-8.
    FORMATS = {
        EXCEL_DA: {"delimiter": ";", "bom": True},
        STANDARD: {"delimiter": ",", "bom": False},
    }

    @classmethod
    def format(cls, dialect: str) -> dict:
        """The dialect's delimiter and BOM; Danish Excel for an unknown name."""
        return cls.FORMATS.get(dialect, cls.FORMATS[cls.EXCEL_DA])


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix a would-be formula with an apostrophe so it is shown as text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def header(modules: list[Module]) -> list[str]:
    return [
        gettext("Employee number"),
        gettext("Name"),
        gettext("E-mail"),
        gettext("Department"),
        gettext("Leadership level"),
        gettext("Cohort"),
        gettext("Place"),
        *[module.title for module in modules],
        gettext("Modules completed"),
        gettext("Modules required"),
        gettext("Completed on"),
        gettext("Behind"),
    ]


def _fields(modules: list[Module]) -> list[str]:
    return [
        "employee_number",
        "name",
        "user__email",
        "department__name",
        "level",
        "cohort_name",
        "enrolment_status",
        "stored_modules",
        "modules_done",
        "modules_required",
        "completed_at",
        "is_behind",
    ]


def export_values(leaders: QuerySet[Leader], modules: list[Module]) -> QuerySet:
    """The one SELECT behind the file (``bench/export.py`` hands the same one to COPY)."""
    return leaders.values_list(*_fields(modules))


def rows(
    leaders: QuerySet[Leader], modules: list[Module], now: dt.datetime, *, as_text: bool = True
) -> Iterator[list]:
    """One list of cells per leader; the queryset must come from ``report_leaders``.

    ``as_text`` (the CSV): a completed module reads "Deltog 2016-01-12" and the
    completion date is ISO text; otherwise (the workbook) both are ``date`` values.
    Text that comes from people (names, addresses, departments, cohorts) is
    neutralised here, the portal's own labels once; so the writers write as given.
    Labels are translated once, when this is called, so the rows keep the language
    of the request while the response streams. Each module's state comes from the
    stored moments through :func:`programme.progress.module_state` (on Unix seconds:
    no objects per row, since this runs for every leader of a national programme).
    """
    cells = _Cells(modules, now, as_text=as_text)  # translates the labels now

    def generate() -> Iterator[list]:
        for row in export_values(leaders, modules).iterator(chunk_size=CHUNK_SIZE):
            yield cells.row(row)

    return generate()


class _Cells:
    """Turns one row of :func:`export_values` into the file's cells (see :func:`rows`)."""

    def __init__(self, modules: list[Module], now: dt.datetime, *, as_text: bool) -> None:
        self.as_text = as_text
        self.levels = {value: neutralise(str(label)) for value, label in Leader.Level.choices}
        self.places = {
            Enrolment.Status.ENROLLED: neutralise(gettext("Enrolled")),
            Enrolment.Status.WAITLISTED: neutralise(gettext("Waitlisted")),
            None: neutralise(gettext("Not enrolled")),
        }
        self.states = {key: neutralise(str(label)) for key, label in ModuleState.LABELS.items()}
        self.not_booked = self.states[ModuleState.NOT_BOOKED]
        self.yes, self.no = neutralise(gettext("Yes")), neutralise(gettext("No"))
        self.attended = gettext("Attended %(date)s")
        self.keys = [str(module.pk) for module in modules]
        self.at = int(now.timestamp())
        # A few thousand session starts and completion days for any number of rows.
        self.completed_cells: dict[int, str | dt.date] = {}
        self.completion_days: dict[dt.datetime, str | dt.date] = {}

    def row(self, row: tuple) -> list:
        number, name, email, department, level, cohort, place, stored = row[:8]
        cells = [
            neutralise(number),
            neutralise(name),
            neutralise(email),
            neutralise(department),
            self.levels.get(level, level),
            neutralise(cohort) if cohort else "",
            self.places[place],
        ]
        cells += self.module_cells(stored or {})
        done, required, completed_at, behind = row[-4:]
        cells += [
            done,
            required,
            self.completion_day(completed_at),
            self.yes if behind else self.no,
        ]
        return cells

    def module_cells(self, stored: dict) -> list:
        """Each module's cell: its state, or the day it was attended."""
        cells = []
        for key in self.keys:
            moments = stored.get(key)
            if moments is None:
                cells.append(self.not_booked)
            elif moments[0] is not None:
                cells.append(self.completed_cell(moments[0]))
            else:
                cells.append(self.states[module_state(*moments, self.at)])
        return cells

    def completed_cell(self, seconds: int) -> str | dt.date:
        if seconds not in self.completed_cells:
            day = timezone.localdate(dt.datetime.fromtimestamp(seconds, tz=dt.UTC))
            self.completed_cells[seconds] = (
                self.attended % {"date": day.isoformat()} if self.as_text else day
            )
        return self.completed_cells[seconds]

    def completion_day(self, moment: dt.datetime | None) -> str | dt.date | None:
        if moment is None:
            return "" if self.as_text else None
        if moment not in self.completion_days:
            day = timezone.localdate(moment)
            self.completion_days[moment] = day.isoformat() if self.as_text else day
        return self.completion_days[moment]


def encode(head: list[str], body: Iterable[list], dialect: str) -> Iterator[bytes]:
    """CSV bytes in chunks of ``ROWS_PER_WRITE`` rows (the rows from :func:`rows`)."""
    fmt = Dialect.format(dialect)
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, fields quoted only when they need it.
    writer = csv.writer(buffer, delimiter=fmt["delimiter"], lineterminator="\r\n")
    if fmt["bom"]:
        buffer.write("\ufeff")
    writer.writerow([neutralise(cell) for cell in head])
    batch = []
    for row in body:
        batch.append(row)
        if len(batch) == ROWS_PER_WRITE:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue().encode("utf-8")


def filename(scope_label: str, today, extension: str = "csv") -> str:
    """E.g. ``gennemførelse-øks-2016-01-18.csv``: what, whose, when."""
    what = slugify(gettext("completion"), allow_unicode=True)
    whose = slugify(scope_label, allow_unicode=True)
    return f"{what}-{whose}-{today.isoformat()}.{extension}"
