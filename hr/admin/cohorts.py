"""The programme as planned: programmes and their modules, cohorts, sessions.

A cohort's capacity and a session's cohort change seats, so both are saved through
:mod:`booking`; the cohort's page shows its sessions and places to read.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import booking
from groups import forming
from hr.admin.actions import report_promoted
from hr.admin.attendance import AttendanceSheetMixin
from hr.admin.base import LabelledTabularInline, ReadOnlyTabularInline, correlated_count
from hr.forms import CohortAdminForm, SessionAdminForm
from programme.models import (
    Attendance,
    Cohort,
    Enrolment,
    MakeUpBooking,
    Module,
    Programme,
    Session,
)


class ModuleInline(LabelledTabularInline):
    model = Module
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    search_fields = ["name"]
    inlines = [ModuleInline]
    actions = ["form_learning_groups"]

    @admin.action(
        description=_("Form learning groups across the whole programme"),
        permissions=["form_groups"],
    )
    def form_learning_groups(self, request, queryset):
        for programme in queryset:
            report_formed(request, programme, forming.form(programme))

    def has_form_groups_permission(self, request):
        return _may_form_groups(request)


def _may_form_groups(request) -> bool:
    return request.user.has_perms(
        ["groups.add_learninggroup", "groups.delete_learninggroup", "groups.add_groupmembership"]
    )


def report_formed(request, scope, formed: forming.Formed) -> None:
    """What forming the learning groups of a cohort or programme did."""
    message = gettext("%(scope)s: %(groups)s learning groups formed with %(leaders)s leaders.") % {
        "scope": scope,
        "groups": formed.groups,
        "leaders": formed.leaders,
    }
    if formed.replaced:
        message += " " + gettext("%(n)s groups formed earlier were replaced.") % {
            "n": formed.replaced
        }
    if formed.kept:
        message += " " + gettext("%(n)s groups edited by hand were kept as they are.") % {
            "n": formed.kept
        }
    if formed.elsewhere:
        message += " " + gettext("%(n)s leaders already in a group were left out.") % {
            "n": formed.elsewhere
        }
    messages.success(request, message)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "order", "required"]
    list_filter = ["programme", "required"]
    search_fields = ["title"]


# --- Cohorts ----------------------------------------------------------------------


class SessionInline(ReadOnlyTabularInline):
    """The cohort's sessions, to read. Each is added, changed and deleted on its own page
    (SessionAdmin), the one door that goes through booking.save_session and
    booking.delete_session: seats, room and facilitator are checked there under the
    cohort's lock. This inline takes no add, change or delete, whatever is posted."""

    model = Session
    fields = ["module", "starts_at", "ends_at", "location", "facilitator", "change_session"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("cohort", "module", "location", "facilitator")
            .order_by("starts_at", "pk")
        )

    @admin.display(description=_("session"))
    def change_session(self, obj):
        return format_html(
            '<a href="{}">{}<span class="visually-hidden">: {}</span></a>',
            reverse("admin:programme_session_change", args=[obj.pk]),
            gettext("Change"),
            obj,
        )


class PlacesInline(ReadOnlyTabularInline):
    """Who holds a place in the cohort, to read, each leader linked to their page; places
    change through the leader list's actions (booking), not here."""

    model = Enrolment
    verbose_name = _("place")
    verbose_name_plural = _("enrolled leaders")
    fields = ["leader_link", "employee_number", "department", "requested_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Enrolment.Status.ENROLLED)
            .select_related("leader__department", "cohort")
            .order_by("leader__name", "pk")
        )

    @admin.display(description=_("leader"))
    def leader_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programme_leader_change", args=[obj.leader_id]),
            obj.leader.name,
        )

    @admin.display(description=_("employee number"))
    def employee_number(self, obj):
        return obj.leader.employee_number

    @admin.display(description=_("department"))
    def department(self, obj):
        return obj.leader.department


