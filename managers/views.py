"""*Mit team*: a manager's leaders on one page, and the same columns as CSV and xlsx.

Every view starts with :func:`reports.rules.scope_for`, the reports' one scope rule (HR:
every department, a manager: their own and those under an area they manage, anyone
else: 403), and reads its filters through :class:`TeamFilterForm` (a department outside
the scope: 404).

Requests for a place (:func:`approvals`, with ``ENROLMENT_APPROVAL=manager``): the open
requests of leaders in the scope, each approved (booked through :mod:`booking`) or
declined with a reason by :mod:`approvals.rules`; HR sees every one and may decide.

A leader's place (:func:`place`): a manager enrols, moves or cancels a leader of their
scope through :mod:`managers.places`, which goes through :mod:`booking`; a leader outside
the scope is a 404, as in the reports.

Reserved seats (:func:`reservations`, :func:`reservation`): a manager reserves seats in a
cohort for their departments, names leaders into them and releases the rest, through
:mod:`managers.reservations` and :mod:`booking`; HR sees and acts on every reservation
(and reserves for a manager in the admin). Someone else's reservation is a 404.
Absences reported in advance (:func:`absences`): the manager's leaders' notices (HR:
everyone's), approved or declined through ``programme/absences.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import booking
from approvals import rules as approval
from managers import absences as notices
from managers import places
from managers import reservations as reserved
from managers.forms import DecisionForm, NameForm, PlaceForm, ReserveForm, TeamFilterForm
from managers.team import COLUMNS, DEFAULT_SORT, TEAM_SORTS, Cells, file_rows, header, team_leaders
from portal.db import statement_timeout
from portal.routers import reads_from_replica
from programme import absences as absence_rules
from programme import clock
from programme.models import Enrolment, current_programme
from reports import csv_export, forecast, xlsx_export
from reports.forms import DownloadForm
from reports.rules import scope_for
from reports.views import download, export_label

LEADERS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: HttpRequest, *drop: str, **add: str) -> str:
    """The current query string, without ``drop`` and with ``add``."""
    params = request.GET.copy()
    for name in drop:
        params.pop(name, None)
    for name, value in add.items():
        params[name] = value
    return params.urlencode()


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", DEFAULT_SORT)
    return sort if sort in TEAM_SORTS else DEFAULT_SORT


def _headers(request: HttpRequest, current: str) -> list[dict]:
    """Each column's heading: the link that sorts by it (reversing if already) and aria-sort."""
    headers = []
    for key, label in COLUMNS:
        if current == key:
            target, state = f"-{key}", "ascending"
        elif current == f"-{key}":
            target, state = key, "descending"
        else:
            target, state = key, ""
        query = _query(request, "page", sort=target)
        headers.append({"label": label, "query": query, "aria_sort": state})
    return headers


