"""The versions of the kept pages, and the writes that replace them (the model layer of
:mod:`programme.pagecache`, which explains the design).

A write that changes what a kept page shows adds :class:`PageWrite` rows in its own
transaction, so the page's version changes when, and only when, it commits. Every such
write goes through :func:`written`: the receivers of :mod:`programme.pagecache` (a save
or delete of one row), the default QuerySet of every model a page shows
(:class:`KeptQuerySet`: ``update``, ``bulk_create``, ``bulk_update``, ``delete``), and the
few writers that go around the ORM (COPY, ``UPDATE ... FROM (VALUES ...)``), which call it
themselves next to their SQL. It sits below the models (they build their managers on
:class:`KeptQuerySet`) and imports none of the project's modules.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router, transaction
from django.db.models import Count, F, Sum
from django.utils.translation import gettext_lazy as _

OTHERS = "others"
ANY = "any"
# Rows shown only on shared pages, or in their header (a reminder sent, a user's name and
# roles): replaced with ANY by every write to them. A shared page kept under the versions
# of the rows it shows rather than under ANY (a department's report page) carries it with
# OTHERS, so that only the writes to its own leaders, to what every page shows and to
# these rows replace it (programme.pagecache.kept_page).
SHARED_ROWS = "shared"
PROGRAMME = "page:programme"
# A key's rows are folded into one when a reader finds more than this many.
FOLD_AT = 100
TAG_MODULUS = 2**31
LEADER_PREFIX = "leader:"
# A department's leaders: every write that replaces a leader's version replaces their
# department's too (the kept counts per department, reports.tallies). ALL_DEPARTMENTS:
# every department's (a write to the leaders themselves may move one to another).
DEPARTMENT_PREFIX = "department:"
ALL_DEPARTMENTS = "department:*"
# Replaced with any department's (the kept counts of the whole municipality).
SOME_DEPARTMENT = "departments"
# Replaced by every write to a leader's place or make-up booking (OWNED rows): with
# OTHERS (cohorts, sessions, reservations, named seats, modules, the programme: every
# write to them replaces it), the version of the seats left (reports.chances), which an
# attendance sheet, an evaluation or an initiative leaves as it is.
SEATS = "seats"
# The leaders' own rows that take a seat.
SEAT_ROWS = frozenset({"enrolment", "makeupbooking"})
# More leaders than this in one write: every department's version, not each one's.
DEPARTMENTS_FROM = 500


def leader_version(leader_id: int) -> str:
    return f"{LEADER_PREFIX}{leader_id}"


def department_version(department_id: int) -> str:
    return f"{DEPARTMENT_PREFIX}{department_id}"


class PageWrite(models.Model):
    """A committed write that changed what a kept page shows (:mod:`programme.pagecache`).

    A key's version is the sum of its rows' ``writes`` and ``tag``: a row is inserted in
    the writing transaction, so the version changes exactly when the write commits, and
    writers never wait for each other (no row is updated). Readers fold a key's rows into
    one now and then; the sums stay the same. The random ``tag`` keeps a rolled-back
    write's version from ever equalling a later committed one.
    """

    key = models.CharField(_("key"), max_length=40, db_index=True)
    writes = models.PositiveBigIntegerField(_("writes"), default=1)
    tag = models.BigIntegerField(_("tag"))

    class Meta:
        verbose_name = _("page write")
        verbose_name_plural = _("page writes")
        # Bookkeeping, not data: no one is given rights to these rows.
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key}: {self.writes}"


# What a write to a row of each kind of model replaces.
OWNED, SHARED, EVERYTHING = "owned", "shared", "everything"


@dataclass
class _Pending:
    keys: set[str]
    selects: list[tuple[str, list]]


_pending: ContextVar[_Pending | None] = ContextVar("pagecache_pending", default=None)
# Set while bulk_update runs: its UPDATEs are bumped by bulk_update itself.
_bumped_by_caller: ContextVar[bool] = ContextVar("pagecache_bumped_by_caller", default=False)


def kind_of(model) -> str | None:
    """What a write to this model's rows replaces: its owners' pages and the shared ones
    (OWNED), only the shared pages (SHARED), every page (EVERYTHING), or nothing (None:
    rows no page shows)."""
    name = model._meta.model_name
    if model._meta.app_label not in PORTAL_APPS or name in _NOT_SHOWN:
        return None
    if name.startswith("historical"):
        return None
    if name in _SHARED_ONLY:
        return SHARED
    return OWNED if name in _OWNER else EVERYTHING


def _any(model) -> set[str]:
    """What every write to this model's rows replaces: ANY, and SEATS for a place or a
    make-up booking."""
    return {ANY, SEATS} if model._meta.model_name in SEAT_ROWS else {ANY}


def written(model, leader_ids: Iterable[int | None] | None = None) -> None:
    """Rows of ``model`` were (or are being) written in the caller's transaction: every
    kept page that shows them is out of date once it commits. ``leader_ids``: the
    leaders whose rows they are (None: unknown, every leader's); ignored for a model no
    single leader owns. The one function the writers around the ORM (COPY, raw SQL) call."""
    kind = kind_of(model)
    if kind is None:
        return
    _leaders_written(model)
    if kind == SHARED:
        _bump({ANY, SHARED_ROWS})
    elif kind == EVERYTHING or leader_ids is None:
        _bump({ANY, OTHERS})
    else:
        _bump({*_any(model), *(leader_version(pk) for pk in leader_ids if pk is not None)})


def _leaders_written(model) -> None:
    """A write to the leaders' own rows may move one to another department: every
    department's kept counts are replaced (rare: imports, HR's edits, leavers)."""
    if model._meta.model_name == "leader" and model._meta.app_label == "programme":
        _bump({ALL_DEPARTMENTS})


def leaders_changed(leader_ids: Iterable[int | None] | None) -> None:
    """Every kept page of these leaders (None: of all leaders) is out of date once the
    caller's transaction commits, and every kept page that shows more than one leader."""
    if leader_ids is None:
        everything_changed()
        return
    # Which of their rows changed is not said: their places among them.
    _bump({ANY, SEATS, *(leader_version(pk) for pk in leader_ids if pk is not None)})


