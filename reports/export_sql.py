"""The completion CSV's lines built by PostgreSQL: byte for byte what
:func:`reports.csv_export.encode` writes over :func:`reports.csv_export.rows`, without a
Python object per cell.

At a national programme's size the export's time beyond the database's own SELECT was
each row made into Python objects (the JSON moments decoded, each module's state
decided, each cell neutralised and handed to the writer). Here the database writes each
line, in one statement over the export's own SELECT (``r``, every leader once):

- **the modules' cells once per distinct stored moments** (``m``): leaders of one cohort
  who attended alike share their standing's moments, so a few hundred or thousand blocks
  are written for tens of thousands of leaders, each module's state by the progress rules
  (:func:`programme.progress.module_state`) and its day in the portal's time zone;
- **each leader's line**: their own cells (a would-be formula neutralised, people's text
  quoted as Python's CSV writer quotes it: ``QUOTE_MINIMAL``), the labels in the
  request's language (parameters, quoted in Python once), their block of module cells,
  joined by the delimiter, in the queryset's order (its ``ORDER BY`` keys are carried as
  columns and sorted on once, at the end).

Python then only joins the lines with CRLF and encodes them. PostgreSQL only; elsewhere
the Python rows are written. ``tests/reports/test_export_in_sql.py`` holds both to the
same bytes, with hostile text, every moment, dialect, order and language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models
from django.db.models import F, Func, OrderBy, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from programme.models import Enrolment, Leader, Module, Programme
from programme.progress import ModuleState
from reports.csv_export import FORMULA_STARTS, ROWS_PER_WRITE, Dialect, encode, neutralise, rows

# Rows per fetch from the server-side cursor.
CHUNK_SIZE = 2000
# The SELECT's columns, by the names the SQL below uses.
COLUMNS = {
    "c_number": "employee_number",
    "c_name": "name",
    "c_email": "user__email",
    "c_department": "department__name",
    "c_level": "level",
    "c_stored": "stored_modules",
    "c_done": "modules_done",
    "c_required": "modules_required",
    "c_completed": "completed_at",
    "c_behind": "is_behind",
}
# The CSV's delimiters (csv_export.Dialect.FORMATS): written into the SQL as literals.
DELIMITERS = (";", ",")
# csv_export.FORMULA_STARTS as an SQL list of code points, so that the two cannot drift
# apart: a text's first character is compared as a number (ascii()), not as text.
FORMULA_STARTS_SQL = "(" + ", ".join(str(ord(start)) for start in FORMULA_STARTS) + ")"
NO_MOMENTS = "'{}'::jsonb"


@dataclass
class _Sql:
    """SQL text is written with :meth:`p` for each parameter, in the order of the text."""

    params: list = field(default_factory=list)

    def p(self, value) -> str:
        self.params.append(value)
        return "%s"


def stream(
    head: list[str],
    leaders: QuerySet[Leader],
    programme: Programme,
    modules: list[Module],
    now: dt.datetime,
    dialect: str,
) -> Iterator[bytes]:
    """The completion CSV's bytes: on PostgreSQL each line written by the database
    (:func:`csv_lines`), elsewhere :func:`reports.csv_export.encode` over
    :func:`reports.csv_export.rows`; the same bytes. Labels are translated now, as
    ``rows`` does; the rows are read while the bytes stream."""
    if connections[leaders.db].vendor != "postgresql":
        return encode(head, rows(leaders, modules, now), dialect)
    lines = csv_lines(leaders, programme, modules, now, Dialect.format(dialect)["delimiter"])
    return _joined(next(encode(head, [], dialect)), lines)


def _joined(first: bytes, lines: Iterator[str]) -> Iterator[bytes]:
    """The BOM and header as ``encode`` writes them, then the lines, CRLF ended."""
    yield first
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == ROWS_PER_WRITE:
            yield ("\r\n".join(batch) + "\r\n").encode("utf-8")
            batch.clear()
    if batch:
        yield ("\r\n".join(batch) + "\r\n").encode("utf-8")


def csv_lines(
    leaders: QuerySet[Leader],
    programme: Programme,
    modules: list[Module],
    now: dt.datetime,
    delimiter: str,
) -> Iterator[str]:
    """The CSV's lines (without line ends) for the leaders of a queryset from
    :func:`reports.rules.report_leaders` for ``programme``, in its order. Labels are
    read in the active language now; the rows when the first line is asked for."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"not a delimiter of the export: {delimiter!r}")
    head, tail, blocks = _Sql(), _Sql(), _Sql()  # in the order of the statement's text

    def label(sql: _Sql, value) -> str:
        return sql.p(_csv_quoted(neutralise(str(value)), delimiter))

    levels = " ".join(
        f"WHEN {head.p(value)} THEN {label(head, title)}" for value, title in Leader.Level.choices
    )
    # A level the choices do not know is written as stored (people's text then).
    unknown = _csv_quoting("r.c_level", delimiter)
    # People's text is neutralised in the inner SELECT and quoted in the outer one, so
    # that each expression is over a column and computed once (OFFSET 0 keeps the two
    # SELECTs apart: merged, the quoting would compute the neutralising six times).
    cells = [
        (PERSON, _neutralised("r.c_number")),
        (PERSON, _neutralised("r.c_name")),
        (PERSON, _neutralised("r.c_email")),
        (PERSON, _neutralised("r.c_department")),
        (LABEL, f"COALESCE(CASE r.c_level {levels} ELSE {unknown} END, '')"),
        (PERSON, _neutralised("p.place[2]")),
        (
            LABEL,
            f"CASE p.place[1] WHEN {head.p(Enrolment.Status.ENROLLED)} "
            f"THEN {label(head, gettext('Enrolled'))} "
            f"WHEN {head.p(Enrolment.Status.WAITLISTED)} "
            f"THEN {label(head, gettext('Waitlisted'))} "
            f"ELSE {label(head, gettext('Not enrolled'))} END",
        ),
    ]
    zone = timezone.get_current_timezone_name()
    if modules:
        cells.append((LABEL, "m.block"))
    cells += [
        (LABEL, "COALESCE(r.c_done::text, '')"),
        (LABEL, "COALESCE(r.c_required::text, '')"),
        (
            LABEL,
            f"COALESCE(to_char(timezone({tail.p(zone)}, r.c_completed), 'YYYY-MM-DD'), '')",
        ),
        (
            LABEL,
            f"CASE WHEN r.c_behind THEN {label(tail, gettext('Yes'))} "
            f"ELSE {label(tail, gettext('No'))} END",
        ),
    ]
    block = _module_block(blocks, modules, now, delimiter, zone) if modules else "''"
    select, keys, order = _select(leaders, programme)
    values = ", ".join(f"{cell} AS v{i}" for i, (_kind, cell) in enumerate(cells))
    line = ", ".join(
        _csv_quoting(f"export_rows.v{i}", delimiter) if kind == PERSON else f"export_rows.v{i}"
        for i, (kind, _cell) in enumerate(cells)
    )
    query = (
        f"WITH p AS ({{places}}), r AS ({{inner}}), m AS ("  # noqa: S608 - the project's own SQL
        f"SELECT s.k, {block} AS block FROM "
        f"(SELECT DISTINCT COALESCE(r.c_stored, {NO_MOMENTS}) AS k FROM r) s) "
        f"SELECT concat_ws('{delimiter}', {line}) AS line FROM ("
        f"SELECT {', '.join(f'r.{key}' for key in keys)}, {values} "
        f"FROM r LEFT JOIN p ON p.leader_id = r.c_pk "
        f"JOIN m ON m.k = COALESCE(r.c_stored, {NO_MOMENTS}) OFFSET 0"
        f") export_rows ORDER BY {order}"
    )
    return _run(_places(programme), select, query, [*blocks.params, *head.params, *tail.params])