@require_GET
@reads_from_replica
def team(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form = TeamFilterForm(request.GET, scope=scope, current=current_programme(request))
    filters = form.filters()
    sort = _sort(request)
    context = {
        "form": form,
        "filters": filters,
        "scope": scope,
        "sort": sort,
        "headers": _headers(request, sort),
        "download": DownloadForm(),
        "asks_approval": approval.required(),
    }
    if filters is not None:
        page = Paginator(team_leaders(scope, filters, sort), LEADERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        cells = Cells()
        context.update(
            forecast=forecast.summary(
                scope, filters.programme, filters.now, department=filters.department
            ),
            page=page,
            rows=[(leader, cells.row(leader)) for leader in page.object_list],
            page_query=_query(request, "page"),
        )
    status = 200 if form.is_valid() else 400
    return render(request, "managers/team.html", context, status=status)


def _download(request: HttpRequest, extension: str):
    """What both files need: (file name, rows), or the answer for bad filters."""
    scope = scope_for(request.user)
    form = TeamFilterForm(request.GET, scope=scope, current=current_programme(request))
    filters = form.filters()
    if filters is None:
        return HttpResponse(
            gettext("The filters are not valid; go back to the page and correct them."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    label = export_label(scope, filters)
    name = f"{gettext('team')}-{csv_export.filename(label, clock.today(), extension)}"
    leaders = team_leaders(scope, filters, _sort(request))
    return name, file_rows(leaders, as_text=extension == "csv")


@require_GET
@reads_from_replica
@statement_timeout("DB_EXPORT_STATEMENT_TIMEOUT")  # every leader in scope: may take longer
def export_csv(request: HttpRequest) -> HttpResponse:
    prepared = _download(request, "csv")
    if isinstance(prepared, HttpResponse):
        return prepared
    name, rows = prepared
    dialect = DownloadForm(request.GET).dialect_name()
    content = csv_export.encode(header(), rows, dialect)
    return download(content, "text/csv; charset=utf-8", name)


@require_GET
@reads_from_replica
@statement_timeout("DB_EXPORT_STATEMENT_TIMEOUT")
def export_xlsx(request: HttpRequest) -> HttpResponse:
    prepared = _download(request, "xlsx")
    if isinstance(prepared, HttpResponse):
        return prepared
    name, rows = prepared
    return download(xlsx_export.stream(header(), rows), XLSX, name)


# A leader's place, in the manager's hands: the page and its three buttons (POST, through
# booking, then back to the page with a message).

PLACE_ACTIONS = ("enrol", "move", "cancel")


def _place_context(request: HttpRequest, leader, scope, now, form=None) -> dict:
    programme = current_programme(request)
    held = places.current_place(leader, programme)
    cohorts = places.open_cohorts(programme, now)
    if form is None:
        form = PlaceForm(cohorts=cohorts, exclude=held.cohort_id if held else None)
    return {
        "leader": leader,
        "programme": programme,
        "place": held,
        "form": form,
        "may_cancel": places.may_cancel(held, by_staff=scope.is_hr, now=now),
    }


@require_http_methods(["GET", "POST"])
def place(request: HttpRequest, leader_pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    leader = places.leader_in_scope(scope, leader_pk)
    now = clock.now()
    if request.method == "GET":
        return render(request, "managers/place.html", _place_context(request, leader, scope, now))
    action = request.POST.get("action")
    if action not in PLACE_ACTIONS:
        return HttpResponseBadRequest(gettext("Unknown action."))
    programme = current_programme(request)
    held = places.current_place(leader, programme)
    try:
        if action == "cancel":
            messages.success(request, _cancel(leader, held, by_staff=scope.is_hr, now=now))
        else:
            form = PlaceForm(
                request.POST,
                cohorts=places.open_cohorts(programme, now),
                exclude=held.cohort_id if held else None,
            )
            if not form.is_valid():
                context = _place_context(request, leader, scope, now, form=form)
                return render(request, "managers/place.html", context, status=400)
            cohort = form.cleaned_data["cohort"]
            if action == "move" and held is not None:
                places.move(place=held, to_cohort=cohort, by_staff=scope.is_hr, now=now)
                messages.success(request, _moved(leader, cohort))
            else:
                enrolment = places.enrol(
                    leader=leader, cohort=cohort, by_staff=scope.is_hr, now=now
                )
                messages.success(request, _enrolled(leader, cohort, enrolment))
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    return redirect("managers:place", leader_pk=leader.pk)


def _cancel(leader, held, *, by_staff: bool, now) -> str:
    if held is None:
        raise booking.BookingError(
            gettext("%(leader)s has no place to cancel.") % {"leader": leader.name}
        )
    places.cancel(place=held, by_staff=by_staff, now=now)
    text = (
        gettext("%(leader)s has left the waitlist for %(cohort)s.")
        if held.status == Enrolment.Status.WAITLISTED
        else gettext("%(leader)s's place in %(cohort)s is cancelled.")
    )
    return text % {"leader": leader.name, "cohort": held.cohort.name}


def _enrolled(leader, cohort, enrolment) -> str:
    values = {"leader": leader.name, "cohort": cohort.name, "position": enrolment.position}
    if enrolment.status == Enrolment.Status.ENROLLED:
        return (
            gettext(
                "%(leader)s is enrolled in %(cohort)s. A confirmation with the calendar is on "
                "its way to their e-mail."
            )
            % values
        )
    return (
        gettext(
            "%(cohort)s is full, so %(leader)s is number %(position)s on its waitlist. "
            "We will write to them if a seat becomes free."
        )
        % values
    )


def _moved(leader, cohort) -> str:
    return gettext(
        "%(leader)s is moved to %(cohort)s. A confirmation with the new calendar is on its "
        "way to their e-mail."
    ) % {"leader": leader.name, "cohort": cohort.name}


# Reserved seats: the manager's list with the form to reserve, and one reservation with
# its named leaders and the buttons to name one and to release the rest.


def _reservations_context(request: HttpRequest, scope, now, form=None) -> dict:
    programme = current_programme(request)
    # HR reserves for a manager in the admin: no form here, no cohorts to read.
    cohorts = [] if scope.is_hr else reserved.reservable_cohorts(programme, now)
    return {
        "programme": programme,
        "reservations": [
            (row, reserved.is_open(row, now))
            for row in reserved.reservations(scope, request.user, programme)
        ],
        "form": form or ReserveForm(cohorts=cohorts),
        "may_reserve": not scope.is_hr,
        "release_days": settings.RESERVATION_RELEASE_DAYS,
    }


@require_http_methods(["GET", "POST"])
def reservations(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    now = clock.now()
    if request.method == "GET":
        context = _reservations_context(request, scope, now)
        return render(request, "managers/reservations.html", context)
    if scope.is_hr:
        # HR reserves for a manager in the admin, where the manager is chosen.
        raise PermissionDenied
    cohorts = reserved.reservable_cohorts(current_programme(request), now)
    form = ReserveForm(request.POST, cohorts=cohorts)
    if not form.is_valid():
        context = _reservations_context(request, scope, now, form=form)
        return render(request, "managers/reservations.html", context, status=400)
    cohort, seats = form.cleaned_data["cohort"], form.cleaned_data["seats"]
    try:
        made = booking.reserve(manager=request.user, cohort=cohort, seats=seats, now=now)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
        return redirect("managers:reservations")
    messages.success(
        request,
        ngettext(
            "%(seats)s seat in %(cohort)s is reserved for your leaders until %(day)s.",
            "%(seats)s seats in %(cohort)s are reserved for your leaders until %(day)s.",
            seats,
        )
        % {"seats": seats, "cohort": cohort.name, "day": _day(made.release_on)},
    )
    return redirect("managers:reservation", pk=made.pk)


def _day(day) -> str:
    return date_format(day, "j. F Y")


def _reservation_context(request, reservation, now, form=None) -> dict:
    is_open = reserved.is_open(reservation, now)
    leaders = reserved.leaders_to_name(reservation, now).select_related("department")
    names = reservation.names.select_related("enrolment__leader").order_by("pk")
    return {
        "reservation": reservation,
        "is_open": is_open,
        "names": [name.enrolment for name in names],
        "form": form or NameForm(leaders=leaders if is_open else []),
    }


@require_http_methods(["GET", "POST"])
def reservation(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    held = reserved.reservation_for(scope, request.user, pk)
    now = clock.now()
    if request.method == "GET":
        context = _reservation_context(request, held, now)
        return render(request, "managers/reservation.html", context)
    action = request.POST.get("action")
    try:
        if action == "release":
            booking.release_reservation(reservation=held, by_staff=scope.is_hr, now=now)
            messages.success(
                request,
                gettext("The unnamed seats in %(cohort)s are released.")
                % {"cohort": held.cohort.name},
            )
        elif action == "name":
            leaders = reserved.leaders_to_name(held, now).select_related("department")
            form = NameForm(request.POST, leaders=leaders)
            if not form.is_valid():
                context = _reservation_context(request, held, now, form=form)
                return render(request, "managers/reservation.html", context, status=400)
            leader = form.cleaned_data["leader"]
            seat = booking.name_leader(reservation=held, leader=leader, now=now)
            messages.success(request, _enrolled(leader, held.cohort, seat))
        else:
            return HttpResponseBadRequest(gettext("Unknown action."))
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    return redirect("managers:reservation", pk=held.pk)


# Absences reported in advance: the list, and each one's two buttons (POST, then back).

DECISIONS = {"approve": True, "decline": False}


@require_GET
def absences(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    now = clock.now()
    context = {
        "waiting": notices.waiting(scope),
        "answered": notices.answered(scope, now),
        "answered_days": notices.ANSWERED_SHOWN_DAYS,
        "now": now,
    }
    return render(request, "managers/absences.html", context)


@require_POST
def decide_absence(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    notice = notices.notice_in_scope(scope, pk)
    approve = DECISIONS.get(request.POST.get("action", ""))
    if approve is None:
        messages.error(request, gettext("Choose approve or decline."))
        return redirect("managers:absences")
    try:
        notices.answer(notice=notice, approve=approve, by=request.user)
    except absence_rules.AbsenceError as exc:
        messages.error(request, exc.messages[0])
    else:
        text = (
            gettext("%(leader)s's absence from %(module)s is approved and recorded as excused.")
            if approve
            else gettext("%(leader)s's absence from %(module)s is declined.")
        )
        messages.success(
            request, text % {"leader": notice.leader.name, "module": notice.session.module.title}
        )
    return redirect("managers:absences")


# Requests for a place (ENROLMENT_APPROVAL=manager): the list, and one decision a POST.


def _approvals_page(request: HttpRequest, scope, *, failed=None, status: int = 200):
    now = clock.now()
    rows = [
        (item, failed[1] if failed and failed[0] == item.pk else DecisionForm(prefix=str(item.pk)))
        for item in approval.open_requests(scope, request.user)
    ]
    context = {"rows": rows, "scope": scope, "now": now, "asks_approval": approval.required()}
    return render(request, "managers/approvals.html", context, status=status)


@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    return _approvals_page(request, scope_for(request.user))


@require_http_methods(["POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    item = approval.request_to_decide(scope, request.user, pk)
    form = DecisionForm(request.POST, prefix=str(item.pk))
    if not form.is_valid():
        return _approvals_page(request, scope, failed=(item.pk, form), status=400)
    values = {"leader": item.leader.name, "cohort": item.cohort.name}
    try:
        if form.cleaned_data["action"] == DecisionForm.APPROVE:
            enrolment = approval.approve(
                request=item, by=request.user, by_staff=scope.is_hr, now=clock.now()
            )
            messages.success(request, _enrolled(item.leader, item.cohort, enrolment))
        else:
            approval.decline(
                request=item, by=request.user, reason=form.cleaned_data["reason"], now=clock.now()
            )
            messages.success(
                request,
                gettext("%(leader)s's request for %(cohort)s is declined; they are told why.")
                % values,
            )
    except (approval.ApprovalError, booking.BookingError) as exc:
        messages.error(request, str(exc))
    return redirect("managers:approvals")
