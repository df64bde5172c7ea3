"""The versions the reports' kept copies carry (:func:`programme.pagecache.kept_page`).

A department's page shows that department's leaders (their places, attendance and
standings), for a manager the cohorts their leaders are in (the cohort filter), what
every page shows (the programme, its cohorts and sessions) and the rows only shared
pages show (a reminder sent, a user's name and roles); no outlook, so nothing of the
seats left elsewhere. Its copy is kept under exactly those versions:

* ``department:<id>`` of that department (HR) or of each of the manager's departments,
  which every write to one of their leaders replaces in the same statement, and
  ``department:*``, replaced by a write that may move leaders between departments
  (:mod:`programme.page_versions`);
* ``OTHERS`` and ``SHARED_ROWS``.

So a booking in another department leaves it in place. They are read in one query
before anything else the page reads, so a copy is never older than the versions it
carries; a change of scope (a manager given a department) is a write to everything
(``OTHERS``), and a department outside the scope is a 404, never kept.

The overview stays under ``ANY``, the version every write replaces: it shows the
outlooks, which depend on the seats left anywhere. A manager's overview was kept under
their departments' versions and a signature of the seats for two runs of the load bench
(issue 30, docs/performance.md): the seats had to be counted again after every booking
to know the signature (83 ms at 30,000 leaders), and each kept copy cost three more
queries, so it did worse than under ``ANY``.
"""

from __future__ import annotations

from django.http import HttpRequest

from programme import page_versions
from reports.rules import scope_for


def department(request: HttpRequest, pk: int) -> str:
    """A department's page's version: of the departments whose leaders it shows. That
    department's, and for a manager every one of theirs too: the page's cohort filter
    lists the cohorts their leaders are in (:class:`reports.forms.ReportFilterForm`)."""
    scope = scope_for(request.user)  # 403 for anyone else, as the view
    shown = [pk] if scope.is_hr else sorted({pk, *scope.ids})
    keys = [
        page_versions.OTHERS,
        page_versions.SHARED_ROWS,
        page_versions.ALL_DEPARTMENTS,
        *(page_versions.department_version(one) for one in shown),
    ]
    current = page_versions.versions(keys)
    return ":".join(current[key] for key in keys)