# What a cell holds: people's text (quoted by the database when it must be), or text
# already as the file writes it (labels quoted in Python, numbers, days).
PERSON, LABEL = "person", "label"


def _module_block(sql: _Sql, modules, now, delimiter: str, zone: str) -> str:
    """Every module's cell for the stored moments ``s.k``, joined by the delimiter."""
    before, _, after = gettext("Attended %(date)s").partition("%(date)s")
    if _csv_quoted(before + after, delimiter) != before + after:  # a day needs no quotes
        before, after = '"' + before.replace('"', '""'), after.replace('"', '""') + '"'
    up, miss, wait, none = (
        _csv_quoted(neutralise(str(ModuleState.LABELS[key])), delimiter)
        for key in (
            ModuleState.UPCOMING,
            ModuleState.MISSED,
            ModuleState.AWAITING,
            ModuleState.NOT_BOOKED,
        )
    )
    at = int(now.timestamp())
    cells = []
    for module in modules:
        # The key is the module's id, an integer: written into the SQL (used five times).
        m = f"(s.k -> '{int(module.pk)}')"
        done = f"({m} ->> 0)"
        until, missed = f"({m} ->> 1)::float8", f"({m} ->> 2)::float8"
        cells.append(
            f"CASE WHEN {done} IS NOT NULL THEN {sql.p(before)} || "
            f"to_char(timezone({sql.p(zone)}, to_timestamp({done}::float8))::date, 'YYYY-MM-DD')"
            f" || {sql.p(after)} "
            f"WHEN {until} > {sql.p(at)} THEN {sql.p(up)} "
            f"WHEN {missed} <= {sql.p(at)} THEN {sql.p(miss)} "
            f"WHEN {until} IS NOT NULL THEN {sql.p(wait)} "
            f"ELSE {sql.p(none)} END"
        )
    return f"concat_ws('{delimiter}', {', '.join(cells)})"


