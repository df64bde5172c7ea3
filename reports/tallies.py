"""The kept counts per department (:class:`programme.models.DepartmentTally`): what the
report overview and the forecast's counts read instead of every leader's standing.

A page asks :func:`kept` for the departments it shows. In a fixed number of queries it
reads each department's version (:func:`programme.page_versions.department_versions`),
then the kept rows, and counts again (:func:`reports.recount.count`), in one pass,
only the departments whose row is missing, was counted under another version (a write
touched one of their leaders since) or has expired by the clock (``valid_until``); it
keeps what it counted for the next page. The versions are read before the leaders, so a
row is never older than the version it is kept under: at worst a department is counted
once too often.

The counts come from the same queries as the live reports (:func:`reports.rules
.department_summary` over :func:`reports.rules.report_leaders`) and the same outlook
rules as the forecast (:mod:`reports.outlooks`), so kept and live always agree
(``tests/reports/test_tallies.py`` and the stateful property test compare them after
every step). What depends on the seats left in the whole municipality (at risk or can
no longer finish) is not kept: each department keeps what its leaders *need* (a place,
make-ups of which modules), decided against the seats when a page asks
(:func:`outlook_counts`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import F, Min, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext_lazy as _

from programme import page_versions
from programme.models import (
    Department,
    DepartmentTally,
    Programme,
    ProgrammeTally,
    TallyNeed,
)
from reports.chances import Chances
from reports.outlooks import Outlook, outlook_from_need
from reports.recount import COUNTS, Needs, count, version_of
from reports.rules import DepartmentRow, Scope

# Up to this many departments, their versions are read by name; more: all of them.
FEW = 100


@dataclass
class Counted:
    """One department's kept counts, as a page reads them."""

    department: int
    name: str
    code: str
    # The administration or centre the department belongs to (itself when it has none).
    unit: int
    unit_name: str
    unit_code: str
    by_name: int
    leaders: int
    enrolled: int
    waitlisted: int
    completed: int
    behind: int
    unseated: int


@dataclass
class Kept:
    """The kept counts of some departments: the forecast's parts summed over all of them,
    those without a place per administration or centre, and the overview's lines, per
    department (``departments``) or, for the whole municipality, per administration or
    centre only (``unit_lines``)."""

    needs: Needs
    unseated: Counter
    departments: list[Counted] | None = None
    unit_lines: list[DepartmentRow] | None = None
    # The first moment at which one of the rows summed is no longer good by the clock.
    valid_until: dt.datetime | None = None
    # Which count of each department's row the sum holds (its ``revision``), and the
    # version every department carried then (:func:`_by_difference`). Kept as their
    # fingerprint (:func:`fingerprint`), not the 1,550 pairs: they were half the JSON;
    # read back, the sum has no revisions (``_by_difference`` reads the fingerprint).
    revisions: dict[int, int] | None = None
    every: str | None = None

    def as_json(self) -> dict:
        lines, _total = department_rows(self, by_unit=True)
        return {
            "total": self.needs.total,
            "completed": self.needs.completed,
            "on_course": self.needs.on_course,
            "unseated": self.needs.unseated,
            "place": self.needs.place,
            "makeups": [[own, list(m), n] for (own, m), n in self.needs.makeups.items()],
            "by_unit": list(self.unseated.items()),
            "lines": [[getattr(line, f) for f in LINE] for line in lines],
            "fingerprint": fingerprint(self.revisions),
            "every": self.every,
        }

    @classmethod
    def from_json(cls, data: dict) -> Kept:
        needs = Needs(
            total=data["total"],
            completed=data["completed"],
            on_course=data["on_course"],
            unseated=data["unseated"],
            place=data["place"],
            makeups=Counter({(own, tuple(m)): n for own, m, n in data["makeups"]}),
        )
        lines = [DepartmentRow(**dict(zip(LINE, line, strict=True))) for line in data["lines"]]
        return cls(
            needs,
            Counter(dict(data["by_unit"])),
            unit_lines=lines,
            every=data.get("every"),
        )


# Mixes each department's id into its row's revision, so that the same revisions under
# other departments give another fingerprint.
_MIX = 0x9E3779B97F4A7C15


