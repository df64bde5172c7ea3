"""Pages kept rendered in the shared cache, kept correct by versions.

Two kinds: the leader's dashboard (:func:`dashboard`, below), and pages several
leaders' data make, the reports and the cohort pages (:func:`kept_page`), kept whole
per user and address under a version that every write replaces.

A leader's dashboard is read far more often than anything on it changes, and costs a
dozen queries to build. It is kept, rendered, in the cache (Redis when ``REDIS_URL``
is set, shared by every web process) under two versions:

* the leader's own version, which every write that touches the leader replaces: a
  place, attendance, a make-up, the stored standing, the self-assessment, an
  initiative, the leader's own record (the signals below; the bulk writers call
  :func:`leaders_changed` themselves, as they call ``refresh_standings``);
* a version for everything else a page shows (programme, modules, cohorts, sessions,
  locations, facilitators, questionnaires): any write to any other model of the
  programme app replaces it, so a model added later is covered without being listed.

A version is replaced when the write happens and again after its transaction commits:
a request that read the rows before the commit carries a version that is already
gone when it stores its copy, so the copy is invalid on arrival.
A copy is also bound in time: it is valid until the next moment its page changes by
the clock alone (a session starts or ends, a module's registration is due, midnight
for the dates the page words by day), and at most ``PAGE_CACHE_SECONDS``.

A page that shows other people's bookings too (a waiting place's position, the
make-up sessions with a free seat offered to a leader who is behind) also carries the
version any write replaces, and lives at most a minute.

When the cache does not answer, nothing is kept or served, and a process whose version
bump was lost replaces every version once the cache answers again; a process that
stops before that leaves copies that live out their time (``PAGE_CACHE_SECONDS``).

Only a shared cache is correct across processes: with the per-process default
(no ``REDIS_URL``), one process would keep a page another process's write has
changed. So ``PAGE_CACHE_SECONDS`` defaults to 0 (off) without Redis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpResponse
from django.utils import timezone

from . import clock

OTHERS = "page:v:others"
ANY = "page:v:any"
PROGRAMME = "page:programme"


def _leader_version(leader_id: int) -> str:
    return f"page:v:leader:{leader_id}"


def _page(leader_id: int) -> str:
    return f"page:dashboard:{leader_id}"


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _new_version() -> str:
    return secrets.token_hex(8)


# -- Writers ------------------------------------------------------------------------


def leaders_changed(leader_ids: Iterable[int | None] | None) -> None:
    """Every kept page of these leaders (None: of all leaders) is out of date, and every
    kept page that shows more than one leader."""
    if not enabled():
        return
    if leader_ids is None:
        everything_changed()
        return
    ids = {pk for pk in leader_ids if pk is not None}
    _replace([ANY, *(_leader_version(pk) for pk in ids)])


def everything_changed() -> None:
    if enabled():
        _replace([ANY, OTHERS])


def something_changed() -> None:
    """A write no leader's own page shows, but a shared page may (a reminder sent)."""
    if enabled():
        _replace([ANY])


def _replace(keys: list[str]) -> None:
    """Now (this transaction's own reads see its writes) and again after the commit (a
    request that read the new version before the commit may have kept the old rows)."""

    def bump():
        global _owed
        cache.set_many({key: _new_version() for key in keys}, None)
        if _cache_away():
            _owed = True

    if transaction.get_connection().in_atomic_block:
        bump()
    transaction.on_commit(bump, robust=True)


# A version this process could not replace because the cache did not answer (the
# shared cache's calls then do nothing, portal/cache.py). Copies kept before may carry
# it still when the cache answers again: so then every version is replaced.
_owed = False


def _cache_away() -> bool:
    return getattr(cache, "_down_until", 0.0) > time.monotonic()


def _settle() -> None:
    global _owed
    if _owed and not _cache_away():
        cache.set_many({OTHERS: _new_version(), ANY: _new_version()}, None)
        _owed = _cache_away()


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
_NOT_SHOWN = {"importbatch", "outboxfile"}


def _owner_path(sender) -> str | None:
    return _OWNER.get(sender._meta.model_name)


def _owners(sender, instance) -> set[int]:
    path = _owner_path(sender)
    if "__" not in path:
        return {getattr(instance, path)}
    return set(sender.objects.filter(pk=instance.pk).values_list(path, flat=True))


def _remember_owner(sender, instance, **kwargs) -> None:
    """Before an update: the row's owner in the database (a row given to another leader
    changes the old owner's page too). signals.py remembers it already for places,
    attendance and make-ups."""
    path = _owner_path(sender)
    if not enabled() or not instance.pk or path in (None, "pk") or "__" in path:
        return
    previous = getattr(instance, "_previous", None)
    if previous is not None and "leader_id" in previous:
        instance._page_owner = previous["leader_id"]
        return
    instance._page_owner = (
        sender.objects.filter(pk=instance.pk).values_list(path, flat=True).first()
    )


