"""What may ever be shown about people: statistics counted only in whole blocks.

The one rule for every aggregate about people (the self-assessment; later the session
evaluations). No combination of the numbers the portal ever shows, under any filter,
in any format, to any role, at any two moments, may narrow a group below
``settings.ASSESSMENT_MIN_GROUP`` people (*k*). Suppressing small cells one table at a
time does not give that (two filtered totals that differ by one person give that person
away), so numbers are built from *blocks* instead:

1. **Entries, frozen.** A person's contribution becomes an *entry* once, when it is
   complete (for the self-assessment: both rounds answered). It keeps its values and
   its *path* as they are then: a later revision, a move to another unit or
   anonymisation changes nothing in the statistics (a change that reached them would
   change a shown number while its group stayed the same).
2. **Blocks, in the leaf unit.** Entries wait in their leaf unit's pool; as soon as a
   pool holds *k*, those *k* (in order of arrival) become a *block*, in the same
   transaction that added the entry (the scope's row is locked, so two arrivals cannot
   take the same waiting entries).
3. **Leftovers, combined upwards once the answers are in.** When the answer window has
   closed (:func:`close`), the entries still waiting are pooled per parent unit and cut
   into blocks of *k*, and what is still left over is pooled over the whole and cut
   into blocks of *k*. Fewer than *k* remain, and they are never counted. (A kind in
   which a person has an entry per parent, :data:`ONE_PER_PARENT`, stops at the
   parents: over the whole, one person could fill a block.)
4. **Every number is over whole blocks.** A unit's numbers (an average, the count
   behind it) are over the blocks formed in it and under it (:func:`tally`). So every
   set of people ever shown is a union of blocks of *k*: the difference between any two
   of them, the union of any of them, any sum or difference of shown numbers, now or
   at any two moments, covers whole blocks, i.e. nobody or at least *k* people.

Units are strings, so the rule knows nothing about what they are. A :class:`Path` is
three levels: ``leaf`` (e.g. ``"department:12"``), ``parent`` (``"area:3"``) and
``whole`` (``"programme:1"``); the session evaluations use session, module and
programme (:mod:`evaluations.rules`). A page may show any leaf, any parent, the whole,
or any union of leaves: all are unions of blocks. It must not show a set cut any other
way (by the people's level or cohort, say): that set is not made of blocks.

Counts are block sizes summed: multiples of *k*. A unit with no block shows no count
and no numbers.

The blocks are cut at the minimum in force when they form: choose
``ASSESSMENT_MIN_GROUP`` before the answers start arriving.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum

from programme import page_versions
from programme.db import copy_rows
from programme.models import StatisticsBlock, StatisticsEntry, StatisticsScope, StatisticsValue

Level = StatisticsBlock.Level
# Entries placed in their blocks by one UPDATE (two parameters each).
PLACED_AT_ONCE = 5000


def min_group() -> int:
    """*k*: the fewest people any shown number is about, and the size of every block."""
    return settings.ASSESSMENT_MIN_GROUP


@dataclass(frozen=True)
class Path:
    """Where an entry lies: its leaf unit, the leaf's parent, and the whole."""

    leaf: str
    parent: str
    whole: str


@dataclass(frozen=True)
class Contribution:
    """One person's complete contribution, to be counted once (by ``subject``).

    ``values`` maps a measure (e.g. ``"baseline:it"``) to (sum of scores, number of scores).
    """

    subject: str
    path: Path
    arrived_at: dt.datetime
    values: dict[str, tuple[int, int]]


def _locked_scope(kind: str, whole: str) -> StatisticsScope:
    StatisticsScope.objects.get_or_create(kind=kind, whole=whole)
    return StatisticsScope.objects.select_for_update().get(kind=kind, whole=whole)


def _cut(
    scope: StatisticsScope, level: str, waiting: list[StatisticsEntry], now: dt.datetime | None
) -> list[StatisticsBlock]:
    """Cut each pool of waiting entries (``waiting`` in order of arrival) into blocks of
    exactly *k*, oldest first; a pool's rest keeps waiting. ``now``: when they form (None:
    when the entry that completes each block arrived)."""
    k = min_group()
    pools: dict[str, list[StatisticsEntry]] = defaultdict(list)
    for entry in waiting:
        key = {Level.LEAF: entry.leaf, Level.PARENT: entry.parent, Level.WHOLE: ""}[level]
        pools[key].append(entry)
    planned: list[tuple[StatisticsBlock, list[StatisticsEntry]]] = []
    for members in pools.values():
        for start in range(0, len(members) - k + 1, k):
            chunk = members[start : start + k]
            last = chunk[-1]
            block = StatisticsBlock(
                scope=scope,
                level=level,
                # A leaf's block lies under the leaf's parent when it forms, which is the
                # parent its last entry arrived with (it arrives in this transaction).
                leaf=last.leaf if level == Level.LEAF else "",
                parent=last.parent if level != Level.WHOLE else "",
                size=k,
                formed_at=now or last.arrived_at,
            )
            planned.append((block, chunk))
    blocks = StatisticsBlock.objects.bulk_create([block for block, _chunk in planned])
    _place_in_blocks(
        [
            (entry.pk, block.pk)
            for block, (_planned, chunk) in zip(blocks, planned, strict=True)
            for entry in chunk
        ]
    )
    return blocks