class WaitlistInline(LabelledTabularInline):
    model = Enrolment
    verbose_name = _("waitlist place")
    verbose_name_plural = _("waitlist, in order of arrival")
    fields = ["leader", "requested_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Enrolment.Status.WAITLISTED)
            .select_related("leader", "cohort")
            .order_by("pk")
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "programme",
        "capacity",
        "seats_taken",
        "seats_free",
        "waitlist_length",
        "enrolment_deadline",
    ]
    list_filter = ["programme"]
    search_fields = ["name"]
    inlines = [SessionInline, PlacesInline, WaitlistInline]
    form = CohortAdminForm
    actions = ["form_learning_groups"]

    @admin.action(description=_("Form learning groups"), permissions=["form_groups"])
    def form_learning_groups(self, request, queryset):
        for cohort in queryset.select_related("programme"):
            report_formed(request, cohort, forming.form(cohort.programme, cohort))

    def has_form_groups_permission(self, request):
        return _may_form_groups(request)

    def get_queryset(self, request):
        return super().get_queryset(request).with_seats().select_related("programme")

    def get_inlines(self, request, obj):
        # A cohort being added has no sessions or places yet; its sessions are added on
        # their own page once it exists.
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        # Places carry their cohort's programme; a cohort stays in its programme.
        return ["programme"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        capacity = obj.capacity
        if change and "capacity" in form.changed_data:
            # Seats change through booking: checked under the lock taken by the form.
            obj.capacity = form.initial["capacity"]
        super().save_model(request, obj, form, change)
        if obj.capacity != capacity:
            result = booking.set_capacity(cohort=obj, capacity=capacity)
            report_promoted(request, result.promoted)

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken(self, obj):
        return obj.seats_taken

    @admin.display(description=_("free seats"))
    def seats_free(self, obj):
        return max(obj.capacity - obj.seats_taken, 0)

    @admin.display(description=_("on waitlist"), ordering="waitlist_length")
    def waitlist_length(self, obj):
        return obj.waitlist_length


# --- Sessions -----------------------------------------------------------------------


@admin.register(Session)
class SessionAdmin(AttendanceSheetMixin, admin.ModelAdmin):
    list_display = [
        "module",
        "cohort",
        "starts_at",
        "location",
        "facilitator",
        "expected_count",
        "recorded_count",
        "attendance_count",
        "sheet_link",
    ]
    list_filter = ["cohort__programme", "cohort", "module"]
    search_fields = ["location__name", "facilitator__name", "module__title", "cohort__name"]
    list_select_related = ["module", "cohort", "location", "facilitator"]
    date_hierarchy = "starts_at"
    actions = ["open_attendance_sheet"]
    form = SessionAdminForm

    def get_queryset(self, request):
        enrolled = Enrolment.objects.filter(
            cohort=OuterRef("cohort"), status=Enrolment.Status.ENROLLED
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                expected_count=correlated_count(enrolled, "cohort")
                + correlated_count(MakeUpBooking.objects.filter(session=OuterRef("pk")), "session"),
                recorded_count=correlated_count(
                    Attendance.objects.filter(session=OuterRef("pk")), "session"
                ),
                attendance_count=correlated_count(
                    Attendance.objects.filter(
                        session=OuterRef("pk"), status__in=Attendance.COMPLETING
                    ),
                    "session",
                ),
            )
        )

    def save_model(self, request, obj, form, change):
        # A session moved to another cohort takes its make-up guests' seats along.
        previous = form.initial.get("cohort") if change else None
        result = booking.save_session(session=obj, previous_cohort_id=previous)
        report_promoted(request, result.promoted)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        # Added with the link on its cohort's page (?cohort=): back to that page.
        if request.GET.get("cohort") and not {"_addanother", "_continue", IS_POPUP_VAR} & set(
            request.POST
        ):
            return HttpResponseRedirect(
                reverse("admin:programme_cohort_change", args=[obj.cohort_id])
            )
        return response

    def delete_model(self, request, obj):
        booking.delete_session(session=obj)

    def delete_queryset(self, request, queryset):
        for session in queryset:
            booking.delete_session(session=session)

    @admin.display(description=_("expected"), ordering="expected_count")
    def expected_count(self, obj):
        return obj.expected_count

    @admin.display(description=_("recorded"), ordering="recorded_count")
    def recorded_count(self, obj):
        return obj.recorded_count

    @admin.display(description=_("attended"), ordering="attendance_count")
    def attendance_count(self, obj):
        return obj.attendance_count