def _written(sender, instance, **kwargs) -> None:
    if not enabled():
        return
    name = sender._meta.model_name
    if name == "user" and kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # signing in changes no page
    if name in _SHARED_ONLY:
        something_changed()
        return
    if _owner_path(sender) is None:
        everything_changed()
        return
    if kwargs.get("signal") is post_save:
        owners = _owners(sender, instance)
    else:  # deleted: the row is gone, its owner comes from the instance in hand
        path = _owner_path(sender)
        owners = {getattr(instance, path)} if "__" not in path else _deleted_owner(name, instance)
    owners.add(getattr(instance, "_page_owner", None))
    leaders_changed(owners)


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
    """Listen to every model of the programme app (AppConfig.ready)."""
    for model in apps.get_app_config("programme").get_models():
        name = model._meta.model_name
        if name in _NOT_SHOWN or name.startswith("historical"):
            continue
        uid = f"pagecache:{model._meta.label}"
        pre_save.connect(_remember_owner, sender=model, dispatch_uid=uid)
        post_save.connect(_written, sender=model, dispatch_uid=uid)
        post_delete.connect(_written, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_relations_changed, dispatch_uid="pagecache:m2m")


# -- Readers ------------------------------------------------------------------------


@dataclass
class Kept:
    """What the cache answered for one leader's page: the copy if it is still good, and
    the versions a new copy must carry (None: a version was missing; don't keep)."""

    html: str | None
    versions: tuple[str, str] | None
    any_version: str | None
    request: object
    leader_id: int

    def keep(
        self, html: str, *, until: dt.datetime, now: dt.datetime, shared: bool = False
    ) -> None:
        """``shared``: the page shows other people's bookings too (a waiting place's
        position, the make-up sessions with a free seat), so any write replaces it."""
        if self.versions is None or (shared and self.any_version is None):
            return
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
    """The kept page of this leader, in one round trip that also brings the current
    programme (``request._current_programme``). None when the cache is off."""
    if not enabled():
        return None
    _settle()
    keys = [OTHERS, ANY, PROGRAMME, _leader_version(leader_id), _page(leader_id)]
    found = cache.get_many(keys)
    others = found.get(OTHERS) or _start(OTHERS)
    any_version = found.get(ANY) or _start(ANY)
    leader = found.get(_leader_version(leader_id)) or _start(_leader_version(leader_id))
    versions = (others, leader) if others and leader else None
    programme = found.get(PROGRAMME)
    if versions and programme and programme["version"] == others:
        request._current_programme = programme["programme"]
    elif others:
        _keep_programme(request, others)
    variant = _variant(request)
    page = found.get(_page(leader_id))
    good = (
        page is not None
        and versions is not None
        and page["versions"] == versions
        and page["variant"] == variant
        and page["any"] in (None, any_version)
        and now < page["until"]
    )
    return Kept(page["html"] if good else None, versions, any_version, request, leader_id)


def _start(key: str) -> str | None:
    """The first version of a key (first visit since the cache started, or evicted);
    another process may start it at the same moment: then theirs counts."""
    version = _new_version()
    return version if cache.add(key, version, None) else cache.get(key)


def _keep_programme(request, version: str) -> None:
    from .models import current_programme

    programme = current_programme(request)
    cache.set(PROGRAMME, {"version": version, "programme": programme}, None)


SHARED_PAGE_SECONDS = 60


def kept_page(view):
    """A page several leaders' data make (reports, cohorts), kept per user and address.

    Any write to the programme's data throws every such copy away (``ANY``); the clock
    alone (a leader falling behind, a deadline passing) at most a minute late. Not kept:
    anything but a plain 200, and a request with one-time messages to show.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not enabled() or request.method != "GET" or len(get_messages(request)):
            return view(request, *args, **kwargs)
        _settle()
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
        key = f"page:shared:{request.user.pk}:{path}"
        found = cache.get_many([ANY, key])
        version = found.get(ANY) or _start(ANY)
        entry, now = found.get(key), clock.now()
        if (
            entry is not None
            and version is not None
            and entry["version"] == version
            and entry["variant"] == _variant(request)
            and now < entry["until"]
        ):
            response = HttpResponse(entry["content"])
            for header, value in entry["headers"]:
                response[header] = value
            return response
        response = view(request, *args, **kwargs)
        if version is not None and response.status_code == 200 and not response.streaming:
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