def _place_in_blocks(pairs: list[tuple[int, int]]) -> None:
    """Each (entry, block): the entry is in the block. One UPDATE per few thousand (a
    national load forms tens of thousands of blocks), not one per block."""
    if not pairs:
        return
    table = connection.ops.quote_name(StatisticsEntry._meta.db_table)
    for start in range(0, len(pairs), PLACED_AT_ONCE):
        chunk = pairs[start : start + PLACED_AT_ONCE]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET block_id = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
                f"WHERE {table}.id = v.column1",
                [number for pair in chunk for number in pair],
            )
    # Raw SQL goes around the QuerySet: the kept pages it changes, said here.
    page_versions.written(StatisticsEntry)


def _waiting(scope: StatisticsScope, **where) -> list[StatisticsEntry]:
    return list(
        StatisticsEntry.objects.filter(scope=scope, block__isnull=True, **where).order_by(
            "arrived_at", "pk"
        )
    )


# Kinds in which a person has an entry in each of several parents (the session
# evaluations: one per module a leader attended; the database holds one per module). A
# leaf's and a parent's pool hold a person once, but the whole's could hold one person's
# entries from several parents and fill a block with fewer than k people: their
# leftovers combine per parent only, and what is left after that is never counted.
ONE_PER_PARENT = frozenset({"evaluation"})


def _combine_leftovers(scope: StatisticsScope, now: dt.datetime) -> int:
    formed = _cut(scope, Level.PARENT, _waiting(scope), now)
    if scope.kind not in ONE_PER_PARENT:
        formed += _cut(scope, Level.WHOLE, _waiting(scope), now)
    return len(formed)


# Entries written, with their values, this many at a time (each is a model instance
# until written: a national load's would hold hundreds of megabytes at once).
ENTRIES_AT_ONCE = 10_000


@transaction.atomic
def add(kind: str, contributions: Iterable[Contribution]) -> int:
    """Count each contribution once (a subject already counted is skipped, whatever its
    values now), and form the blocks its leaf's pool completes. Returns how many were
    new. The one way in for one arrival and for many (demo data, imports)."""
    by_whole: dict[str, dict[str, Contribution]] = defaultdict(dict)
    for contribution in sorted(contributions, key=lambda c: (c.arrived_at, c.subject)):
        by_whole[contribution.path.whole].setdefault(contribution.subject, contribution)
    added = 0
    for whole, by_subject in by_whole.items():
        if len(by_subject) <= 1000 and StatisticsEntry.objects.filter(
            scope__kind=kind, scope__whole=whole, subject__in=list(by_subject)
        ).count() == len(by_subject):
            continue  # all counted already (a revision): no need to wait for the lock
        scope = _locked_scope(kind, whole)
        counted = StatisticsEntry.objects.filter(scope=scope)
        if len(by_subject) <= 1000:  # one arrival, or a few: no need to read them all
            counted = counted.filter(subject__in=list(by_subject))
        counted = set(counted.values_list("subject", flat=True))
        new = [c for subject, c in by_subject.items() if subject not in counted]
        if not new:
            continue
        for start in range(0, len(new), ENTRIES_AT_ONCE):  # a national load: in parts
            part = new[start : start + ENTRIES_AT_ONCE]
            entries = StatisticsEntry.objects.bulk_create(
                StatisticsEntry(
                    scope=scope,
                    subject=c.subject,
                    leaf=c.path.leaf,
                    parent=c.path.parent,
                    arrived_at=c.arrived_at,
                )
                for c in part
            )
            copy_rows(  # streamed: a national load's values are millions
                StatisticsValue,
                ["entry_id", "measure", "total", "count"],
                (
                    (entry.pk, measure, total, count)
                    for entry, c in zip(entries, part, strict=True)
                    for measure, (total, count) in c.values.items()
                ),
            )
        leaves = sorted({c.path.leaf for c in new})
        _cut(scope, Level.LEAF, _waiting(scope, leaf__in=leaves), None)
        if scope.closed_at is not None:
            # Arrived after the window closed (not through the pages): combined at once.
            _combine_leftovers(scope, scope.closed_at)
        added += len(new)
    return added


