"""Pages kept rendered in the shared cache, kept correct by versions in the database.

Two kinds: the leader's dashboard (:func:`dashboard`, below), and pages several
leaders' data make, the reports and the cohort pages (:func:`kept_page`), kept whole
per user and address under a version that every write replaces.

A leader's dashboard is read far more often than anything on it changes, and costs a
dozen queries to build. It is kept, rendered, in the cache (Redis when ``REDIS_URL``
is set, shared by every web process) under two versions:

* the leader's own version, which every write that touches the leader changes: a
  place, attendance, a make-up, the stored standing, the self-assessment, an
  initiative, the leader's own record (the signals below for a row saved or deleted;
  for writes in bulk, the default QuerySet of every model a page shows,
  :class:`KeptQuerySet`, whose ``update``, ``bulk_create``, ``bulk_update`` and
  ``delete`` replace the versions themselves, so no caller has to remember to; COPY
  and raw SQL call :func:`written` next to their SQL);
* a version for everything else a page shows (programme, modules, cohorts, sessions,
  locations, facilitators, questionnaires): any write to any other model of the
  programme app changes it, so a model added later is covered without being listed.

The versions live in the database, not in the cache (:class:`~programme.models.PageWrite`):
a write adds a row in its own transaction, so its version changes when, and only
when, it commits - also for a command writing while Redis is away. A kept page reads
the versions it needs first, in one query, and only then the cache; a copy is served
only under the versions it was made from. A Redis that lost its data, came back with
old data, paused or failed halfway through a request can only cost a miss, never an
old page. A copy is made from rows read after its versions, so it is never older
than they say.

A copy is also bound in time: it is valid until the next moment its page changes by
the clock alone (a session starts or ends, a module's registration is due, midnight
for the dates the page words by day), and at most ``PAGE_CACHE_SECONDS``.

A page that shows other people's bookings too (a waiting place's position, the
make-up sessions with a free seat offered to a leader who is behind) also carries the
version any write changes, and lives at most a minute.

Versions are counted whether or not pages are kept (a process with the cache off may
write while another keeps pages). Only a shared cache saves work across processes,
so ``PAGE_CACHE_SECONDS`` defaults to 0 (off) without Redis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.db.models import Count, F, Sum
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

from . import clock

OTHERS = "others"
ANY = "any"
PROGRAMME = "page:programme"
# A key's rows are folded into one when a reader finds more than this many.
FOLD_AT = 100
TAG_MODULUS = 2**31
LEADER_PREFIX = "leader:"


def _leader_version(leader_id: int) -> str:
    return f"{LEADER_PREFIX}{leader_id}"


def _page(leader_id: int) -> str:
    return f"page:dashboard:{leader_id}"


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


# -- Writers ------------------------------------------------------------------------
# Every write that changes a kept page goes through :func:`written`: the receivers below
# (a save or delete of one row), the default QuerySet of every model a page shows
# (:class:`KeptQuerySet`: ``update``, ``bulk_create``, ``bulk_update``, ``delete``), and
# the few writers that go around the ORM (COPY, ``UPDATE ... FROM (VALUES ...)``), which
# call it themselves next to their SQL.

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
    if model._meta.app_label != "programme" or name in _NOT_SHOWN:
        return None
    if name.startswith("historical"):
        return None
    if name in _SHARED_ONLY:
        return SHARED
    return OWNED if name in _OWNER else EVERYTHING


def written(model, leader_ids: Iterable[int | None] | None = None) -> None:
    """Rows of ``model`` were (or are being) written in the caller's transaction: every
    kept page that shows them is out of date once it commits. ``leader_ids``: the
    leaders whose rows they are (None: unknown, every leader's); ignored for a model no
    single leader owns. The one function the writers around the ORM (COPY, raw SQL) call."""
    kind = kind_of(model)
    if kind is None:
        return
    if kind == SHARED:
        _bump({ANY})
    elif kind == EVERYTHING or leader_ids is None:
        _bump({ANY, OTHERS})
    else:
        _bump({ANY, *(_leader_version(pk) for pk in leader_ids if pk is not None)})


def leaders_changed(leader_ids: Iterable[int | None] | None) -> None:
    """Every kept page of these leaders (None: of all leaders) is out of date once the
    caller's transaction commits, and every kept page that shows more than one leader."""
    if leader_ids is None:
        everything_changed()
        return
    _bump({ANY, *(_leader_version(pk) for pk in leader_ids if pk is not None)})


def everything_changed() -> None:
    _bump({ANY, OTHERS})


def something_changed() -> None:
    """A write no leader's own page shows, but a shared page may (a reminder sent)."""
    _bump({ANY})


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
    from .models import PageWrite

    if not pending.keys and not pending.selects:
        return
    if OTHERS in pending.keys:  # every leader's page: no need to name any of them
        pending = _Pending({key for key in pending.keys if key in (ANY, OTHERS)}, [])
    tag = secrets.randbelow(TAG_MODULUS)
    if not pending.selects:
        PageWrite.objects.bulk_create([PageWrite(key=key, tag=tag) for key in sorted(pending.keys)])
        return
    using = router.db_for_write(PageWrite)
    quote = connections[using].ops.quote_name
    parts, params = [], []
    for sql, sql_params in pending.selects:
        parts.append(
            f"SELECT {LEADER_PREFIX!r} || CAST(o.owner AS TEXT), 1, %s FROM ({sql}) o "  # noqa: S608
            "WHERE o.owner IS NOT NULL"
        )
        params += [tag, *sql_params]
    for key in sorted(pending.keys):
        parts.append("SELECT %s, 1, %s")
        params += [key, tag]
    table = quote(PageWrite._meta.db_table)
    columns = ", ".join(quote(c) for c in ("key", "writes", "tag"))
    with connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) " + " UNION ".join(parts), params)


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
        if kind != OWNED:
            written(self.model)
            return
        field, path = _owner_field(self.model)
        keys = {ANY}
        for name in {field.name, field.attname} & kwargs.keys():
            value = kwargs[name]
            value = getattr(value, "pk", value)
            if path == field.attname and isinstance(value, int):
                keys.add(_leader_version(value))
            elif value is not None:  # an expression, or an owner one step away
                written(self.model)
                return
        pending = _pending.get()
        if pending is not None and OTHERS in pending.keys:
            return  # every page is replaced already
        if pending is not None:  # read now: the batch inserts after the UPDATE
            found = self.order_by().values_list(path, flat=True).distinct()
            keys.update(_leader_version(pk) for pk in found if pk is not None)
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
                _bump({ANY}, _owner_select(rows, path))
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
    _bump({ANY}, _owner_select(field.related_model._base_manager.filter(pk__in=related), rest))


