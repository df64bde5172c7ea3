"""The versions the reports' kept copies carry (:func:`programme.pagecache.kept_page`).

A report shows its scope's leaders, what every page shows (the programme, its cohorts
and sessions), the rows only shared pages show (a reminder sent, a user's roles) and,
through the outlooks, what the seats left anywhere allow. Its copy is kept under exactly
those versions, so a booking in another department leaves a manager's report in place:

* the versions of the scope's departments (``department:<id>``, which every write to one
  of its leaders replaces in the same statement; ``department:*`` for a write that may
  move leaders between departments), or, for HR's whole municipality, ``ANY``;
* ``OTHERS`` and ``SHARED_ROWS``;
* the seats' outlook signature (:meth:`reports.chances.Chances.outlook_signature`): the
  kept seats are counted again after any write, but the copy is replaced only when what
  an outlook reads of them changes (a cohort's or a session's last free seat).

All versions are read in one query before anything else the page reads, so a copy is
never older than the versions it carries; a change of scope (a manager given a
department) is a write to everything (``OTHERS``).
"""

from __future__ import annotations

from django.http import HttpRequest

from programme import clock, page_versions
from programme.models import Programme, current_programme
from reports.chances import chances
from reports.rules import scope_for

_EVERY = (page_versions.OTHERS, page_versions.SHARED_ROWS, page_versions.ANY)


def overview(request: HttpRequest) -> str:
    """The report overview's version: HR's under ``ANY`` (every write to any leader
    changes the municipality's lines), a manager's under their departments' versions
    and the seats' outlook signature."""
    scope = scope_for(request.user)  # 403 for anyone else, as the view
    if scope.is_hr:
        return page_versions.versions([page_versions.ANY])[page_versions.ANY]
    departments = sorted(scope.ids)
    keys = [
        *_EVERY,
        page_versions.ALL_DEPARTMENTS,
        *(page_versions.department_version(pk) for pk in departments),
    ]
    current = page_versions.versions(keys)
    programme = _programme(request)
    seats = (
        chances(programme, clock.now(), current[page_versions.ANY]).outlook_signature()
        if programme is not None
        else "-"
    )
    return ":".join([*(current[key] for key in keys if key != page_versions.ANY), seats])


def department(request: HttpRequest, pk: int) -> str:
    """A department's page: its leaders' rows and module cells, no outlook. Under the
    department's version (whoever asks: a department outside the scope is a 404, never
    kept)."""
    keys = [
        page_versions.OTHERS,
        page_versions.SHARED_ROWS,
        page_versions.ALL_DEPARTMENTS,
        page_versions.department_version(pk),
    ]
    current = page_versions.versions(keys)
    return ":".join(current[key] for key in keys)


def _programme(request: HttpRequest) -> Programme | None:
    """The programme the page's filters name (the form's own rule: a valid ``programme``,
    else the current one); an unknown one is the form's 400, never kept."""
    chosen = request.GET.get("programme", "")
    if chosen.isdigit():
        return Programme.objects.filter(pk=int(chosen)).first()
    return current_programme(request)