def fingerprint(revisions: dict[int, int] | None) -> str | None:
    """Which count of each department's row a sum holds, in one value: the revisions
    are random 62-bit numbers drawn at each count (:func:`reports.recount.count`), so
    any row counted again, added or taken away gives another fingerprint (all but
    certainly: two changes cancelling out would need two random draws to agree). None
    for none, or for a row that names no revision (it can never be matched)."""
    if not revisions or not all(revisions.values()):
        return None
    return str(sum((pk * _MIX) ^ revision for pk, revision in revisions.items()) % 2**64)


# A line of the overview, as the whole municipality's kept counts keep it.
LINE = ("pk", "name", "code", *COUNTS, "not_enrolled", "is_unit")


def departments_of(scope: Scope, *, unit=None, department=None):
    """The departments a report or forecast for ``scope`` shows: all of the scope's, or
    one administration or centre's (itself and its departments), or one department."""
    departments = scope.departments
    if unit is not None:
        departments = departments.filter(Q(pk=unit.pk) | Q(parent=unit))
    if department is not None:
        departments = departments.filter(pk=department.pk)
    return departments


def for_scope(
    programme: Programme,
    scope: Scope,
    now: dt.datetime,
    *,
    unit=None,
    department=None,
    moments: bool = False,
) -> Kept:
    """The kept counts a report or forecast for ``scope`` shows (see
    :func:`departments_of`): HR's whole municipality from its own kept rows.
    ``moments``: the weekly series' moments too (the forecast page)."""
    if scope.is_hr and unit is None and department is None:
        return whole(programme, now, moments=moments)
    departments = departments_of(scope, unit=unit, department=department)
    return kept(programme, departments, now, moments=moments)


def _keep_series(
    programme: Programme, version: str, now, until, moments: list[Counter], revisions: dict
) -> None:
    """Keep the municipality's weekly series' moments (kind ``series``) under ``version``,
    with the fingerprint of the revisions of the departments' rows they were summed
    from."""
    data = {
        "moments": [[[m, n] for m, n in series.items()] for series in moments],
        "fingerprint": fingerprint(revisions),
    }
    ProgrammeTally.keep(programme, ProgrammeTally.Kind.SERIES, version, now, until, data)


def whole(programme: Programme, now: dt.datetime, *, moments: bool = False) -> Kept:
    """The kept counts of every department, summed (:class:`~programme.models
    .ProgrammeTally`): two queries while no leader's write has replaced them and no
    department's count has expired. After a booking, the departments it touched are
    counted again and the kept sum corrected by their difference (:func:`_by_difference`);
    where that cannot be, summed again from every department's row (:func:`kept`, which
    counts again those that changed). Either is kept.

    ``moments``: the weekly series' moments too (the forecast page), kept in a row of
    their own (kind ``series``, one query more): summing them reads every department's
    moments (2 MB of JSON at 30,000 leaders), which the other pages skip. With the counts
    kept and the series not, the series are added up from the departments' kept rows when
    every one is good (:func:`_kept_series`), not counted again."""
    current = page_versions.versions([page_versions.SOME_DEPARTMENT, page_versions.ALL_DEPARTMENTS])
    version = "|".join(current[k] for k in sorted(current))
    row = ProgrammeTally.row(programme, ProgrammeTally.Kind.MUNICIPALITY)
    data = row["data"] if row is not None and ProgrammeTally.good(row, version, now) else None
    if data is None and row is not None:
        corrected = _by_difference(programme, now, row["data"], moments=moments)
        if corrected is not None:
            found, series = corrected
            until = found.valid_until or now
            data = found.as_json()
            ProgrammeTally.keep(
                programme, ProgrammeTally.Kind.MUNICIPALITY, version, now, until, data
            )
            if not moments:
                return found
            if series is not None:
                found.needs.moments = series
                _keep_series(programme, version, now, until, series, found.revisions)
                return found
            # The series were not kept from the same rows: added up from them below.
    if data is not None:
        found = Kept.from_json(data)
        if not moments:
            return found
        series = ProgrammeTally.read(programme, ProgrammeTally.Kind.SERIES, version, now)
        if series is not None:
            found.needs.moments = [Counter(dict(pairs)) for pairs in series["moments"]]
            return found
        # The counts were summed again without the series (an overview after a booking):
        # the departments' rows are good, so their moments are added up, not counted.
        summed = _kept_series(programme, now)
        if summed is not None:
            found.needs.moments, until, revisions = summed
            _keep_series(programme, version, now, until, found.needs.moments, revisions)
            return found
    found = kept(programme, Department.objects.all(), now, moments=moments)
    until = found.valid_until or now
    if data is None:
        ProgrammeTally.keep(
            programme, ProgrammeTally.Kind.MUNICIPALITY, version, now, until, found.as_json()
        )
    if moments:
        _keep_series(programme, version, now, until, found.needs.moments, found.revisions)
    return found