def _select(leaders: QuerySet[Leader], programme: Programme) -> tuple[QuerySet, list[str], str]:
    """The leaders' columns with their ``ORDER BY`` keys (``o0``, ``o1``, ...), unordered;
    the keys' names; and the ``ORDER BY`` over them (of ``export_rows``) that sorts as the
    queryset does."""
    keys, order = {}, []
    for i, item in enumerate([*(leaders.query.order_by or Leader._meta.ordering), "pk"]):
        if isinstance(item, str):
            descending = item.startswith("-")
            keys[f"o{i}"] = F(item.removeprefix("-"))
            order.append(f"export_rows.o{i} {'DESC' if descending else 'ASC'}")
            continue
        if not isinstance(item, OrderBy) or not hasattr(item.expression, "resolve_expression"):
            raise TypeError(f"an order the export does not know: {item!r}")
        keys[f"o{i}"] = item.expression
        nulls = " NULLS FIRST" if item.nulls_first else " NULLS LAST" if item.nulls_last else ""
        order.append(f"export_rows.o{i} {'DESC' if item.descending else 'ASC'}{nulls}")
    select = (
        leaders.values(**{alias: F(path) for alias, path in COLUMNS.items()}, c_pk=F("pk"))
        .annotate(**keys)
        .order_by()
    )
    return select, list(keys), ", ".join(order)


def _places(programme: Programme) -> QuerySet[Enrolment]:
    """Every place (enrolled or waitlisted) in the programme, as (leader, [status,
    cohort's name]): at most one a leader (the one-active-place constraint), joined to
    the leaders once (a hash join, see :func:`_run`) where a subquery per leader probed
    the index 300,000 times at national scale (a fifth of the statement)."""
    pair = Func(
        F("status"),
        F("cohort__name"),
        template="ARRAY[%(expressions)s]",
        output_field=ArrayField(models.TextField()),
    )
    return (
        Enrolment.objects.filter(programme=programme, status__in=Enrolment.ACTIVE)
        .order_by()
        .values("leader_id", place=pair)
    )


def _neutralised(column: str) -> str:
    """SQL for :func:`reports.csv_export.neutralise` of a text column, never NULL."""
    return (
        f"COALESCE(CASE WHEN ascii({column}) IN {FORMULA_STARTS_SQL} "
        f"THEN '''' || {column} ELSE {column} END, '')"
    )


def _csv_quoting(text: str, delimiter: str) -> str:
    """SQL that writes text as Python's CSV writer does (``QUOTE_MINIMAL``: in quotes,
    quotes doubled, when it holds the delimiter, a quote, CR or LF)."""
    needs = " OR ".join(
        f"strpos({text}, {char}) > 0" for char in (f"'{delimiter}'", "'\"'", "chr(13)", "chr(10)")
    )
    doubled = f"replace({text}, '\"', '\"\"')"
    return f"CASE WHEN {needs} THEN '\"' || {doubled} || '\"' ELSE {text} END"


def _csv_quoted(text: str, delimiter: str) -> str:
    """A label as Python's CSV writer writes it (see :func:`_csv_quoting`)."""
    if any(char in text for char in (delimiter, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _run(places: QuerySet, select: QuerySet, query: str, params: list) -> Iterator[str]:
    alias = select.db  # read while streaming: the replica, for a report
    connection = connections[alias]
    places_sql, places_params = places.query.get_compiler(using=alias).as_sql()
    inner_sql, inner_params = select.query.get_compiler(using=alias).as_sql()
    sql = query.replace("{places}", places_sql).replace("{inner}", inner_sql)
    with connection.chunked_cursor() as cursor:
        # Planned without nested loops: every leader is read, so the places and the
        # leaders are best joined by hashing. Right after a bulk load, before PostgreSQL
        # has statistics, it planned that join as a nested loop over every place for
        # every leader (55 s at 30,000 leaders, against half a second). The plan is made
        # when the cursor is declared; the setting is back before the rows are read.
        with connection.cursor() as setting:
            setting.execute("SELECT set_config('enable_nestloop', 'off', false)")
        try:
            cursor.execute(sql, [*places_params, *inner_params, *params])
        finally:
            with connection.cursor() as setting:
                setting.execute("RESET enable_nestloop")
        while chunk := cursor.fetchmany(CHUNK_SIZE):
            yield from (line for (line,) in chunk)
