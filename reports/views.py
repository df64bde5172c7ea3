"""Managers' completion reports: overview, one department's leaders, CSV download.

Every view starts with :func:`reports.rules.scope_for` (HR: all departments,
a manager: their own, anyone else: 403) and reads its filters through
:class:`ReportFilterForm` (a department outside the scope: 404).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from mail import reminders
from mail.models import SentReminder
from portal.db import statement_timeout
from portal.routers import reads_from_replica
from programme import clock, pagecache
from programme.models import current_programme
from reports import csv_export, export_sql, forecast, kept_versions, tallies, xlsx_export
from reports.forms import DownloadForm, ReportFilterForm
from reports.rules import (
    DEFAULT_SORT,
    SORTS,
    DepartmentRow,
    Filters,
    Status,
    department_summary,
    module_cells,
    report_leaders,
    scope_for,
    sorted_leaders,
)


def _chart(rows: list[DepartmentRow]) -> dict:
    """The chart's bars, one per row: completion in front of enrolment, in percent of the
    track (the template draws them; the names and numbers are text beside them)."""
    return {"bars": [{"row": row} for row in rows]}


def query_without(request: HttpRequest, *drop: str, **add: str) -> str:
    """The current filters as a query string, without ``drop`` and with ``add``."""
    params = request.GET.copy()
    for name in drop:
        params.pop(name, None)
    for name, value in add.items():
        params[name] = value
    return params.urlencode()


def _sort_headers(request: HttpRequest, current: str) -> dict:
    """For each sortable column: the link that sorts by it (reversing if already) and aria-sort."""
    headers = {}
    for key in ("name", "department", "progress"):
        if current == key:
            target, state = f"-{key}", "ascending"
        elif current == f"-{key}":
            target, state = key, "descending"
        else:
            target, state = key, ""
        headers[key] = {"query": query_without(request, sort=target), "aria_sort": state}
    return headers


def overview_rows(scope, filters: Filters, counted, *, by_unit: bool):
    """The overview's lines and total: from the kept counts per department
    (:mod:`reports.tallies`), or, filtered by cohort, status or level (which the kept
    counts do not split), from the leaders."""
    if filters.cohort is not None or filters.status or filters.level:
        return department_summary(report_leaders(scope, filters), by_unit=by_unit)
    return tallies.department_rows(counted, by_unit=by_unit)


@require_GET
@reads_from_replica
@pagecache.kept_page
def overview(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form = ReportFilterForm(request.GET, scope=scope, current=current_programme(request))
    filters = form.filters()
    context = {
        "form": form,
        "filters": filters,
        "download": DownloadForm(),
        "drill_query": query_without(request, "department", "department_q", "sort", "dialect"),
    }
    if filters is not None:
        # HR's whole organisation: a line per administration or centre (a department's
        # parent), its departments one click further (``?unit=``).
        by_unit = scope.is_hr and filters.department is None and filters.unit is None
        # The kept counts of the departments shown: the lines and the forecast's summary.
        counted = tallies.for_scope(
            filters.programme,
            scope,
            filters.now,
            unit=filters.unit,
            department=filters.department,
        )
        rows, total = overview_rows(scope, filters, counted, by_unit=by_unit)
        context.update(
            forecast=forecast.summary(
                scope,
                filters.programme,
                filters.now,
                unit=filters.unit,
                department=filters.department,
                counted=counted,
            ),
            rows=rows,
            total=total,
            chart=_chart(rows),
            by_unit=by_unit,
            unit_query=query_without(
                request, "unit", "department", "department_q", "sort", "dialect"
            ),
        )
    return render(request, "reports/overview.html", context, status=200 if form.is_valid() else 400)


@require_GET
@reads_from_replica
@pagecache.kept_page(version_of=kept_versions.department)
def department(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    department = scope.department(pk)
    form = ReportFilterForm(
        request.GET, scope=scope, current=current_programme(request), department_page=True
    )
    filters = form.filters()
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    context = {
        "form": form,
        "department": department,
        "filters": filters,
        "sort_headers": _sort_headers(request, sort),
        "back_query": query_without(request, "sort", "dialect"),
    }
    if filters is not None:
        filters.department = department
        modules = list(filters.programme.modules.order_by("order"))
        leaders = sorted_leaders(report_leaders(scope, filters), sort).select_related("department")
        # Every cell of a row comes from the leader's one stored standing.
        context["rows"] = [
            (leader, module_cells(leader, modules, filters.now)) for leader in leaders
        ]
        context["modules"] = modules
        context["download"] = DownloadForm()
    return render(
        request, "reports/department.html", context, status=200 if form.is_valid() else 400
    )


def _export(request: HttpRequest, extension: str):
    """What both downloads need: (file name, header, leaders, filters, modules), or the
    response for bad filters."""
    scope = scope_for(request.user)
    form = ReportFilterForm(request.GET, scope=scope, current=current_programme(request))
    filters = form.filters()
    if filters is None:
        return HttpResponse(
            gettext("The filters are not valid; go back to the report and correct them."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    modules = list(filters.programme.modules.order_by("order"))
    leaders = sorted_leaders(report_leaders(scope, filters), request.GET.get("sort", "department"))
    name = csv_export.filename(export_label(scope, filters), clock.today(), extension)
    return name, csv_export.header(modules), leaders, filters, modules


def export_label(scope, filters) -> str:
    """What a downloaded file is about, for its name: the department's code, or the scope."""
    if filters.department is not None:
        return filters.department.code
    return gettext("all departments") if scope.is_hr else gettext("my departments")