# Up to this many departments counted again, the municipality's kept sum is corrected by
# their difference; more (every department's version replaced at once: a leader moved,
# an import, HR's edits, midnight): summed again from every row. Both ways count the
# stale departments again; correcting reads only theirs besides. An attendance sheet
# touches a cohort's leaders, from about as many departments as it has leaders (25 at
# 30,000 leaders): with the limit at 20 every sheet summed the municipality again (median
# 92-97 ms after a sheet at 30,000 leaders, 66-74 ms corrected). The limit keeps the
# lists of departments named in the queries short (measured up to 30).
BY_DIFFERENCE = 200
# What a department's row adds to the municipality's needs, besides its line's counts.
NEED_PARTS = {
    "completed": "outlook_completed",
    "on_course": "on_course",
    "unseated": "unseated",
    "place": "need_place",
}


def _by_difference(
    programme: Programme, now: dt.datetime, old: dict, *, moments: bool
) -> tuple[Kept, list[Counter] | None] | None:
    """The municipality's counts from the sum kept before (``old``, a ``municipality``
    row's data, stale now): the departments whose rows are no longer good are counted
    again (:func:`reports.recount.count`), and the sum corrected by how their new rows
    differ from the rows it holds. With ``moments``, the weekly series kept from the same
    rows are corrected too (else the series are None: add them up from the rows).

    Exact, or None (sum every row again): the sum holds the :func:`fingerprint` of the
    revisions of the rows it holds, and the rows taken out are read with theirs. A row
    counted again since the sum (by another page), a department's leaders changed, more
    than ``BY_DIFFERENCE`` rows to count, or the version every department carries
    replaced: None. Reads from
    the database that takes the writes. Six queries (seven with the series), and the
    counting's (:func:`reports.recount.count`) and two more when a row is counted again."""
    recorded = old.get("fingerprint")
    current = page_versions.department_versions(None)
    every = current[page_versions.ALL_DEPARTMENTS]
    if recorded is None or old.get("every") != every:
        return None
    using = router.db_for_write(DepartmentTally)
    mine = DepartmentTally.objects.db_manager(using).filter(programme=programme)
    rows = {
        row["department_id"]: row
        for row in mine.order_by()
        .annotate(in_time=DepartmentTally.in_time(now))
        .values("department_id", "version", "in_time", "revision")
    }
    revisions = {pk: row["revision"] for pk, row in rows.items()}
    if fingerprint(revisions) != recorded:
        # A row counted again by another page since (or one added, or gone): the sum
        # does not hold the rows as they are.
        return None
    stale = [
        pk
        for pk, row in rows.items()
        if not row["in_time"] or row["version"] != version_of(current, every, pk)
    ]
    if len(stale) > BY_DIFFERENCE:
        return None
    series_row = (
        ProgrammeTally.row(programme, ProgrammeTally.Kind.SERIES, using) if moments else None
    )
    with_series = series_row is not None and series_row["data"].get("fingerprint") == recorded
    series = (
        [Counter(dict(pairs)) for pairs in series_row["data"]["moments"]] if with_series else None
    )
    found = Kept.from_json(old)
    if stale:
        # What the sum holds of them: their needs, then their rows. A count committed in
        # between shows in the rows' revisions.
        old_needs = list(
            TallyNeed.objects.db_manager(using)
            .filter(tally__programme=programme, tally__department__in=stale)
            .values_list("tally__department_id", "own_cohort", "missing", "leaders")
        )
        before = {
            row["department_id"]: row
            for row in mine.filter(department__in=stale).values(
                "department_id",
                "revision",
                *COUNTS,
                *NEED_PARTS.values(),
                *(["moments"] if with_series else []),
            )
        }
        if any(pk not in before or before[pk]["revision"] != revisions[pk] for pk in stale):
            return None
        after, needs = count(programme, stale, now, current, every)
        units = _units_of(stale, using)
        for pk in stale:
            old_makeups = Counter(
                {
                    (own, tuple(int(m) for m in missing.split(","))): n
                    for department, own, missing, n in old_needs
                    if department == pk
                }
            )
            new_makeups = needs[pk].makeups if pk in needs else Counter()
            if not _correct(
                found, series, units[pk], before[pk], after[pk], old_makeups, new_makeups
            ):
                return None
            revisions[pk] = after[pk]["revision"]
        if not _settled(found, series):
            return None
    found.revisions, found.every = revisions, every
    found.valid_until = mine.aggregate(until=Min("valid_until"))["until"]
    return found, series


