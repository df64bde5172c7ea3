from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    SentReminder,
    Session,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    search_fields = ["name"]
    inlines = [ModuleInline]


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "order", "required"]
    list_filter = ["programme", "required"]
    search_fields = ["title"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "leader_count"]
    search_fields = ["name", "code"]
    filter_horizontal = ["managers"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(leader_count=Count("leaders"))

    @admin.display(description=_("leaders"), ordering="leader_count")
    def leader_count(self, obj):
        return obj.leader_count


@admin.register(Leader)
class LeaderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "employee_number", "email", "level", "department", "left_on"]
    list_filter = ["level", "department", "enrolments__cohort__programme"]
    search_fields = ["name", "employee_number", "user__email"]
    list_select_related = ["department", "user"]
    autocomplete_fields = ["user", "department"]

    @admin.display(description=_("e-mail address"), ordering="user__email")
    def email(self, obj):
        return obj.user.email


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["module", "starts_at", "ends_at", "location", "facilitator"]


class WaitlistInline(admin.TabularInline):
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
            .select_related("leader")
            .order_by("requested_at", "pk")
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
    inlines = [SessionInline, WaitlistInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_seats().select_related("programme")

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken(self, obj):
        return obj.seats_taken

    @admin.display(description=_("free seats"))
    def seats_free(self, obj):
        return max(obj.capacity - obj.seats_taken, 0)

    @admin.display(description=_("on waitlist"), ordering="waitlist_length")
    def waitlist_length(self, obj):
        return obj.waitlist_length


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    fields = ["leader", "status", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]
    autocomplete_fields = ["leader"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["module", "cohort", "starts_at", "ends_at", "location", "attendance_count"]
    list_filter = ["cohort__programme", "cohort", "module"]
    search_fields = ["location", "facilitator", "module__title", "cohort__name"]
    list_select_related = ["module", "cohort"]
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                attendance_count=Count(
                    "attendances", filter=Q(attendances__status__in=Attendance.COMPLETING)
                )
            )
        )

    @admin.display(description=_("attended"), ordering="attendance_count")
    def attendance_count(self, obj):
        return obj.attendance_count

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if isinstance(instance, Attendance):
                instance.recorded_by = request.user
            instance.save()
        formset.save_m2m()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(Enrolment)
class EnrolmentAdmin(SimpleHistoryAdmin):
    list_display = ["leader", "cohort", "status", "requested_at", "cancelled_at"]
    list_filter = ["programme", "cohort", "status", "leader__department"]
    search_fields = ["leader__name", "leader__employee_number", "leader__user__email"]
    list_select_related = ["leader", "cohort"]
    readonly_fields = ["leader", "cohort", "status", "requested_at", "cancelled_at"]

    def has_add_permission(self, request):
        # Seats change only through the booking functions (see the actions).
        return False


@admin.register(MakeUpBooking)
class MakeUpBookingAdmin(SimpleHistoryAdmin):
    list_display = ["leader", "session", "booked_at"]
    list_select_related = ["leader", "session__module", "session__cohort"]
    search_fields = ["leader__name", "leader__employee_number"]


@admin.register(Attendance)
class AttendanceAdmin(SimpleHistoryAdmin):
    list_display = ["leader", "session", "status", "recorded_by", "recorded_at"]
    list_filter = ["status", "session__cohort", "session__module"]
    search_fields = ["leader__name", "leader__employee_number"]
    list_select_related = ["leader", "session__module", "session__cohort", "recorded_by"]
    autocomplete_fields = ["leader"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    list_display = ["leader", "kind", "subject_key", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["leader"]
    search_fields = ["leader__name"]