def versions(keys: list[str]) -> dict[str, str]:
    """The current version of each key, in one query, from the database the request
    reads (a report read from the replica reads its versions there too)."""
    from .models import PageWrite

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


def _fold(keys: list[str]) -> None:
    """Replace each key's rows by one with the same sums (the version stays the same).
    Rows another fold holds are skipped: each fold moves only the rows it locked."""
    from .models import PageWrite

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
    "makeupbooking": "leader_id",
    "standing": "leader_id",
    "assessmentresponse": "leader_id",
    "initiative": "leader_id",
    "certificate": "leader_id",
    "leader": "pk",
    "answer": "response__leader_id",
    "initiativestatuschange": "initiative__leader_id",
}
# Rows no page shows in full, or shows only on shared pages (reminders sent on the
# compliance lists): writing them must not throw every leader's page away. A user's
# login is shown on no kept page but in the header of shared ones (their roles).
_SHARED_ONLY = {"sentreminder", "invitation", "emailtext", "user"}
# Rows no page shows at all: not even listened to (a receiver would cost their deletes a
# SELECT first). History rows follow a write that is listened to.
_NOT_SHOWN = {"importbatch", "importjob", "outboxfile", "pagewrite"}


def _owner_path(sender) -> str | None:
    return _OWNER.get(sender._meta.model_name)


def _owners(sender, instance) -> set[int]:
    path = _owner_path(sender)
    if "__" not in path:
        return {getattr(instance, path)}
    return set(sender._base_manager.filter(pk=instance.pk).values_list(path, flat=True))


def _written(sender, instance, **kwargs) -> None:
    """A row saved or deleted: its owner now, and (saved) its owner before the save, as
    the database held it (:func:`programme.models.stored_before_save`: a row given to
    another leader changes the old owner's page too)."""
    from .models import stored_before_save

    name = sender._meta.model_name
    if name == "user" and kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # signing in changes no page
    if kind_of(sender) != OWNED:
        written(sender)
        return
    path = _owner_path(sender)
    if kwargs.get("signal") is post_save:
        owners = _owners(sender, instance)
    else:  # deleted: the row is gone, its owner comes from the instance in hand
        owners = {getattr(instance, path)} if "__" not in path else _deleted_owner(name, instance)
    owners.add(stored_before_save(instance).get(path))
    written(sender, owners)


def _relations_changed(sender, instance, action, **kwargs) -> None:
    """A many-to-many change (a manager's departments, a user's groups): who sees what."""
    if action.startswith("post_") and sender._meta.app_label == "programme":
        everything_changed()


def _deleted_owner(name: str, instance) -> set[int | None]:
    if name == "answer":
        return {getattr(getattr(instance, "response", None), "leader_id", None)}
    if name == "initiativestatuschange":
        return {getattr(getattr(instance, "initiative", None), "leader_id", None)}
    return set()