def _units_of(departments: list[int], using: str) -> dict[int, tuple[int, str]]:
    """Each department's unit (``DepartmentQuerySet.with_unit``): its id and name, as
    the municipality's lines and counts without a place are kept."""
    return {
        pk: (unit, name)
        for pk, unit, name in Department.objects.db_manager(using)
        .filter(pk__in=departments)
        .with_unit()
        .values_list("pk", "unit", "unit_name")
    }


def _correct(found: Kept, series, unit, old: dict, new: dict, old_makeups, new_makeups) -> bool:
    """Take one department's row ``old`` out of ``found`` (and ``series``) and put its
    row ``new`` in; False where that cannot be done exactly (its leaders changed, or it
    has counts and no line)."""
    if old["leaders"] != new["leaders"]:
        return False
    unit_pk, unit_name = unit
    change = {name: new[name] - old[name] for name in COUNTS}
    line = next((line for line in found.unit_lines if line.pk == unit_pk), None)
    if line is None:
        if any(change.values()):
            return False
    else:
        for name, difference in change.items():
            setattr(line, name, getattr(line, name) + difference)
        line.not_enrolled -= change["enrolled"] + change["waitlisted"]
    for part, column in NEED_PARTS.items():
        setattr(found.needs, part, getattr(found.needs, part) + new[column] - old[column])
    found.unseated[unit_name] += new["unseated"] - old["unseated"]
    found.needs.makeups.subtract(old_makeups)
    found.needs.makeups.update(new_makeups)
    if series is not None:
        for number, pairs in enumerate(old["moments"]):
            for moment, n in pairs:
                series[number][moment] -= n
        for number, pairs in enumerate(new["moments"]):
            for moment, n in pairs:
                series[number][moment] += n
    return True


def _settled(found: Kept, series) -> bool:
    """Drop what fell to nothing; False if anything fell below it (the sum did not hold
    what was taken out)."""
    for counter in (found.unseated, found.needs.makeups, *(series or ())):
        if any(n < 0 for n in counter.values()):
            return False
        for key in [key for key, n in counter.items() if n == 0]:
            del counter[key]
    lines = all(
        getattr(line, name) >= 0 for line in found.unit_lines for name in (*COUNTS, "not_enrolled")
    )
    return lines and all(getattr(found.needs, part) >= 0 for part in NEED_PARTS)


def _kept_series(
    programme: Programme, now: dt.datetime
) -> tuple[list[Counter], dt.datetime, dict[int, int]] | None:
    """Every department's weekly-series moments summed from their kept rows, until when
    they hold and the rows' revisions, if every department's row is good now (as
    :func:`kept` finds them); else None (they must be counted again). Three queries."""
    current = page_versions.department_versions(None)
    every = current[page_versions.ALL_DEPARTMENTS]
    mine = DepartmentTally.objects.filter(programme=programme)
    rows = {
        row["department_id"]: row
        for row in mine.order_by().values(
            "department_id", "version", "counted_at", "valid_until", "revision"
        )
    }
    until = None
    for pk in Department.objects.order_by().values_list("pk", flat=True):
        row = rows.get(pk)
        if row is None or not DepartmentTally.good(row, version_of(current, every, pk), now):
            return None
        until = row["valid_until"] if until is None else min(until, row["valid_until"])
    revisions = {pk: row["revision"] for pk, row in rows.items()}
    return _moments_summed(mine), until or now, revisions


