"""Pages kept rendered in the shared cache, kept correct by versions in the database.

Two kinds: the leader's dashboard (:func:`dashboard`, below), and pages several
leaders' data make, the reports and the cohort pages (:func:`kept_page`), kept whole
per user and address under a version that every write replaces, or under the versions
of the rows they show (a department's report page: :mod:`reports.kept_versions`).

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
  portal's apps changes it, so a model added later is covered without being listed.

The versions live in the database, not in the cache (:mod:`programme.page_versions`):
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

When a shared page's copy, or a leader's dashboard, is missing or stale (a write replaced
its version), one request rebuilds it and the others asking for the same copy wait for that one
(:func:`rebuilding`), instead of every connection rendering the same page at once the
moment a booking commits. A waiter takes only a copy made under its own versions, and
builds the page itself when the builder leaves without one, dies, takes too long, or
the cache is away.

Versions are counted whether or not pages are kept (a process with the cache off may
write while another keeps pages). Only a shared cache saves work across processes,
so ``PAGE_CACHE_SECONDS`` defaults to 0 (off) without Redis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

from programme import clock
from programme.page_versions import (  # noqa: F401 - the writers' API, as pagecache offers it
    ANY,
    EVERYTHING,
    FOLD_AT,
    OTHERS,
    OWNED,
    PORTAL_APPS,
    PROGRAMME,
    SHARED,
    SHARED_ROWS,
    KeptQuerySet,
    PageWrite,
    batch,
    everything_changed,
    kind_of,
    leader_version,
    leaders_changed,
    objects_written,
    owner_path,
    owners_of,
    something_changed,
    versions,
    written,
)


def _page(leader_id: int) -> str:
    return f"page:dashboard:{leader_id}"


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _written(sender, instance, **kwargs) -> None:
    """A row saved or deleted: its owner now, and (saved) its owner before the save, as
    the database held it (:func:`programme.models.stored_before_save`: a row given to
    another leader changes the old owner's page too)."""
    from programme.models import stored_before_save

    name = sender._meta.model_name
    if name == "user" and kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # signing in changes no page
    if kind_of(sender) != OWNED:
        written(sender)
        return
    path = owner_path(sender)
    if kwargs.get("signal") is post_save:
        owners = owners_of(sender, instance)
    else:  # deleted: the row is gone, its owner comes from the instance in hand
        owners = {getattr(instance, path)} if "__" not in path else _deleted_owner(name, instance)
    owners.add(stored_before_save(instance).get(path))
    written(sender, owners)


def _relations_changed(sender, instance, action, **kwargs) -> None:
    """A many-to-many change (a manager's departments, a user's groups): who sees what."""
    if action.startswith("post_") and kind_of(sender) is not None:
        everything_changed()


def _deleted_owner(name: str, instance) -> set[int | None]:
    if name == "answer":
        return {getattr(getattr(instance, "response", None), "leader_id", None)}
    if name == "initiativestatuschange":
        return {getattr(getattr(instance, "initiative", None), "leader_id", None)}
    return set()


def connect() -> None:
    """Listen to every model of the portal's apps (AppConfig.ready, once every app is
    loaded), and make sure each one a page shows writes in bulk through
    :class:`KeptQuerySet`."""
    from programme.models import read_before_save

    for model in portal_models(apps.get_app_configs()):
        if kind_of(model) is None:
            continue
        if not issubclass(model._default_manager._queryset_class, KeptQuerySet):
            raise ImproperlyConfigured(
                f"{model._meta.label} is shown on kept pages: its default manager must use "
                "programme.page_versions.KeptQuerySet (objects = KeptQuerySet.as_manager())."
            )
        path = owner_path(model)
        if path is not None and path != "pk" and "__" not in path:
            read_before_save(model, path)
        uid = f"pagecache:{model._meta.label}"
        post_save.connect(_written, sender=model, dispatch_uid=uid)
        post_delete.connect(_written, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_relations_changed, dispatch_uid="pagecache:m2m")


def portal_models(configs):
    """Every model of the portal's own apps among these apps: those in PORTAL_APPS.
    Refuses (so the portal does not start) an app of the project's own (its code beside
    the settings, not a package installed into the environment) missing there, whose
    writes would go unnoticed."""
    root = Path(settings.BASE_DIR).resolve()
    for config in configs:
        where = Path(config.path).resolve()
        own = root in where.parents and "site-packages" not in where.parts
        if own and config.label not in PORTAL_APPS:
            raise ImproperlyConfigured(
                f"The app {config.label!r} is the portal's own: add it to "
                "programme.page_versions.PORTAL_APPS, so writes to its models replace the "
                "kept pages that show them."
            )
        if config.label in PORTAL_APPS:
            yield from config.get_models()


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

    def good(self, page: dict | None, now: dt.datetime) -> bool:
        """Whether a kept copy of this leader's page may be served: made under the
        versions read for this request (the version any write replaces too, if it shows
        other people's bookings), for the same variant, and not past its moment."""
        return (
            page is not None
            and page["versions"] == self.versions
            and page["variant"] == _variant(self.request)
            and page["any"] in (None, self.any_version)
            and now < page["until"]
        )

    @contextmanager
    def rebuilding(self, now: dt.datetime) -> Iterator[str | None]:
        """One rebuild at a time of this leader's page under these versions
        (:func:`rebuilding`): yields the body another request kept meanwhile, or None,
        and then the caller builds it and :meth:`keep` s it while the others wait. A
        page that shows other people's bookings is out of date after any booking, and
        every open tab would otherwise build it at once."""
        if not self.request.META.get("CSRF_COOKIE"):
            # A first visit's copy carries a CSRF secret made for it: nothing to wait for.
            yield None
            return
        tag = f"{':'.join(self.versions)}:{self.any_version}:{_variant(self.request)}"
        with rebuilding(_page(self.leader_id), tag, lambda page: self.good(page, now)) as page:
            yield page["html"] if page is not None else None


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
    leader_key = leader_version(leader_id)
    current = versions([OTHERS, ANY, leader_key])
    found = cache.get_many([PROGRAMME, _page(leader_id)])
    kept_versions = (current[OTHERS], current[leader_key])
    programme = found.get(PROGRAMME)
    if programme is not None and programme["version"] == current[OTHERS]:
        request._current_programme = programme["programme"]
    else:
        _keep_programme(request, current[OTHERS])
    page = found.get(_page(leader_id))
    kept = Kept(None, kept_versions, current[ANY], request, leader_id)
    if kept.good(page, now):
        kept.html = page["html"]
    return kept


def _keep_programme(request, version: str) -> None:
    from programme.models import current_programme

    programme = current_programme(request)
    cache.set(PROGRAMME, {"version": version, "programme": programme}, None)


SHARED_PAGE_SECONDS = 60


# When a kept shared page is missing or stale, one request rebuilds it and the others
# asking for the same copy wait for that copy (polling the cache), rather than all
# rebuilding the same page at once the moment a write replaces its version. A waiter
# gives up and builds the page itself when the builder is gone (its mark released
# without the copy, or expired: a worker that died) or after REBUILD_WAIT_SECONDS.
REBUILD_WAIT_SECONDS = 3.0
REBUILD_MARK_SECONDS = 10
_POLL_SECONDS = 0.01


@contextmanager
def rebuilding(key: str, tag: str, good: Callable[[dict], bool]) -> Iterator[dict | None]:
    """One rebuild at a time of the copy under ``key`` made for ``tag`` (its versions and
    variant). Yields the copy another request built meanwhile (also just before this one
    took the mark), if ``good`` accepts it (it
    checks the versions, so no copy older than this request's versions is ever yielded),
    or None: then this request builds the copy, and others wait for it until it leaves
    this block. With the cache away nobody waits: each request builds."""
    mark = f"{key}:building:{hashlib.blake2b(tag.encode(), digest_size=8).hexdigest()}"
    if cache.add(mark, 1, REBUILD_MARK_SECONDS):
        try:
            # Another request may have built it between this one's look and its mark.
            entry = cache.get(key)
            yield entry if entry is not None and good(entry) else None
        finally:
            cache.delete(mark)
        return
    yield _copy_from_another(key, mark, good)


def _copy_from_another(key: str, mark: str, good: Callable[[dict], bool]) -> dict | None:
    """Wait for the builder to leave (its mark gone: it keeps its copy first), then read
    the copy once. Only the mark is polled: the stale copy (HR's overview is 66 KB) is
    not fetched and unpickled a hundred times a second by each waiting request, on the
    same cores as the one rebuilding it. A builder still there at the limit: the copy
    is looked at once more (kept meanwhile by a request that did not wait), else None."""
    deadline = time.monotonic() + REBUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        if cache.get(mark) is None:  # the builder left, or the cache is away
            break
        time.sleep(_POLL_SECONDS)
    entry = cache.get(key)
    return entry if entry is not None and good(entry) else None


def kept_page(view=None, *, version_of: Callable[..., str] | None = None):
    """A page several leaders' data make (reports, cohorts), kept per user and address.

    The copy carries the version any write to the programme's data changes (``ANY``),
    or, with ``version_of(request, *args, **kwargs)``, the version that function reads
    (first, before anything the page reads): the versions of the rows the page shows,
    so that writes elsewhere leave the copy in place (a department's report page and
    the writes in other departments, :mod:`reports.kept_versions`). The clock alone (a
    leader falling behind, a deadline passing) moves a copy on at most a minute late.
    Not kept: anything but a plain 200, and a request with one-time messages to show.
    Put it inside ``reads_from_replica``, so the version is read from the same database
    as the page. A stale copy is rebuilt by one request at a time (:func:`rebuilding`),
    the others waiting for it.
    """
    if view is None:
        return lambda view: kept_page(view, version_of=version_of)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not enabled() or request.method != "GET" or len(get_messages(request)):
            return view(request, *args, **kwargs)
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
        key = f"page:shared:{request.user.pk}:{path}"
        if version_of is not None:
            version = version_of(request, *args, **kwargs)
        else:
            version = versions([ANY])[ANY]
        entry, now, variant = cache.get(key), clock.now(), _variant(request)

        def good(entry: dict) -> bool:
            return (
                entry["version"] == version
                and entry["variant"] == variant
                and (now < entry["until"])
            )

        if entry is not None and good(entry):
            return _served(entry)
        if not request.META.get("CSRF_COOKIE"):
            # A first visit's copy carries a CSRF secret made for it: nothing to wait for.
            return _kept_shared(view(request, *args, **kwargs), key, version, request, now)
        with rebuilding(key, f"{version}:{variant}", good) as entry:
            if entry is not None:
                return _served(entry)
            response = view(request, *args, **kwargs)
            return _kept_shared(response, key, version, request, now)

    return wrapped


def _served(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for header, value in entry["headers"]:
        response[header] = value
    return response


def _kept_shared(response, key: str, version: str, request, now: dt.datetime):
    if response.status_code == 200 and not response.streaming:
        seconds = min(SHARED_PAGE_SECONDS, settings.PAGE_CACHE_SECONDS)
        entry = {
            "version": version,
            # After rendering: a first visit's forms carry the CSRF secret made for them.
            "variant": _variant(request),
            "until": now + dt.timedelta(seconds=seconds),
            "content": response.content,
            "headers": [(k, v) for k, v in response.items() if k.lower() != "set-cookie"],
        }
        cache.set(key, entry, seconds)
    return response


def next_change(moments: Iterable[dt.datetime | None], now: dt.datetime) -> dt.datetime:
    """The first of these moments after now, or the next midnight, whichever is first."""
    local = timezone.localtime(now)
    midnight = timezone.make_aware(
        dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time.min)
    )
    return min([m for m in moments if m is not None and m > now] + [midnight])