def connect() -> None:
    """Listen to every model of the programme app (AppConfig.ready), and make sure each
    one a page shows writes in bulk through :class:`KeptQuerySet`."""
    from .models import read_before_save

    for model in apps.get_app_config("programme").get_models():
        if kind_of(model) is None:
            continue
        if not issubclass(model._default_manager._queryset_class, KeptQuerySet):
            raise ImproperlyConfigured(
                f"{model._meta.label} is shown on kept pages: its default manager must use "
                "programme.pagecache.KeptQuerySet (objects = KeptQuerySet.as_manager())."
            )
        path = _owner_path(model)
        if path is not None and path != "pk" and "__" not in path:
            read_before_save(model, path)
        uid = f"pagecache:{model._meta.label}"
        post_save.connect(_written, sender=model, dispatch_uid=uid)
        post_delete.connect(_written, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_relations_changed, dispatch_uid="pagecache:m2m")


# -- Readers ------------------------------------------------------------------------


@dataclass
class Kept:
    """What the cache answered for one leader's page: the copy if it is still good, and
    the versions a new copy must carry."""

    html: str | None
    versions: tuple[str, str]
    any_version: str
    request: object
    leader_id: int

    def keep(
        self, html: str, *, until: dt.datetime, now: dt.datetime, shared: bool = False
    ) -> None:
        """``shared``: the page shows other people's bookings too (a waiting place's
        position, the make-up sessions with a free seat), so any write replaces it."""
        limit = min(settings.PAGE_CACHE_SECONDS, SHARED_PAGE_SECONDS if shared else 10**9)
        seconds = min(limit, (until - now).total_seconds())
        if seconds < 1:
            return
        entry = {
            "versions": self.versions,
            "any": self.any_version if shared else None,
            # After rendering: a first visit's forms carry the CSRF secret made for them.
            "variant": _variant(self.request),
            "until": min(until, now + dt.timedelta(seconds=seconds)),
            "html": html,
        }
        cache.set(_page(self.leader_id), entry, int(seconds))


def _variant(request) -> str:
    """What else the copy depends on: the language, the address (its forms come back
    to it) and the CSRF secret its forms carry (a new one at every sign-in)."""
    secret = request.META.get("CSRF_COOKIE") or ""
    digest = hashlib.blake2b(secret.encode(), digest_size=8).hexdigest()
    return f"{request.LANGUAGE_CODE}:{request.get_full_path()}:{digest}"


def dashboard(request, leader_id: int, now: dt.datetime) -> Kept | None:
    """The kept page of this leader: its versions from the database (one query, before
    anything else is read), then the copy and the current programme from the cache (one
    round trip; ``request._current_programme``). None when the cache is off."""
    if not enabled():
        return None
    leader_key = _leader_version(leader_id)
    current = versions([OTHERS, ANY, leader_key])
    found = cache.get_many([PROGRAMME, _page(leader_id)])
    kept_versions = (current[OTHERS], current[leader_key])
    programme = found.get(PROGRAMME)
    if programme is not None and programme["version"] == current[OTHERS]:
        request._current_programme = programme["programme"]
    else:
        _keep_programme(request, current[OTHERS])
    page = found.get(_page(leader_id))
    good = (
        page is not None
        and page["versions"] == kept_versions
        and page["variant"] == _variant(request)
        and page["any"] in (None, current[ANY])
        and now < page["until"]
    )
    return Kept(page["html"] if good else None, kept_versions, current[ANY], request, leader_id)


def _keep_programme(request, version: str) -> None:
    from .models import current_programme

    programme = current_programme(request)
    cache.set(PROGRAMME, {"version": version, "programme": programme}, None)


SHARED_PAGE_SECONDS = 60


def kept_page(view):
    """A page several leaders' data make (reports, cohorts), kept per user and address.

    Any write to the programme's data changes the version every such copy carries
    (``ANY``); the clock alone (a leader falling behind, a deadline passing) at most a
    minute late. Not kept: anything but a plain 200, and a request with one-time
    messages to show. Put it inside ``reads_from_replica``, so the version is read
    from the same database as the page.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not enabled() or request.method != "GET" or len(get_messages(request)):
            return view(request, *args, **kwargs)
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
        key = f"page:shared:{request.user.pk}:{path}"
        version = versions([ANY])[ANY]
        entry, now = cache.get(key), clock.now()
        if (
            entry is not None
            and entry["version"] == version
            and entry["variant"] == _variant(request)
            and now < entry["until"]
        ):
            response = HttpResponse(entry["content"])
            for header, value in entry["headers"]:
                response[header] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            seconds = min(SHARED_PAGE_SECONDS, settings.PAGE_CACHE_SECONDS)
            entry = {
                "version": version,
                "variant": _variant(request),
                "until": now + dt.timedelta(seconds=seconds),
                "content": response.content,
                "headers": [(k, v) for k, v in response.items() if k.lower() != "set-cookie"],
            }
            cache.set(key, entry, seconds)
        return response

    return wrapped


def next_change(moments: Iterable[dt.datetime | None], now: dt.datetime) -> dt.datetime:
    """The first of these moments after now, or the next midnight, whichever is first."""
    local = timezone.localtime(now)
    midnight = timezone.make_aware(
        dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time.min)
    )
    return min([m for m in moments if m is not None and m > now] + [midnight])