def kept(programme: Programme, departments, now: dt.datetime, *, moments: bool = False) -> Kept:
    """The kept counts of ``departments`` (a queryset) at ``now``, counting again those
    whose row is missing, stale or expired. Five queries (six with the ``moments`` of
    the weekly series), and six more when any department must be counted again."""
    rows = list(
        departments.order_by()
        .with_unit()
        .annotate(
            # The overview's order by department (by unit: the order of this query).
            by_name=Window(RowNumber(), order_by=[F("name").asc(), F("pk").asc()]),
        )
        .values_list("pk", "name", "code", "unit", "unit_name", "unit_code", "by_name")
        .order_by("unit_name", "unit", "name", "pk")
    )
    ids = [row[0] for row in rows]
    # The versions before the leaders: a row is never older than the version it is under.
    few = len(ids) <= FEW
    current = page_versions.department_versions(ids if few else None)
    every = current[page_versions.ALL_DEPARTMENTS]
    # Whether each row is still good by the clock is asked of the database: the whole
    # municipality's 1,550 rows would otherwise each bring two moments to parse. Many
    # departments are named by a subquery, not by 1,550 parameters.
    tallies = {
        t["department_id"]: t
        for t in DepartmentTally.objects.filter(
            programme=programme, department__in=ids if few else departments.values("pk")
        )
        .order_by()
        .annotate(in_time=DepartmentTally.in_time(now))
        .values("department_id", "version", "in_time", "revision", *COUNTS, "unseated")
    }
    stale = []
    for pk, *_rest in rows:
        tally = tallies.get(pk)
        version = version_of(current, every, pk)
        if tally is None or not tally["in_time"] or tally["version"] != version:
            stale.append(pk)
    if stale:
        tallies.update(count(programme, stale, now, current, every)[0])
    counted = [
        Counted(
            department=pk,
            name=name,
            code=code,
            unit=unit,
            unit_name=unit_name,
            unit_code=unit_code,
            by_name=by_name,
            unseated=tallies[pk]["unseated"],
            **{field_: tallies[pk][field_] for field_ in COUNTS},
        )
        for pk, name, code, unit, unit_name, unit_code, by_name in rows
    ]
    unseated: Counter = Counter()
    for one in counted:
        if one.unseated:
            unseated[one.unit_name] += one.unseated
    # Counted again just now: summed where they were written (a replica may not have them).
    using = router.db_for_write(DepartmentTally) if stale else None
    needs, until = _summed(programme, departments, moments=moments, using=using)
    revisions = {pk: tallies[pk]["revision"] for pk in ids}
    return Kept(
        needs, unseated, departments=counted, valid_until=until, revisions=revisions, every=every
    )


def _summed(
    programme: Programme, departments, *, moments: bool, using: str | None
) -> tuple[Needs, dt.datetime | None]:
    """The forecast's parts of these departments' kept counts, summed by the database
    (``using``: that one, else the one the request reads), and the first moment at which
    one of their rows is no longer good by the clock."""
    mine = DepartmentTally.objects.db_manager(using).filter(
        programme=programme, department__in=departments
    )
    totals = mine.aggregate(
        total=Coalesce(Sum("leaders"), 0),
        completed=Coalesce(Sum("outlook_completed"), 0),
        on_course=Coalesce(Sum("on_course"), 0),
        unseated=Coalesce(Sum("unseated"), 0),
        place=Coalesce(Sum("need_place"), 0),
        until=Min("valid_until"),
    )
    until = totals.pop("until")
    needs = Needs(**totals)
    for own, missing, n in (
        TallyNeed.objects.db_manager(using)
        .filter(tally__in=mine)
        .order_by()
        .values_list("own_cohort", "missing")
        .annotate(n=Sum("leaders"))
    ):
        needs.makeups[own, tuple(int(m) for m in missing.split(","))] += n
    if moments:
        needs.moments = _moments_summed(mine)
    return needs, until