@transaction.atomic
def close(kind: str, whole: str, now: dt.datetime) -> bool:
    """The answer window has closed: combine the leftovers (per parent, then over the
    whole) into blocks. Once per scope; False if it was closed already."""
    scope = _locked_scope(kind, whole)
    if scope.closed_at is not None:
        return False
    _combine_leftovers(scope, now)
    scope.closed_at = now
    scope.save(update_fields=["closed_at"])
    return True


def is_closed(kind: str, whole: str) -> bool:
    return StatisticsScope.objects.filter(kind=kind, whole=whole, closed_at__isnull=False).exists()


# --- Reading: the union of blocks under a unit ------------------------------------------


@dataclass
class Cell:
    """A unit's numbers: the people behind them (whole blocks) and, per measure, the sum
    of scores and their number. ``people == 0``: no block yet, nothing to show."""

    unit: str
    people: int = 0
    sums: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, people: int, sums: dict[str, list[int]]) -> None:
        self.people += people
        for measure, (total, count) in sums.items():
            self.sums[measure][0] += total
            self.sums[measure][1] += count


def _selected(kind: str, whole: str, leaves: Iterable[str] | None, parent: str | None):
    blocks = StatisticsBlock.objects.filter(scope__kind=kind, scope__whole=whole)
    if leaves is not None:
        blocks = blocks.filter(leaf__in=list(leaves))
    if parent is not None:
        blocks = blocks.filter(parent=parent)
    return blocks


def tally(
    kind: str,
    whole: str,
    *,
    by: str,
    leaves: Iterable[str] | None = None,
    parent: str | None = None,
) -> tuple[dict[str, Cell], Cell]:
    """The cells of one grouping (``by`` = ``"leaf"`` or ``"parent"``) and their total,
    over the blocks of the whole, or only those in ``leaves``, or only those under
    ``parent``. Two queries, whatever the number of people.

    The total is over every block selected, so it may hold blocks that lie in no listed
    cell (those combined at the parent or the whole): still whole blocks.
    """
    blocks = _selected(kind, whole, leaves, parent)
    # Per (leaf, parent): a few hundred rows at most, rolled up here.
    sizes = blocks.values("leaf", "parent").annotate(people=Sum("size")).order_by()
    values = (
        StatisticsValue.objects.filter(entry__block__in=blocks)
        .values("entry__block__leaf", "entry__block__parent", "measure")
        .annotate(total=Sum("total"), count=Sum("count"))
        .order_by()
    )
    parts: dict[tuple[str, str], Cell] = {}
    for row in sizes:
        parts[(row["leaf"], row["parent"])] = Cell(unit="", people=row["people"])
    for row in values:
        part = parts.setdefault(
            (row["entry__block__leaf"], row["entry__block__parent"]), Cell(unit="")
        )
        part.sums[row["measure"]][0] += row["total"]
        part.sums[row["measure"]][1] += row["count"]
    cells: dict[str, Cell] = {}
    total = Cell(unit=whole if leaves is None and parent is None else "")
    for (leaf, upper), part in parts.items():
        total.add(part.people, part.sums)
        unit = leaf if by == Level.LEAF else upper
        if unit:
            cells.setdefault(unit, Cell(unit=unit)).add(part.people, part.sums)
    return cells, total


def members(
    kind: str,
    whole: str,
    *,
    by: str,
    leaves: Iterable[str] | None = None,
    parent: str | None = None,
) -> tuple[dict[str, list[str]], list[str]]:
    """The subjects behind :func:`tally`'s cells and total, selected the same way (one
    query): for what is shown beside the numbers, such as free text without names.
    Every list is whole blocks, so it may be shown wherever the numbers are."""
    rows = (
        StatisticsEntry.objects.filter(block__in=_selected(kind, whole, leaves, parent))
        .values_list("block__leaf", "block__parent", "subject")
        .order_by("subject")
    )
    cells: dict[str, list[str]] = defaultdict(list)
    total: list[str] = []
    for leaf, upper, subject in rows:
        total.append(subject)
        unit = leaf if by == Level.LEAF else upper
        if unit:
            cells[unit].append(subject)
    return dict(cells), total
