"""The facilitator's session screen and the leaders' self check-in.

A facilitator sees only the sessions they run (HR sees every one); another's session
is a 404. Check-in by code is public up to the point where it needs to know who is
checking in: the code is checked at once (it changes every half minute), remembered
in the browser's session for a few minutes, and the check-in is recorded after
signing in if needed.
"""

from __future__ import annotations

import datetime as dt

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from programme import clock
from programme.models import Attendance, Leader, Session
from rooms import checkin

TICKET_KEY = "check_in_ticket"
# How long a valid code, once scanned, waits for its owner to sign in.
TICKET_MINUTES = 10


def _get_session_for_facilitator(request: HttpRequest, pk: int) -> Session:
    return get_object_or_404(checkin.sessions_for(request.user), pk=pk)


def _qr_svg(url: str) -> str:
    # segno writes the SVG itself (no image library, no inline style): the page's CSP
    # allows it, and it scales to any screen without blurring.
    return mark_safe(  # noqa: S308 - segno's own SVG of our own URL
        segno.make(url, error="m").svg_inline(scale=8, omitsize=True, border=4, svgclass="qr")
    )


@never_cache
def facilitator_sessions(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    today = dt.datetime.combine(clock.today(), dt.time.min, tzinfo=now.tzinfo)
    sessions = list(checkin.sessions_for(request.user).order_by("starts_at", "pk"))
    return render(
        request,
        "checkin/sessions.html",
        {
            "today": [s for s in sessions if today <= s.starts_at < today + dt.timedelta(days=1)],
            "upcoming": [s for s in sessions if s.starts_at >= today + dt.timedelta(days=1)],
            "past": [s for s in sessions if s.starts_at < today][::-1][:20],
            "now": now,
        },
    )


@never_cache
def session_screen(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_facilitator(request, pk)
    now = clock.now()
    rows = checkin.screen_rows(session)
    is_open = checkin.is_open(session, now)
    context = {
        "session": session,
        "rows": rows,
        "checked_in": sum(1 for _, a in rows if a and a.status in Attendance.COMPLETING),
        "is_open": is_open,
        "opens_at": checkin.opens_at(session),
        "started": session.starts_at <= now,
        "now": now,
    }
    if is_open:
        code = checkin.current_code(session, now)
        url = request.build_absolute_uri(reverse("checkin:code", args=[code]))
        context.update(
            code=code, qr=_qr_svg(url), url=url, refresh_seconds=checkin.seconds_left(now)
        )
    return render(request, "checkin/screen.html", context)


@require_POST
def mark_present(request: HttpRequest, pk: int, leader_pk: int) -> HttpResponse:
    """For someone without a phone: the facilitator checks them in."""
    session = _get_session_for_facilitator(request, pk)
    leader = get_object_or_404(Leader, pk=leader_pk)
    try:
        done = checkin.record(
            session=session,
            leader=leader,
            by=request.user,
            source=Attendance.Source.FACILITATOR,
        )
    except checkin.CheckInError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(leader)s is checked in (%(status)s).")
            % {"leader": leader.name, "status": done.attendance.get_status_display()},
        )
    return redirect("checkin:screen", pk=session.pk)


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_facilitator(request, pk)
    try:
        closed = checkin.close_session(session=session, by=request.user)
    except checkin.CheckInError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The session is closed: %(absent)s recorded absent.") % {"absent": closed.absent},
        )
    return redirect("checkin:screen", pk=session.pk)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=20,
        help_text=gettext_lazy("The six letters and digits under the QR code on the screen."),
    )


@login_not_required
@never_cache
def enter_code(request: HttpRequest) -> HttpResponse:
    """For people who type the code instead of scanning it."""
    form = CodeForm(request.POST or None)
    if form.is_valid():
        return redirect("checkin:code", code=checkin.normalise(form.cleaned_data["code"]))
    return render(request, "checkin/enter_code.html", {"form": form})


@login_not_required
@never_cache
def by_code(request: HttpRequest, code: str) -> HttpResponse:
    """The QR code's address: check the code now, then who is checking in."""
    now = clock.now()
    try:
        session = checkin.session_for_code(code, now)
    except checkin.CheckInError as exc:
        return render(request, "checkin/refused.html", {"reason": str(exc)}, status=410)
    request.session[TICKET_KEY] = {"session": session.pk, "at": now.timestamp()}
    return redirect("checkin:confirm")


@never_cache
def confirm(request: HttpRequest) -> HttpResponse:
    """Signed in, with a code scanned in the last few minutes: record the check-in."""
    now = clock.now()
    ticket = request.session.pop(TICKET_KEY, None)
    leader = getattr(request.user, "leader", None)
    session = None
    if ticket and now.timestamp() - ticket["at"] <= TICKET_MINUTES * 60:
        session = (
            Session.objects.select_related("module", "cohort").filter(pk=ticket["session"]).first()
        )
    if session is None:
        reason = _("Scan the code on the screen in the room to check in.")
    elif leader is None:
        reason = _("Only leaders in the programme can check in.")
    else:
        try:
            done = checkin.record(
                session=session,
                leader=leader,
                by=request.user,
                source=Attendance.Source.SELF_CHECK_IN,
                now=now,
            )
        except checkin.CheckInError as exc:
            reason = str(exc)
        else:
            return render(request, "checkin/done.html", {"done": done})
    return render(request, "checkin/refused.html", {"reason": reason}, status=409)
