"""What the admin's actions on several leaders share.

Every such action changes one leader at a time through the function that owns the
rule (booking, invitations, anonymisation), each change in its own transaction, in
order: :func:`apply_to_each` runs them and tells HR in one success line who was
changed and in one error line per leader what was refused and why. A refusal for one
leader does not undo the others' changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext

import booking
from hr.admin.forms import CohortChoiceForm


def apply_to_each(
    request: HttpRequest,
    items: Iterable,
    change: Callable[[Any], Any],
    *,
    success: Callable[[int], str],
    leader: Callable[[Any], Any] = lambda item: item,
    refused_by: type[Exception] | tuple[type[Exception], ...] = booking.BookingError,
    counted: Callable[[Any], bool] = lambda result: True,
    values: dict | None = None,
    warn_if_none: bool = True,
) -> list[tuple[str, Any]]:
    """Make ``change(item)`` for each item in turn and report to HR what happened.

    ``leader(item)`` is the leader the item is about (the item itself, or its
    ``.leader``); their name is read before the change, which may anonymise it. An
    exception of ``refused_by`` is a refusal: one error line with the leader's name and
    the reason. The others share one success line, ``success(n)`` filled with
    ``count``, ``leaders`` and ``values``, counting the changes whose result is
    ``counted`` (an enrolment that ended on the waitlist is reported by the caller).
    With nothing changed and nothing refused, HR is told that no leaders were selected
    (unless ``warn_if_none`` is false).

    Returns ``(name, result)`` for each change that was made, in order.
    """
    made, refused = [], []
    for item in items:
        name = leader(item).name
        try:
            result = change(item)
        except refused_by as exc:
            refused.append((name, str(exc)))
        else:
            made.append((name, result))
    done = [name for name, result in made if counted(result)]
    if done:
        count = len(done)
        messages.success(
            request,
            success(count) % {"count": count, "leaders": ", ".join(done), **(values or {})},
        )
    report_refusals(request, refused)
    if warn_if_none and not made and not refused:
        messages.warning(request, gettext("No leaders were selected."))
    return made


def report_refusals(request: HttpRequest, refused: list[tuple[str, str]]) -> None:
    """One error line per refused leader, with the reason."""
    for leader, reason in refused:
        messages.error(
            request, gettext("%(leader)s: %(reason)s") % {"leader": leader, "reason": reason}
        )


def report_promoted(request: HttpRequest, promoted: Iterable) -> None:
    """The leaders a change gave a seat from the waitlist, if any."""
    names = [enrolment.leader.name for enrolment in promoted]
    if names:
        messages.info(
            request,
            gettext("From the waitlist, these leaders got a seat: %(leaders)s.")
            % {"leaders": ", ".join(names)},
        )


def ordered(enrolments) -> list:
    # First come, first served when seats run short.
    return list(enrolments.select_related("leader", "cohort").order_by("pk"))


# --- Seat actions shared by the leader and enrolment lists ---------------------------


class SeatActionsMixin:
    """The cohort-choosing page shared by the leader and enrolment actions."""

    def choose_cohort(self, request, queryset, *, action: str, title: str, button: str, run):
        form = CohortChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            run(form.cleaned_data["cohort"])
            return None  # back to the list, with the messages
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "objects": queryset,
            "action": action,
            "button": button,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/programme/choose_cohort.html", context)


def move(request, enrolments, cohort) -> None:
    apply_to_each(
        request,
        enrolments,
        lambda enrolment: booking.move(enrolment=enrolment, to_cohort=cohort),
        leader=lambda enrolment: enrolment.leader,
        success=lambda n: ngettext(
            "Moved %(count)s leader to %(cohort)s: %(leaders)s.",
            "Moved %(count)s leaders to %(cohort)s: %(leaders)s.",
            n,
        ),
        values={"cohort": cohort.name},
    )


def promote(request, enrolments) -> None:
    apply_to_each(
        request,
        enrolments,
        lambda enrolment: booking.promote(enrolment=enrolment),
        leader=lambda enrolment: enrolment.leader,
        success=lambda n: ngettext(
            "Gave %(count)s leader a seat: %(leaders)s.",
            "Gave %(count)s leaders a seat: %(leaders)s.",
            n,
        ),
    )


def cancel(request, enrolments) -> None:
    made = apply_to_each(
        request,
        enrolments,
        lambda enrolment: booking.cancel(enrolment=enrolment, by_staff=True),
        leader=lambda enrolment: enrolment.leader,
        success=lambda n: ngettext(
            "Cancelled the place of %(count)s leader: %(leaders)s.",
            "Cancelled the places of %(count)s leaders: %(leaders)s.",
            n,
        ),
    )
    report_promoted(request, [e for _name, result in made for e in result.promoted])
