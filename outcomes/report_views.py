"""The programme owner's view: the self-assessment and the initiatives, for HR and managers.

Built on the completion reports (:mod:`reports.rules`: the same scope, filters and
downloads); the self-assessment's groups are whole blocks of leaders
(:mod:`reports.disclosure`).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from outcomes import assessment, initiatives
from outcomes.forms import OutcomeFilterForm
from outcomes.models import Dimension, Initiative
from programme import clock
from programme.models import Leader
from reports import csv_export, forecast
from reports.forms import DownloadForm
from reports.rules import outcome_leaders, scope_for
from reports.views import download, query_without

INITIATIVES_PER_PAGE = 50


def _outcome_filters(request: HttpRequest):
    scope = scope_for(request.user)
    form = OutcomeFilterForm(request.GET, scope=scope)
    return scope, form, form.filters()


def _self_assessment(scope, form, filters):
    """The self-assessment's groups and total for these filters: the organisation's units
    only (the level and cohort filters do not reach it). Once the programme has ended,
    the answers still waiting are first combined across departments (if the hourly job
    has not done it yet)."""
    assessment.close_statistics(filters.programme, filters.now)
    return assessment.aggregates(
        scope,
        filters.programme,
        department=filters.department,
        unit=filters.unit,
        grouping=form.cleaned_data["grouping"],
    )


@require_GET
def outcomes(request: HttpRequest) -> HttpResponse:
    """Averages per dimension before and after, over whole blocks of leaders per unit of
    the organisation, and the initiatives: counted per department, and listed with the
    filters."""
    scope, form, filters = _outcome_filters(request)
    context = {
        "form": form,
        "filters": filters,
        "min_group": assessment.min_group(),
        "download": DownloadForm(),
    }
    if filters is not None:
        groups, total = _self_assessment(scope, form, filters)
        here = outcome_leaders(scope, filters).filter(
            Leader.here_on(timezone.localdate(filters.now))
        )
        found = initiatives.report_initiatives(
            here,
            filters.programme,
            status=form.cleaned_data["initiative_status"],
            dimension=form.cleaned_data["dimension"],
        )
        counts, counts_total = initiatives.department_counts(here, filters.programme, found)
        page = Paginator(
            found.select_related("leader__department", "other_department").order_by(
                "leader__department__name", "leader__name", "pk"
            ),
            INITIATIVES_PER_PAGE,
        ).get_page(request.GET.get("page"))
        context.update(
            forecast=forecast.summary(
                scope,
                filters.programme,
                filters.now,
                unit=filters.unit,
                department=filters.department,
            ),
            groups=groups,
            total=total,
            group_label=_group_label(scope, form, filters),
            dimensions=Dimension.choices,
            counts=counts,
            counts_total=counts_total,
            statuses=[Initiative.Status(s).label for s in initiatives.COUNTED],
            page=page,
            page_query=query_without(request, "page"),
            across=initiatives.dimensions_across_areas(found),
        )
    return render(request, "outcomes/report.html", context, status=200 if form.is_valid() else 400)


def _group_label(scope, form, filters) -> str:
    """What the self-assessment's lines are: departments, or administrations and centres."""
    by_area = (
        scope.is_hr
        and filters.department is None
        and filters.unit is None
        and form.cleaned_data["grouping"] == assessment.Grouping.AREA
    )
    return gettext("Administration or centre") if by_area else gettext("Department")


def _bad_filters() -> HttpResponse:
    return HttpResponse(
        gettext("The filters are not valid; go back to the report and correct them."),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _outcome_file_name(what: str, scope, filters) -> str:
    if filters.department is not None:
        label = filters.department.code
    elif filters.unit is not None:
        label = filters.unit.code
    else:
        label = gettext("all departments") if scope.is_hr else gettext("my departments")
    what, whose = slugify(what, allow_unicode=True), slugify(label, allow_unicode=True)
    return f"{what}-{whose}-{clock.today().isoformat()}.csv"


@require_GET
def outcomes_csv(request: HttpRequest) -> HttpResponse:
    """The averages exactly as on the page: the same groups, the same total."""
    scope, form, filters = _outcome_filters(request)
    if filters is None:
        return _bad_filters()
    groups, total = _self_assessment(scope, form, filters)
    kind = _group_label(scope, form, filters)
    rows = []
    for group in groups:
        rows += assessment.csv_rows(kind, group)
    rows += assessment.csv_rows(gettext("Total"), total)
    head = assessment.csv_header()
    name = _outcome_file_name(gettext("self-assessment"), scope, filters)
    dialect = DownloadForm(request.GET).dialect_name()
    return download(csv_export.encode(head, rows, dialect), "text/csv; charset=utf-8", name)


@require_GET
def initiatives_csv(request: HttpRequest) -> HttpResponse:
    scope, form, filters = _outcome_filters(request)
    if filters is None:
        return _bad_filters()
    here = outcome_leaders(scope, filters).filter(Leader.here_on(timezone.localdate(filters.now)))
    found = initiatives.report_initiatives(
        here,
        filters.programme,
        status=form.cleaned_data["initiative_status"],
        dimension=form.cleaned_data["dimension"],
    ).select_related("leader__department", "other_department")
    name = _outcome_file_name(gettext("initiatives"), scope, filters)
    dialect = DownloadForm(request.GET).dialect_name()
    body = initiatives.csv_rows(found.order_by("leader__department__name", "leader__name", "pk"))
    return download(
        csv_export.encode(initiatives.csv_header(), body, dialect),
        "text/csv; charset=utf-8",
        name,
    )
