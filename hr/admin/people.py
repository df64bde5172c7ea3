"""People: logins (users), departments and leaders, with the leader list's actions."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

import booking
from accounts import invitations, privacy
from accounts import signin as accounts
from hr import scheduled_import
from hr.admin.actions import (
    SeatActionsMixin,
    apply_to_each,
    cancel,
    move,
    ordered,
    promote,
    report_promoted,
    report_refusals,
)
from hr.admin.base import PortalHistoryAdmin, correlated_count
from hr.admin.forms import AdminPasswordChangeForm
from hr.admin.imports import LeaderImportMixin
from hr.admin.names import RightsInDanish
from hr.forms import LeaderAddForm, LeaderAdminForm
from hr.models import MissingLeader
from mail import reminders
from mail.models import Invitation
from programme.models import Cohort, Department, Enrolment, Leader, Programme, Standing, User


class LoginAdmin(DjangoUserAdmin):
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
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
    # Rights are given by superusers only: with these editable, anyone allowed to change
    # users could make themselves or a colleague a superuser.
    rights_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + self.rights_fields

    def has_change_permission(self, request, obj=None):
        # An administrator's login is changed (and its password set) by superusers only.
        if obj is not None and not accounts.may_change_login(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not accounts.may_change_login(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if _is_leader_login_autocomplete(request):
            # The leader form's login search offers only logins a leader may have.
            queryset = queryset.filter(accounts.ATTACHABLE)
        return queryset, duplicates


@admin.register(User)
class UserAdmin(RightsInDanish, LoginAdmin):
    """Logins, their rights named in Danish (``names.py``), on top of who may see and
    change them (``LoginAdmin``: the mixin reads the read-only fields it decides)."""


def _is_leader_login_autocomplete(request: HttpRequest) -> bool:
    return (
        request.resolver_match is not None
        and request.resolver_match.url_name == "autocomplete"
        and request.GET.get("app_label") == Leader._meta.app_label
        and request.GET.get("model_name") == Leader._meta.model_name
        and request.GET.get("field_name") == "user"
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "leader_count"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["managers"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(leader_count=Count("leaders"))

    @admin.display(description=_("leaders"), ordering="leader_count")
    def leader_count(self, obj):
        return obj.leader_count


# --- Leaders ----------------------------------------------------------------------


class CohortFilter(admin.SimpleListFilter):
    title = _("cohort")
    parameter_name = "cohort"

    def lookups(self, request, model_admin):
        return [
            (c.pk, f"{c.name} ({c.programme.name})")
            for c in Cohort.objects.select_related("programme").order_by("programme", "name")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Exists(
                    Enrolment.objects.filter(
                        leader=OuterRef("pk"),
                        cohort=self.value(),
                        status__in=Enrolment.ACTIVE,
                    )
                )
            )
        return queryset


class PlaceFilter(admin.SimpleListFilter):
    title = _("place in the current programme")
    parameter_name = "place"

    def lookups(self, request, model_admin):
        return [
            (Enrolment.Status.ENROLLED, _("Enrolled")),
            (Enrolment.Status.WAITLISTED, _("Waitlisted")),
            ("none", _("No place")),
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        enrolments = Enrolment.objects.filter(
            leader=OuterRef("pk"),
            programme=Subquery(Programme.objects.order_by("-starts_on").values("pk")[:1]),
        )
        if self.value() == "none":
            return queryset.exclude(Exists(enrolments.filter(status__in=Enrolment.ACTIVE)))
        return queryset.filter(Exists(enrolments.filter(status=self.value())))


class MissingFromImportFilter(admin.SimpleListFilter):
    """The leaders the latest complete list of the scheduled import left out
    (:mod:`hr.scheduled_import`), for HR to confirm as leavers. Asks nothing of the
    database until chosen."""

    title = _("the HR system's complete list")
    parameter_name = scheduled_import.MISSING_FILTER

    def lookups(self, request, model_admin):
        return [("yes", _("Missing from the last complete import"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        last = scheduled_import.complete_runs().values("pk")[:1]
        missing = MissingLeader.objects.filter(leader=OuterRef("pk"), run=Subquery(last))
        return queryset.filter(Exists(missing))


@admin.register(Leader)
class LeaderAdmin(LeaderImportMixin, SeatActionsMixin, PortalHistoryAdmin):
    # Fits 1280 px beside the filters: the title is on the leader's page, the cohort
    # and the kind of place share a column, and an e-mail address may wrap.
    list_display = [
        "name",
        "number",
        "email",
        "level_name",
        "department",
        "place",
        "modules_done",
        "invitation_count",
    ]
    list_filter = [PlaceFilter, CohortFilter, "department", "level", MissingFromImportFilter]
    search_fields = ["name", "employee_number", "user__email"]
    search_help_text = _("Search by name, e-mail or employee number.")
    list_select_related = ["department", "user"]
    autocomplete_fields = ["user", "department"]
    # Set by anonymisation (privacy.anonymise_leader), never typed.
    readonly_fields = ["anonymised_at"]
    list_per_page = 50
    actions = [
        "enrol_in_cohort",
        "move_to_cohort",
        "promote_from_waitlist",
        "cancel_place",
        "send_reminders",
        "send_invitations",
        "anonymise_leavers",
        "download_certificate",
    ]

    # The login: only one that no one else has and without administrator rights.
    form = LeaderAdminForm

    def get_queryset(self, request):
        current = Programme.objects.order_by("-starts_on").values("pk")[:1]
        active = Enrolment.objects.filter(
            leader=OuterRef("pk"), status__in=Enrolment.ACTIVE, programme=Subquery(current)
        ).order_by("-pk")
        # Progress in the current programme, from the stored standing every report reads.
        done = Standing.objects.filter(leader=OuterRef("pk"), programme=Subquery(current))
        invitations_sent = Invitation.objects.filter(leader=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                cohort_name=Subquery(active.values("cohort__name")[:1]),
                place_status=Subquery(active.values("status")[:1]),
                modules_done=Coalesce(
                    Subquery(done.values("modules_done")[:1], output_field=IntegerField()), 0
                ),
                invitation_count=correlated_count(invitations_sent, "leader"),
            )
        )

    @admin.display(description=_("employee no."), ordering="employee_number")
    def number(self, obj):
        return obj.employee_number

    @admin.display(description=_("e-mail address"), ordering="user__email")
    def email(self, obj):
        # May wrap after a dot and before the @: a long address is wider than its column.
        parts = re.split(r"(?<=\.)|(?=@)", obj.user.email)
        return format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts))  # noqa: S308

    @admin.display(description=_("level"), ordering="level")
    def level_name(self, obj):
        return obj.get_level_display()

    @admin.display(description=_("place"), ordering="cohort_name")
    def place(self, obj):
        if obj.place_status == Enrolment.Status.WAITLISTED:
            return gettext("Waitlist: %(cohort)s") % {"cohort": obj.cohort_name}
        return obj.cohort_name or gettext("No place")

    @admin.display(description=_("required modules done"), ordering="modules_done")
    def modules_done(self, obj):
        return obj.modules_done

    @admin.display(description=_("invitations"), ordering="invitation_count")
    def invitation_count(self, obj):
        return obj.invitation_count

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            # Adding a leader: with the choice to send them an invitation.
            kwargs["form"] = LeaderAddForm
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # A leader with places, make-ups or attendance leaves and is anonymised; the
        # database refuses the delete as well (PROTECT), also from the list's action.
        if obj is not None and (
            obj.enrolments.exists() or obj.makeups.exists() or obj.attendances.exists()
        ):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("send_invitation"):
            # In the admin's transaction: no invitation for a leader that is not saved.
            invitations.invite(obj, by=request.user)
        if obj.left_on and "left_on" in form.changed_data:
            promoted = booking.leave(leader=obj)
            messages.info(
                request,
                gettext(
                    "%(leader)s leaves on %(date)s: make-up seats after that day are given up "
                    "now, and the place in a cohort from the day after."
                )
                % {"leader": obj.name, "date": obj.left_on.strftime("%d.%m.%Y")},
            )
            report_promoted(request, promoted)

    def _active_enrolments(self, queryset, programme_id=None):
        enrolments = Enrolment.objects.filter(leader__in=queryset, status__in=Enrolment.ACTIVE)
        if programme_id is not None:
            enrolments = enrolments.filter(programme=programme_id)
        return ordered(enrolments)

    def _without_place(self, queryset, enrolments) -> list[tuple[str, str]]:
        placed = {e.leader_id for e in enrolments}
        return [
            (leader.name, gettext("has no place to change."))
            for leader in queryset.order_by("name", "pk")
            if leader.pk not in placed
        ]

    @admin.action(description=_("Enrol in a cohort…"), permissions=["change"])
    def enrol_in_cohort(self, request, queryset):
        def run(cohort):
            waitlisted = Enrolment.Status.WAITLISTED
            made = apply_to_each(
                request,
                queryset.order_by("name", "pk"),
                lambda leader: booking.enrol(leader=leader, cohort=cohort, by_staff=True),
                success=lambda n: ngettext(
                    "Enrolled %(count)s leader in %(cohort)s: %(leaders)s.",
                    "Enrolled %(count)s leaders in %(cohort)s: %(leaders)s.",
                    n,
                ),
                counted=lambda enrolment: enrolment.status != waitlisted,
                values={"cohort": cohort.name},
            )
            waiting = [name for name, enrolment in made if enrolment.status == waitlisted]
            if waiting:
                messages.warning(
                    request,
                    gettext("%(cohort)s is full; on its waitlist now: %(leaders)s.")
                    % {"cohort": cohort.name, "leaders": ", ".join(waiting)},
                )

        return self.choose_cohort(
            request,
            queryset,
            action="enrol_in_cohort",
            title=gettext("Enrol leaders in a cohort"),
            button=gettext("Enrol"),
            run=run,
        )

    @admin.action(description=_("Move to another cohort…"), permissions=["change"])
    def move_to_cohort(self, request, queryset):
        def run(cohort):
            enrolments = self._active_enrolments(queryset, cohort.programme_id)
            move(request, enrolments, cohort)
            report_refusals(request, self._without_place(queryset, enrolments))

        return self.choose_cohort(
            request,
            queryset,
            action="move_to_cohort",
            title=gettext("Move leaders to another cohort"),
            button=gettext("Move"),
            run=run,
        )

    @admin.action(description=_("Give a seat from the waitlist"), permissions=["change"])
    def promote_from_waitlist(self, request, queryset):
        enrolments = self._active_enrolments(queryset)
        promote(request, enrolments)

    @admin.action(description=_("Cancel their place"), permissions=["change"])
    def cancel_place(self, request, queryset):
        enrolments = self._active_enrolments(queryset)
        cancel(request, enrolments)
        report_refusals(request, self._without_place(queryset, enrolments))

    @admin.action(description=_("Send due reminders (sessions in 7 days, not enrolled)"))
    def send_reminders(self, request, queryset):
        summary = reminders.send_reminders(leaders=queryset)
        messages.success(
            request,
            gettext(
                "Sent %(sessions)s session reminders and %(enrol)s enrolment reminders. "
                "Reminders sent before are not sent again."
            )
            % {"sessions": summary.sessions, "enrol": summary.not_enrolled},
        )
        if summary.failed:
            messages.error(
                request,
                gettext("%(count)s reminders could not be sent; try again later.")
                % {"count": summary.failed},
            )

    @admin.action(description=_("Send an invitation to sign in"), permissions=["change"])
    def send_invitations(self, request, queryset):
        apply_to_each(
            request,
            queryset.select_related("user").order_by("name", "pk"),
            lambda leader: invitations.invite(leader, by=request.user),
            refused_by=invitations.InvitationError,
            success=lambda n: ngettext(
                "Sent an invitation to %(count)s leader: %(leaders)s.",
                "Sent invitations to %(count)s leaders: %(leaders)s.",
                n,
            ),
        )

    @admin.action(description=_("Download the course certificate (PDF)"), permissions=["view"])
    def download_certificate(self, request, queryset):
        from dashboard.file_views import certificate_response
        from rooms import certificates

        leaders = list(queryset[:2])
        programme = Programme.current()
        if len(leaders) != 1 or programme is None:
            messages.warning(request, gettext("Choose one leader to download their certificate."))
            return None
        try:
            certificate, progress = certificates.issue(leader=leaders[0], programme=programme)
        except certificates.NotCompleted as exc:
            messages.warning(request, str(exc))
            return None
        return certificate_response(certificate, progress)

    @admin.action(description=_("Anonymise selected leaders who have left"), permissions=["change"])
    def anonymise_leavers(self, request, queryset):
        apply_to_each(
            request,
            queryset.order_by("name", "pk"),
            privacy.anonymise_leader,
            refused_by=privacy.AnonymisationError,
            success=lambda n: ngettext(
                "Anonymised %(count)s leader.", "Anonymised %(count)s leaders.", n
            ),
            # As it always was: no "no leaders were selected" line for this action.
            warn_if_none=False,
        )