def everything_changed() -> None:
    _bump({ANY, OTHERS})


def something_changed() -> None:
    """A write no leader's own page shows, but a shared page may (a reminder sent)."""
    _bump({ANY, SHARED_ROWS})


@contextmanager
def batch():
    """Within it, the writes' version rows are gathered and inserted in one statement at
    the end (a bulk writer's several writes cost one query). An economy only: outside it
    every write inserts its rows at once. Leave it inside the writers' transaction."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending(set(), [])
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        _pending.reset(token)
        if not transaction.get_connection().needs_rollback:
            _insert(pending)  # what was written before the error may stay written
        raise
    _pending.reset(token)
    _insert(pending)


def _bump(keys: set[str], selects: list[tuple[str, list]] = ()) -> None:
    """Replace these keys' versions, and those of the keys the ``selects`` (SQL with one
    column, ``owner``: leader ids) find when they run."""
    pending = _pending.get()
    if pending is not None and OTHERS in pending.keys:
        return  # every page is replaced already: no need to gather the leaders
    if pending is not None:
        pending.keys.update(keys)
        pending.selects.extend(selects)
    else:
        _insert(_Pending(set(keys), list(selects)))


def _insert(pending: _Pending) -> None:
    """A row per key, in the caller's transaction: it commits or rolls back with the
    write. (A write outside any transaction commits a moment before its row.) One
    statement: owners found by SQL are inserted by ``INSERT ... SELECT``."""
    if not pending.keys and not pending.selects:
        return
    if OTHERS in pending.keys:  # every leader's page: no need to name any of them
        pending = _Pending({key for key in pending.keys if key in (ANY, OTHERS)}, [])
        pending.keys.add(ALL_DEPARTMENTS)
    leaders = [int(k[len(LEADER_PREFIX) :]) for k in pending.keys if k.startswith(LEADER_PREFIX)]
    if len(leaders) > DEPARTMENTS_FROM:
        pending.keys.add(ALL_DEPARTMENTS)
    if leaders or pending.selects or ALL_DEPARTMENTS in pending.keys:
        pending.keys.add(SOME_DEPARTMENT)
    tag = secrets.randbelow(TAG_MODULUS)
    if not pending.selects and (not leaders or ALL_DEPARTMENTS in pending.keys):
        PageWrite.objects.bulk_create([PageWrite(key=key, tag=tag) for key in sorted(pending.keys)])
        return
    using = router.db_for_write(PageWrite)
    quote = connections[using].ops.quote_name
    # The departments of the leaders written (as the rows say now, in this transaction).
    in_department = (
        f"SELECT {DEPARTMENT_PREFIX!r} || CAST(l.department_id AS TEXT), 1, %s "  # noqa: S608
        f"FROM {quote(_leader_table())} l WHERE l.id IN "
    )
    parts, params = [], []
    for sql, sql_params in pending.selects:
        parts.append(
            f"SELECT {LEADER_PREFIX!r} || CAST(o.owner AS TEXT), 1, %s FROM ({sql}) o "  # noqa: S608
            "WHERE o.owner IS NOT NULL"
        )
        params += [tag, *sql_params]
        if ALL_DEPARTMENTS not in pending.keys:
            parts.append(f"{in_department}(SELECT o.owner FROM ({sql}) o)")  # noqa: S608
            params += [tag, *sql_params]
    if leaders and ALL_DEPARTMENTS not in pending.keys:
        parts.append(f"{in_department}({', '.join(['%s'] * len(leaders))})")
        params += [tag, *sorted(leaders)]
    for key in sorted(pending.keys):
        parts.append("SELECT %s, 1, %s")
        params += [key, tag]
    table = quote(PageWrite._meta.db_table)
    columns = ", ".join(quote(c) for c in ("key", "writes", "tag"))
    with connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) " + " UNION ".join(parts), params)


def _leader_table() -> str:
    # The leaders' table, by name: this module sits below the models and imports none.
    return apps.get_model("programme", "Leader")._meta.db_table


def _owner_select(queryset, path: str) -> list[tuple[str, list]]:
    """SQL for the owners (one column, ``owner``) of the rows the queryset matches; none
    for a queryset that matches nothing by construction (``pk__in=[]``, ``none()``)."""
    owners = queryset.order_by().values(owner=F(path)).distinct()
    using = router.db_for_write(queryset.model)
    try:
        sql, params = owners.query.get_compiler(using=using).as_sql()
    except EmptyResultSet:
        return []
    return [(sql, list(params))]


def _owner_field(model):
    """The field that says whose a row is: a direct ``leader`` foreign key, the primary
    key (a leader), or the first step to the owner (an answer's response)."""
    path = _OWNER[model._meta.model_name]
    if path == "pk":
        return model._meta.pk, path
    return model._meta.get_field(path.split("__")[0].removesuffix("_id")), path


class KeptQuerySet(models.QuerySet):
    """The default QuerySet of every model a kept page shows: its bulk writes replace the
    versions of the pages they change themselves, in the writing transaction, so no
    caller has to remember to (and :func:`connect` refuses a shown model without it).

    ``update``: the owners of the matched rows before the UPDATE, and the new owner if
    it is given (one ``INSERT ... SELECT`` before it). ``bulk_create``: the new rows'
    owners. ``bulk_update``: the rows' owners, old and new. ``delete``: Django sends
    each row's ``post_delete`` (the receivers below listen to every shown model, so it
    never deletes without them); gathered here into one insert.
    """

    def _write_db(self) -> str:
        return self._db or router.db_for_write(self.model)

    def update(self, **kwargs):
        if _bumped_by_caller.get():
            return super().update(**kwargs)
        with transaction.atomic(using=self._write_db(), savepoint=False):
            self._bump_before_update(kwargs)
            return super().update(**kwargs)

    update.alters_data = True

    def _bump_before_update(self, kwargs) -> None:
        kind = kind_of(self.model)
        if kind is not None:
            _leaders_written(self.model)
        if kind != OWNED:
            written(self.model)
            return
        field, path = _owner_field(self.model)
        keys = _any(self.model)
        for name in {field.name, field.attname} & kwargs.keys():
            value = kwargs[name]
            value = getattr(value, "pk", value)
            if path == field.attname and isinstance(value, int):
                keys.add(leader_version(value))
            elif value is not None:  # an expression, or an owner one step away
                written(self.model)
                return
        pending = _pending.get()
        if pending is not None and OTHERS in pending.keys:
            return  # every page is replaced already
        if pending is not None:  # read now: the batch inserts after the UPDATE
            found = self.order_by().values_list(path, flat=True).distinct()
            keys.update(leader_version(pk) for pk in found if pk is not None)
            _bump(keys)
        else:
            _bump(keys, _owner_select(self, path))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not objs:
            return super().bulk_create(objs, *args, **kwargs)
        with transaction.atomic(using=self._write_db(), savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            objects_written(self.model, objs)
        return created

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if not objs:
            return super().bulk_update(objs, fields, *args, **kwargs)
        with transaction.atomic(using=self._write_db(), savepoint=False), batch():
            rows = self.filter(pk__in=[obj.pk for obj in objs])
            owner_changes = False
            if kind_of(self.model) == OWNED:
                field, path = _owner_field(self.model)
                owner_changes = field.name in fields or field.attname in fields
                if owner_changes:  # the old owners, read before the UPDATE
                    rows._bump_before_update({})
            token = _bumped_by_caller.set(True)
            try:
                updated = super().bulk_update(objs, fields, *args, **kwargs)
            finally:
                _bumped_by_caller.reset(token)
            if owner_changes or kind_of(self.model) != OWNED:
                objects_written(self.model, objs)
            elif path == "pk":
                written(self.model, [obj.pk for obj in objs])
            else:  # the owners as the rows name them (not as the instances in hand may)
                _bump(_any(self.model), _owner_select(rows, path))
        return updated

    bulk_update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self._write_db(), savepoint=False), batch():
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


def objects_written(model, objs: list) -> None:
    """These instances are written (by bulk_create, bulk_update, or COPY,
    :func:`programme.db.insert_in_bulk`): their owners' pages (the owner in hand, or read
    from the row one step away by the ``INSERT ... SELECT`` of the version rows)."""
    if kind_of(model) != OWNED:
        written(model)
        return
    field, path = _owner_field(model)
    if "__" not in path:
        ids = [getattr(obj, path) for obj in objs]
        if path == "pk" and None in ids:
            written(model, None)  # an upsert's rows not returned: whose, unknown
            return
        written(model, ids)
        return
    related = {getattr(obj, field.attname) for obj in objs} - {None}
    rest = path.split("__", 1)[1]
    _bump(
        _any(model), _owner_select(field.related_model._base_manager.filter(pk__in=related), rest)
    )


def versions(keys: list[str]) -> dict[str, str]:
    """The current version of each key, in one query, from the database the request
    reads (a report read from the replica reads its versions there too)."""
    rows = (
        PageWrite.objects.filter(key__in=keys)
        .order_by()
        .values("key")
        .annotate(writes=Sum("writes"), tags=Sum("tag"), rows=Count("pk"))
    )
    found = {row["key"]: row for row in rows}
    crowded = [key for key, row in found.items() if row["rows"] > FOLD_AT]
    if crowded:
        _fold(crowded)
    return {
        key: f"{found[key]['writes']}.{found[key]['tags'] % TAG_MODULUS}" if key in found else "0"
        for key in keys
    }


def department_versions(department_ids: Iterable[int] | None = None) -> dict[int | str, str]:
    """The current version of each department's leaders (``None``: of every department
    that has one; a department without one is at "0"), and under ``ALL_DEPARTMENTS`` the
    version every department also carries. One query, on the database the request reads."""
    rows = PageWrite.objects.order_by()
    if department_ids is None:
        rows = rows.filter(key__startswith=DEPARTMENT_PREFIX)
    else:
        keys = [department_version(pk) for pk in department_ids]
        rows = rows.filter(key__in=[*keys, ALL_DEPARTMENTS])
    found = {
        row["key"]: row
        for row in rows.values("key").annotate(
            writes=Sum("writes"), tags=Sum("tag"), rows=Count("pk")
        )
    }
    crowded = [key for key, row in found.items() if row["rows"] > FOLD_AT]
    if crowded:
        _fold(crowded)
    result: dict[int | str, str] = {ALL_DEPARTMENTS: "0"}
    for key, row in found.items():
        version = f"{row['writes']}.{row['tags'] % TAG_MODULUS}"
        result[key if key == ALL_DEPARTMENTS else int(key[len(DEPARTMENT_PREFIX) :])] = version
    return result


def _fold(keys: list[str]) -> None:
    """Replace each key's rows by one with the same sums (the version stays the same).
    Rows another fold holds are skipped: each fold moves only the rows it locked."""
    with transaction.atomic(using="default"):
        rows = list(
            PageWrite.objects.using("default")
            .select_for_update(skip_locked=True)
            .filter(key__in=keys)
            .values_list("pk", "key", "writes", "tag")
        )
        sums: dict[str, list[int]] = {}
        for _pk, key, writes, tag in rows:
            total = sums.setdefault(key, [0, 0])
            total[0] += writes
            total[1] += tag
        PageWrite.objects.using("default").filter(pk__in=[row[0] for row in rows]).delete()
        PageWrite.objects.using("default").bulk_create(
            [PageWrite(key=k, writes=w, tag=t % TAG_MODULUS) for k, (w, t) in sums.items()]
        )


# Models whose rows belong to one leader, and how to find the leader from a row.
_OWNER = {
    "enrolment": "leader_id",
    "attendance": "leader_id",
    # A leader's absence reported in advance: their dashboard shows its state.
    "absencenotice": "leader_id",
    "makeupbooking": "leader_id",
    "standing": "leader_id",
    "assessmentresponse": "leader_id",
    "initiative": "leader_id",
    "certificate": "leader_id",
    "leader": "pk",
    "answer": "response__leader_id",
    "initiativestatuschange": "initiative__leader_id",
    # A leader's place in a learning group: their dashboard shows the group.
    "groupmembership": "leader_id",
    # A co-owner of another leader's shared initiative.
    "collaborator": "leader_id",
    # A leader's request for a place: their dashboard shows its state.
    "enrolmentrequest": "leader_id",
    # A leader's evaluation of a session: their dashboard asks for it until it is there.
    "evaluation": "leader_id",
}
# The portal's own apps (README, "Architecture"): a model of any of them is shown on the
# kept pages unless it is named below, so a model added later is covered without being
# listed. Third-party apps' rows (sessions, the outbox's queue) are not. pagecache
# refuses to start if an app of the portal's own is missing here.
PORTAL_APPS = frozenset(
    {
        "programme",
        "mail",
        "accounts",
        "reports",
        "outcomes",
        "rooms",
        "dashboard",
        "managers",
        "hr",
        "api",
        "groups",
        "materials",
        "approvals",
        "evaluations",
    }
)
# Rows no page shows in full, or shows only on shared pages (reminders sent on the
# compliance lists): writing them must not throw every leader's page away. A user's
# login is shown on no kept page but in the header of shared ones (their roles).
_SHARED_ONLY = {"sentreminder", "invitation", "emailtext", "user"}
# Rows no page shows at all: not even listened to (a receiver would cost their deletes a
# SELECT first). History rows follow a write that is listened to.
_NOT_SHOWN = {
    "importbatch",
    "importjob",
    "scheduledimport",
    "missingleader",
    "outboxfile",
    "pagewrite",
    # The kept counts per department: derived from rows that are listened to.
    "departmenttally",
    "tallyneed",
    "programmetally",
    # The read API's clients, their departments and the count of their calls.
    "apiclient",
    "apiclient_departments",
    "apiusage",
    # The managers' digests sent and who wants them: e-mail bookkeeping no page keeps.
    "managerdigest",
    "mailpreference",
    # That a leader was e-mailed to evaluate a session: no page shows it.
    "evaluationrequest",
}


def owner_path(sender) -> str | None:
    """How to find the leader a row of this model belongs to (None: no single leader)."""
    return _OWNER.get(sender._meta.model_name)


def owners_of(sender, instance) -> set[int]:
    """The leaders a saved row belongs to, as the database holds it now."""
    path = owner_path(sender)
    if "__" not in path:
        return {getattr(instance, path)}
    return set(sender._base_manager.filter(pk=instance.pk).values_list(path, flat=True))
