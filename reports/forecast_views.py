"""Toward the end date: the forecast's page and the CSV of its weekly series, for HR (the
municipality, an administration or centre, a department) and a manager (their scope).

The rules are :mod:`reports.forecast`; the scope is :func:`reports.rules.scope_for`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from portal.routers import reads_from_replica
from programme import clock, pagecache
from programme.models import current_programme
from reports import csv_export, forecast
from reports.forms import DownloadForm, ForecastFilterForm
from reports.rules import scope_for
from reports.views import download, export_label, query_without


def _forecast(request: HttpRequest, *, listed: int | None = None):
    """The forecast the address asks for; ``listed``: leaders a page of each list (the
    CSV of the weekly series asks for none)."""
    scope = scope_for(request.user)
    form = ForecastFilterForm(request.GET, scope=scope, current=current_programme(request))
    filters = form.filters()
    if filters is None:
        return scope, form, filters, None
    found = forecast.forecast(
        scope,
        filters.programme,
        filters.now,
        unit=filters.unit,
        department=filters.department,
        listed=forecast.LIST_SIZE if listed is None else listed,
        pages=(_page(request, "cannot_page"), _page(request, "risk_page")),
    )
    return scope, form, filters, found


def _action_links(found, scope) -> None:
    """Each listed leader's one click: enrol them by hand, or, for HR, open a make-up
    session of the module (a manager asks HR: no link)."""
    session_add = reverse("admin:programme_session_add")
    for leader in (*found.cannot_finish, *found.at_risk):
        if leader.action == "enrol":
            leader.url = reverse("managers:place", args=[leader.pk])
        elif scope.is_hr:
            leader.url = f"{session_add}?module={leader.module_id}"


def _page(request: HttpRequest, name: str) -> int:
    """A list's page from the address: a whole number from 1 (anything else: the first)."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


def _list_links(request: HttpRequest, name: str, page) -> dict:
    """The previous and the next page's addresses of one list (the other list stays)."""
    return {
        "page": page,
        "previous": query_without(request, name, **{name: str(page.number - 1)})
        if page.has_previous
        else None,
        "next": query_without(request, name, **{name: str(page.number + 1)})
        if page.has_next
        else None,
    }


@require_GET
@reads_from_replica
@pagecache.kept_page
def page(request: HttpRequest) -> HttpResponse:
    scope, form, filters, found = _forecast(request)
    if found is not None:
        _action_links(found, scope)
    context = {
        "form": form,
        "filters": filters,
        "forecast": found,
        "scope": scope,
        "chart": forecast_chart(found) if found is not None else None,
        "cannot_list": _list_links(request, "cannot_page", found.cannot_pages) if found else None,
        "risk_list": _list_links(request, "risk_page", found.risk_pages) if found else None,
        "csv_query": query_without(request, "dialect"),
        "download": DownloadForm(),
    }
    return render(request, "reports/forecast.html", context, status=200 if form.is_valid() else 400)


@require_GET
@reads_from_replica
def series_csv(request: HttpRequest) -> HttpResponse:
    scope, _form, filters, found = _forecast(request, listed=0)
    if found is None:
        return HttpResponse(
            gettext("The filters are not valid; go back to the forecast and correct them."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    head = [
        gettext("Week starting"),
        gettext("Modules completed"),
        gettext("Modules completed if everyone attends what they hold"),
        gettext("Modules completed, target"),
        gettext("Leaders completed"),
        gettext("Leaders completed if everyone attends what they hold"),
        gettext("Leaders completed, target"),
    ]

    def cell(value):
        return "" if value is None else value

    body = (
        [
            week.starts.isoformat(),
            cell(week.actual_modules),
            cell(week.booked_modules),
            week.target_modules,
            cell(week.actual_leaders),
            cell(week.booked_leaders),
            week.target_leaders,
        ]
        for week in found.weeks
    )
    name = (
        f"{gettext('forecast')}-{csv_export.filename(export_label(scope, filters), clock.today())}"
    )
    dialect = DownloadForm(request.GET).dialect_name()
    return download(csv_export.encode(head, body, dialect), "text/csv; charset=utf-8", name)


# The chart's drawing area, in the SVG's own units (it scales to the width there is).
WIDTH, HEIGHT = 600, 240


def forecast_chart(found: forecast.Forecast) -> dict:
    """The three lines of leaders completed, as SVG points in percent of the leaders: the
    template draws them (no script); the numbers are in the table beside it."""
    weeks = found.weeks
    if not weeks or not found.leaders:
        return {}
    step = WIDTH / max(1, len(weeks) - 1)

    def points(values) -> str:
        return " ".join(
            f"{n * step:.1f},{HEIGHT - HEIGHT * v / found.leaders:.1f}"
            for n, v in enumerate(values)
            if v is not None
        )

    return {
        "width": WIDTH,
        "height": HEIGHT,
        "actual": points(w.actual_leaders for w in weeks),
        "booked": points(w.booked_leaders for w in weeks),
        "target": points(w.target_leaders for w in weeks),
        # As text: the template must not write a Danish decimal comma into the SVG.
        "gridlines": [
            {"y": f"{HEIGHT - HEIGHT * p / 100:.1f}", "label": p} for p in (0, 25, 50, 75, 100)
        ],
    }
