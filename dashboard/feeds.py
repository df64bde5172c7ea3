"""A leader's calendar feed: a secret address their calendar program subscribes to, which
always shows their current sessions (their cohort's and their make-ups), moved times
and rooms included.

The address holds a random key (``Leader.calendar_token``), made when the leader first
asks for it and replaced when they renew it from the dashboard; the old address then
answers 404. The feed itself needs no sign-in (a calendar program has no session
cookie): the key is the only thing that opens it, and it opens nothing else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from programme import calendar, clock
from programme.access import signed_in_leader
from programme.models import Leader, Programme

# What Leader.renew_calendar_token makes (secrets.token_urlsafe(32)): longer is no key.
TOKEN_LENGTH = 43


# The feed's addresses are shown on the dashboard and on the profile page (accounts).
addresses = calendar.feed_addresses


@login_not_required
@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The leader's current sessions as iCalendar, for a calendar program to subscribe to."""
    leader = (
        Leader.objects.filter(calendar_token=token).first() if len(token) <= TOKEN_LENGTH else None
    )
    if leader is None or leader.has_left(clock.today()):
        raise Http404
    programme = Programme.current()
    sessions = calendar.schedule(leader, programme) if programme else []
    name = programme.name if programme else _("Digital leadership")
    response = HttpResponse(
        calendar.build_calendar(sessions, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="digital-ledelse.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def renew_feed(request: HttpRequest) -> HttpResponse:
    """The leader's new feed address (their first, or one replacing the old)."""
    leader = signed_in_leader(request)
    had_one = bool(leader.calendar_token)
    leader.renew_calendar_token()
    if had_one:
        messages.success(
            request,
            _(
                "Your calendar has a new address. The old one no longer works: subscribe "
                "to the new one in your calendar program."
            ),
        )
    else:
        messages.success(
            request, _("Your calendar address is ready: subscribe to it in your calendar program.")
        )
    # Back to where the button was: the dashboard, or the profile page (its only other place).
    back = "accounts:profile" if request.POST.get("from") == "profile" else "dashboard:dashboard"
    return redirect(reverse(back) + "#calendar-feed")
