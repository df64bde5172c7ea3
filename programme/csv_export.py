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
from .progress import ModuleState, progress_from_stored

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


def _date(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


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
    """One list of cell values per leader; the queryset must come from ``report_leaders``.

    Labels are translated once, when this is called, so the rows keep the
    language of the request even while the response streams.
    """
    levels = {value: str(label) for value, label in Leader.Level.choices}
    places = {
        Enrolment.Status.ENROLLED: gettext("Enrolled"),
        Enrolment.Status.WAITLISTED: gettext("Waitlisted"),
        None: gettext("Not enrolled"),
    }
    states = {key: str(label) for key, label in ModuleState.LABELS.items()}
    attended = gettext("Attended %(date)s")
    yes, no = gettext("Yes"), gettext("No")
    values = export_values(leaders, modules)

    def generate() -> Iterator[list]:
        for row in values.iterator(chunk_size=CHUNK_SIZE):
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
            for entry in progress_from_stored(modules, stored, now).modules:
                if entry.completed:
                    cells.append(attended % {"date": _date(entry.completed_at)})
                else:
                    cells.append(states[entry.state])
            done, required, completed_at, behind = row[-4:]
            cells += [done, required, _date(completed_at), yes if behind else no]
            yield cells

    return generate()


def encode(head: list[str], body: Iterable[list], dialect: str) -> Iterator[bytes]:
    """CSV bytes in chunks of ``ROWS_PER_WRITE`` rows; text cells neutralised."""
    fmt = Dialect.FORMATS.get(dialect, Dialect.FORMATS[Dialect.EXCEL_DA])
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, fields quoted only when they need it.
    writer = csv.writer(buffer, delimiter=fmt["delimiter"], lineterminator="\r\n")
    if fmt["bom"]:
        buffer.write("\ufeff")
    writer.writerow([neutralise(cell) for cell in head])
    for count, row in enumerate(body, start=1):
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
        if count % ROWS_PER_WRITE == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def filename(scope_label: str, today) -> str:
    """E.g. ``gennemførelse-øks-2016-01-18.csv``: what, whose, when."""
    what = slugify(gettext("completion"), allow_unicode=True)
    whose = slugify(scope_label, allow_unicode=True)
    return f"{what}-{whose}-{today.isoformat()}.csv"
