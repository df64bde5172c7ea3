"""The completion report as CSV, streamed: the web download and ``export_completion``.

Rows come from :func:`programme.reports.report_leaders`, each with its leader's
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

from .models import Enrolment, Leader, Module
from .progress import ModuleState, module_state

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


def rows(leaders: QuerySet[Leader], modules: list[Module], now: dt.datetime) -> Iterator[list]:
    """One list of typed cells per leader; the queryset must come from ``report_leaders``.

    A module's cell is the date it was completed (a ``date``) or its state's label;
    "completed on" is a ``date`` or None. :func:`encode` writes them as CSV text,
    ``xlsx_export`` as spreadsheet dates. Labels are translated once, when this is
    called, so the rows keep the language of the request while the response streams.
    Each module's state comes from the stored moments through
    :func:`programme.progress.module_state` (on Unix seconds, no objects per row).
    """
    levels = {value: str(label) for value, label in Leader.Level.choices}
    places = {
        Enrolment.Status.ENROLLED: gettext("Enrolled"),
        Enrolment.Status.WAITLISTED: gettext("Waitlisted"),
        None: gettext("Not enrolled"),
    }
    states = {key: str(label) for key, label in ModuleState.LABELS.items()}
    not_booked = states[ModuleState.NOT_BOOKED]
    yes, no = gettext("Yes"), gettext("No")
    keys = [str(module.pk) for module in modules]
    at = int(now.timestamp())
    days: dict[int, dt.date] = {}  # a few thousand session starts for any number of rows

    def day(seconds: int) -> dt.date:
        if seconds not in days:
            days[seconds] = timezone.localdate(dt.datetime.fromtimestamp(seconds, tz=dt.UTC))
        return days[seconds]

    def generate() -> Iterator[list]:
        for row in export_values(leaders, modules).iterator(chunk_size=CHUNK_SIZE):
            number, name, email, department, level, cohort, place, stored = row[:8]
            cells = [
                number,
                name,
                email,
                department,
                levels.get(level, level),
                cohort or "",
                places[place],
            ]
            stored = stored or {}
            for key in keys:
                moments = stored.get(key)
                if moments is None:
                    cells.append(not_booked)
                elif moments[0] is not None:
                    cells.append(day(moments[0]))
                else:
                    cells.append(states[module_state(*moments, at)])
            done, required, completed_at, behind = row[-4:]
            completed_on = timezone.localdate(completed_at) if completed_at else None
            cells += [done, required, completed_on, yes if behind else no]
            yield cells

    return generate()


def _csv_text(cells: list, attended: str) -> list:
    """A typed row as CSV text: a module's date reads "Deltog 2016-01-12"."""
    *front, done, required, completed_on, behind = cells
    text = [
        attended % {"date": cell.isoformat()} if isinstance(cell, dt.date) else cell
        for cell in front
    ]
    return [*text, done, required, completed_on.isoformat() if completed_on else "", behind]


def encode(head: list[str], body: Iterable[list], dialect: str) -> Iterator[bytes]:
    """CSV bytes in chunks of ``ROWS_PER_WRITE`` rows; text cells neutralised."""
    fmt = Dialect.FORMATS.get(dialect, Dialect.FORMATS[Dialect.EXCEL_DA])
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, fields quoted only when they need it.
    writer = csv.writer(buffer, delimiter=fmt["delimiter"], lineterminator="\r\n")
    if fmt["bom"]:
        buffer.write("\ufeff")
    writer.writerow([neutralise(cell) for cell in head])
    attended = gettext("Attended %(date)s")
    for count, row in enumerate(body, start=1):
        row = _csv_text(row, attended)
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
        if count % ROWS_PER_WRITE == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def filename(scope_label: str, today, extension: str = "csv") -> str:
    """E.g. ``gennemførelse-øks-2016-01-18.csv``: what, whose, when."""
    what = slugify(gettext("completion"), allow_unicode=True)
    whose = slugify(scope_label, allow_unicode=True)
    return f"{what}-{whose}-{today.isoformat()}.{extension}"
