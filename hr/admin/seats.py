"""Places in cohorts (enrolments) and make-up seats: shown, and changed only through
:mod:`booking` by the actions and the make-up add form."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

import booking
from hr.admin.actions import SeatActionsMixin, apply_to_each, cancel, move, ordered, promote
from hr.admin.base import PortalHistoryAdmin
from hr.forms import MakeUpBookingAdminForm
from programme.models import Enrolment, MakeUpBooking


@admin.register(Enrolment)
class EnrolmentAdmin(SeatActionsMixin, PortalHistoryAdmin):
    list_display = [
        "leader",
        "employee_number",
        "department",
        "cohort",
        "status",
        "requested_at",
        "cancelled_at",
    ]
    list_filter = ["programme", "cohort", "status", "leader__department"]
    search_fields = ["leader__name", "leader__employee_number", "leader__user__email"]
    search_help_text = _("Search by the leader's name, e-mail or employee number.")
    list_select_related = ["leader__department", "cohort"]
    readonly_fields = [
        "leader",
        "cohort",
        "status",
        "requested_at",
        "cancelled_at",
        "end_reason",
    ]
    actions = ["move_to_cohort", "promote_from_waitlist", "cancel_enrolments"]
    list_per_page = 50

    @admin.display(description=_("employee number"), ordering="leader__employee_number")
    def employee_number(self, obj):
        return obj.leader.employee_number

    @admin.display(description=_("department"), ordering="leader__department__name")
    def department(self, obj):
        return obj.leader.department

    def has_add_permission(self, request):
        # Seats change only through the booking functions (see the actions).
        return False

    def has_change_permission(self, request, obj=None):
        # A place is shown, not edited: the actions change it through booking.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting would free a seat without promoting the waitlist: cancel instead.
        return False

    @admin.action(description=_("Move to another cohort…"), permissions=["change"])
    def move_to_cohort(self, request, queryset):
        return self.choose_cohort(
            request,
            queryset,
            action="move_to_cohort",
            title=gettext("Move leaders to another cohort"),
            button=gettext("Move"),
            run=lambda cohort: move(request, ordered(queryset), cohort),
        )

    @admin.action(description=_("Give a seat from the waitlist"), permissions=["change"])
    def promote_from_waitlist(self, request, queryset):
        promote(request, ordered(queryset))

    @admin.action(description=_("Cancel their place"), permissions=["change"])
    def cancel_enrolments(self, request, queryset):
        cancel(request, ordered(queryset))


@admin.register(MakeUpBooking)
class MakeUpBookingAdmin(PortalHistoryAdmin):
    """HR books a make-up seat by the rules of the leader's button, and cancels with
    the action (which gives the seat to the session's cohort's waitlist)."""

    list_display = ["leader", "session", "booked_at"]
    list_filter = ["session__cohort__programme", "session__cohort", "session__module"]
    list_select_related = ["leader", "session__module", "session__cohort"]
    search_fields = ["leader__name", "leader__employee_number", "leader__user__email"]
    autocomplete_fields = ["leader"]
    form = MakeUpBookingAdminForm
    actions = ["cancel_makeups"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        booked = booking.book_makeup(leader=obj.leader, session=obj.session, by_staff=True)
        obj.pk, obj.booked_at = booked.pk, booked.booked_at

    @admin.action(description=_("Cancel the make-up seats"), permissions=["change"])
    def cancel_makeups(self, request, queryset):
        apply_to_each(
            request,
            queryset.select_related("leader", "session").order_by("pk"),
            lambda makeup: booking.cancel_makeup(booking=makeup),
            leader=lambda makeup: makeup.leader,
            success=lambda n: ngettext(
                "Cancelled the make-up seat of %(count)s leader: %(leaders)s.",
                "Cancelled the make-up seats of %(count)s leaders: %(leaders)s.",
                n,
            ),
        )