def download(content, content_type: str, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require_GET
@reads_from_replica
@statement_timeout("DB_EXPORT_STATEMENT_TIMEOUT")  # all leaders' rows, sorted: may take longer
def export(request: HttpRequest) -> HttpResponse:
    prepared = _export(request, "csv")
    if isinstance(prepared, HttpResponse):
        return prepared
    name, head, leaders, filters, modules = prepared
    dialect = DownloadForm(request.GET).dialect_name()
    content = export_sql.stream(head, leaders, filters.programme, modules, filters.now, dialect)
    return download(content, "text/csv; charset=utf-8", name)


@require_GET
@reads_from_replica
@statement_timeout("DB_EXPORT_STATEMENT_TIMEOUT")
def export_xlsx(request: HttpRequest) -> HttpResponse:
    prepared = _export(request, "xlsx")
    if isinstance(prepared, HttpResponse):
        return prepared
    name, head, leaders, filters, modules = prepared
    body = csv_export.rows(leaders, modules, filters.now, as_text=False)
    return download(xlsx_export.stream(head, body), XLSX, name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The compliance lists: who is not enrolled, who is behind, with "Send reminder".
REMINDER_KINDS = {
    Status.NOT_ENROLLED: SentReminder.Kind.NOT_ENROLLED,
    Status.BEHIND: SentReminder.Kind.BEHIND,
}


def _compliance_leaders(scope, programme, status: str, now):
    """The scope's leaders with this status, each with the last reminder of its kind."""
    last = SentReminder.objects.filter(leader=OuterRef("pk"), kind=REMINDER_KINDS[status])
    leaders = report_leaders(scope, Filters(programme=programme, status=status, now=now))
    return leaders.annotate(
        last_reminded=Subquery(last.order_by("-sent_at").values("sent_at")[:1])
    ).select_related("department")


@require_http_methods(["GET", "POST"])
def compliance(request: HttpRequest, status: str) -> HttpResponse:
    """Not enrolled or behind, in the person's scope; HR and managers remind them by hand."""
    if status not in REMINDER_KINDS:
        raise Http404
    scope = scope_for(request.user)
    programme = current_programme(request)
    if programme is None:
        raise Http404
    now = clock.now()
    leaders = _compliance_leaders(scope, programme, status, now)
    if request.method == "POST":
        chosen = [value for value in request.POST.getlist("leader") if value.isdigit()]
        if not chosen:
            messages.error(request, gettext("Choose at least one leader to remind."))
            return redirect(request.path)
        summary = reminders.remind_by_hand(
            leaders=leaders.filter(pk__in=chosen),
            kind=REMINDER_KINDS[status],
            programme=programme,
            by=request.user,
            now=now,
        )
        messages.success(
            request,
            ngettext(
                "A reminder is on its way to %(count)d leader.",
                "A reminder is on its way to %(count)d leaders.",
                summary.sent,
            )
            % {"count": summary.sent},
        )
        if summary.too_soon:
            messages.info(
                request,
                ngettext(
                    "%(count)d leader was reminded less than %(days)d days ago and was skipped.",
                    "%(count)d leaders were reminded less than %(days)d days ago and were skipped.",
                    summary.too_soon,
                )
                % {"count": summary.too_soon, "days": settings.REMINDER_INTERVAL_DAYS},
            )
        return redirect(request.path)
    rows = list(leaders.order_by("department__name", "name", "pk"))
    since = now - dt.timedelta(days=settings.REMINDER_INTERVAL_DAYS)
    return render(
        request,
        "reports/compliance.html",
        {
            "status": status,
            "programme": programme,
            "rows": rows,
            "since": since,
            "interval": settings.REMINDER_INTERVAL_DAYS,
            "title": dict(Status.CHOICES)[status],
        },
    )