def _moments_summed(tallies) -> list[Counter]:
    """The weekly series' moments of these kept rows (a ``DepartmentTally`` queryset; each
    row's ``moments`` a list of series of [moment, leaders] pairs), summed per series and
    moment by the database: at 30,000 leaders the 1,550 rows hold 2 MB of JSON, which
    took about 65 ms to bring over and add up in Python. One query."""
    series = Needs().moments
    inner, params = tallies.order_by().values("moments").query.sql_with_params()
    connection = connections[tallies.db]
    if connection.vendor == "postgresql":
        sql = (
            "SELECT s.number - 1, (p.pair ->> 0)::bigint, SUM((p.pair ->> 1)::bigint)::bigint"  # noqa: S608
            f" FROM ({inner}) tally"  # the ORM's own SQL, its values as parameters
            " CROSS JOIN LATERAL jsonb_array_elements(tally.moments)"
            " WITH ORDINALITY AS s(pairs, number)"
            " CROSS JOIN LATERAL jsonb_array_elements(s.pairs) AS p(pair)"
            " GROUP BY 1, 2"
        )
    else:  # SQLite's JSON functions
        sql = (
            "SELECT CAST(s.key AS INTEGER), json_extract(p.value, '$[0]'),"  # noqa: S608
            " SUM(json_extract(p.value, '$[1]'))"
            f" FROM ({inner}) tally, json_each(tally.moments) s, json_each(s.value) p"
            " GROUP BY 1, 2"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for number, moment, n in cursor.fetchall():
            series[number][moment] += n
    return series


def outlook_counts(needs: Needs, chances: Chances) -> dict[str, int]:
    """The four outlooks' counts from what a group of leaders needs and the seats left."""
    counts = dict.fromkeys(Outlook.ORDER, 0)
    counts[Outlook.COMPLETED] = needs.completed
    counts[Outlook.ON_COURSE] = needs.on_course
    if needs.place:
        outlook, _module = outlook_from_need(None, [0], False, None, chances)
        counts[outlook] += needs.place
    for (own, missing), n in needs.makeups.items():
        outlook, _module = outlook_from_need(None, list(missing), True, own, chances)
        counts[outlook] += n
    return counts


def department_rows(kept: Kept, *, by_unit: bool) -> tuple[list[DepartmentRow], DepartmentRow]:
    """The overview's lines (:func:`reports.rules.department_summary`'s shape) from the
    kept counts: one per department, or per administration or centre (``by_unit``),
    in the same order; departments without leaders are left out, as there."""
    if kept.departments is None:  # the whole municipality: kept per unit
        if not by_unit:
            raise ValueError("The whole municipality's counts are kept per unit only.")
        return kept.unit_lines, _total(kept.unit_lines)
    lines: dict[int, DepartmentRow] = {}
    for one in kept.departments:
        if not one.leaders:
            continue
        if by_unit:
            key, name, code = one.unit, one.unit_name, one.unit_code
        else:
            key, name, code = one.department, one.name, one.code
        line = lines.get(key)
        if line is None:
            line = lines[key] = DepartmentRow(pk=key, name=name, code=code)
        for attribute in COUNTS:
            setattr(line, attribute, getattr(line, attribute) + getattr(one, attribute))
        line.not_enrolled += one.leaders - one.enrolled - one.waitlisted
        if by_unit and one.unit != one.department:
            line.is_unit = True
    result = list(lines.values())
    if not by_unit:
        order = {one.department: one.by_name for one in kept.departments}
        result.sort(key=lambda line: order[line.pk])
    return result, _total(result)


def _total(lines: list[DepartmentRow]) -> DepartmentRow:
    total = DepartmentRow(pk=0, name=str(_("Total")), code="")
    for line in lines:
        for attribute in (*COUNTS, "not_enrolled"):
            setattr(total, attribute, getattr(total, attribute) + getattr(line, attribute))
    return total
