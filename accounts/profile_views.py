"""*Min profil*: who the signed-in person is in the portal, for everyone who signs in.

Their name and e-mail, their roles (leader, manager of which departments, HR,
facilitator), a leader's department, and the ways on: their personal data and, for a
leader, the calendar feed's address and its renew button (``dashboard/feeds.py``); for a
manager, whether they want the weekly digest about their leaders (``managers/digest.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import DigestPreferenceForm
from programme.calendar import feed_addresses
from programme.models import Department, Facilitator


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        return _save_digest_preference(request)
    leader = getattr(user, "leader", None)
    managed = list(
        Department.objects.filter(managers=user).select_related("parent").order_by("name")
    )
    # An area's manager answers for the departments under it too (reports.rules.scope_for).
    under = list(
        Department.objects.filter(parent__managers=user)
        .exclude(managers=user)
        .order_by("name")
        .values_list("name", flat=True)
    )
    context = {
        "person": user,
        "leader": leader,
        "managed": managed,
        "under": under,
        "is_hr": user.is_hr,
        "is_facilitator": Facilitator.objects.filter(user=user).exists(),
        "feed": feed_addresses(leader),
        "feed_from": "profile",
        # Only a manager gets the digest, so only a manager is asked.
        "digest_form": DigestPreferenceForm.for_user(user) if managed else None,
    }
    return render(request, "accounts/profile.html", context)


def _save_digest_preference(request: HttpRequest) -> HttpResponse:
    if not request.user.managed_departments.exists():
        raise PermissionDenied
    form = DigestPreferenceForm(request.POST)
    form.is_valid()  # a checkbox: absent is off, anything else on
    preference = form.save(request.user)
    if preference.manager_digest:
        messages.success(request, _("You will get the weekly digest about your leaders."))
    else:
        messages.success(request, _("You will no longer get the weekly digest about your leaders."))
    return redirect("accounts:profile")
