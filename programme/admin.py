"""Django admin for HR: the programme, leaders, seats, attendance and reminders.

Seats change only through :mod:`programme.booking`, on every door the admin
has: the actions, the make-up add form (booked by the leader's own rules), a
cohort's capacity, a session moved to another cohort, a leader who left. The
other doors are shut: places and make-ups cannot be added, edited or deleted
directly, a leader or session with records cannot be deleted (``PROTECT``), and
history is read-only (no revert, ``PortalHistoryAdmin``). Admin actions on
several leaders run each leader's change in its own transaction, in order of
arrival: a refusal for one leader (a full cohort, a place already cancelled) is
shown next to the others' successes and does not undo them.
"""

from __future__ import annotations

import re
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.forms import SetUnusablePasswordMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from post_office.models import STATUS, Email, EmailTemplate, Log
from post_office.models import Attachment as PostOfficeAttachment
from simple_history.admin import SimpleHistoryAdmin

from . import (
    accounts,
    booking,
    clock,
    emails,
    import_views,
    invitations,
    notifications,
    outbox,
    privacy,
    reminders,
)
from . import attendance as sheet
from .forms import (
    AttendanceAdminForm,
    CohortAdminForm,
    LeaderAddForm,
    LeaderAdminForm,
    LocationAdminForm,
    MakeUpBookingAdminForm,
    SessionAdminForm,
)
from .models import (
    Attendance,
    Certificate,
    Cohort,
    Department,
    EmailText,
    Enrolment,
    Facilitator,
    Invitation,
    Leader,
    Location,
    MakeUpBooking,
    Module,
    Programme,
    Questionnaire,
    SentReminder,
    Session,
    Standing,
    Statement,
    User,
)


class PortalHistoryAdmin(SimpleHistoryAdmin):
    """History to read, never to revert.

    simple-history's revert page saves a POST even when its button is hidden
    (``SIMPLE_HISTORY_REVERT_DISABLED``); a revert would bring back a cancelled
    place or an old attendance behind the booking rules, so it is refused.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class AdminPasswordChangeForm(DjangoAdminPasswordChangeForm):
    # Django joins its warning to the help text as an English string when it is
    # imported, so the Danish translation never shows; joined lazily here instead.
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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


def _is_leader_login_autocomplete(request: HttpRequest) -> bool:
    return (
        request.resolver_match is not None
        and request.resolver_match.url_name == "autocomplete"
        and request.GET.get("app_label") == Leader._meta.app_label
        and request.GET.get("model_name") == Leader._meta.model_name
        and request.GET.get("field_name") == "user"
    )


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs each have a name (axe "label"): a table row shows
    the labels only as column headers, which a screen reader does not announce as one."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for field in formset.form.base_fields.values():
            widget = getattr(field.widget, "widget", field.widget)
            if not isinstance(widget, forms.MultiWidget):  # split date/time: labelled inside
                field.widget.attrs["aria-label"] = str(field.label)

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = gettext("Delete")

        return Labelled


class ModuleInline(LabelledTabularInline):
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


# --- Actions on seats: one cohort chosen on an intermediate page -------------------


class CohortChoiceForm(forms.Form):
    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cohorts = (
            Cohort.objects.with_seats().select_related("programme").order_by("programme", "name")
        )
        field = self.fields["cohort"]
        field.queryset = cohorts
        field.label_from_instance = lambda c: (
            gettext(
                "%(cohort)s (%(programme)s): %(free)s of %(seats)s seats free, %(waiting)s waiting"
            )
            % {
                "cohort": c.name,
                "programme": c.programme.name,
                "free": max(c.capacity - c.seats_taken, 0),
                "seats": c.capacity,
                "waiting": c.waitlist_length,
            }
        )


def _report(
    request: HttpRequest, done: list[str], refused: list[tuple[str, str]], what, **extra
) -> None:
    """One success line for all who succeeded, one error line per refusal with its reason."""
    if done:
        messages.success(
            request, what(len(done)) % {"count": len(done), "leaders": ", ".join(done), **extra}
        )
    _refusals(request, refused)
    if not done and not refused:
        messages.warning(request, gettext("No leaders were selected."))


def _refusals(request: HttpRequest, refused: list[tuple[str, str]]) -> None:
    for leader, reason in refused:
        messages.error(
            request, gettext("%(leader)s: %(reason)s") % {"leader": leader, "reason": reason}
        )


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


def _move(request, enrolments, cohort) -> None:
    done, refused = [], []
    for enrolment in enrolments:
        try:
            booking.move(enrolment=enrolment, to_cohort=cohort)
        except booking.BookingError as exc:
            refused.append((enrolment.leader.name, str(exc)))
        else:
            done.append(enrolment.leader.name)
    _report(
        request,
        done,
        refused,
        lambda n: ngettext(
            "Moved %(count)s leader to %(cohort)s: %(leaders)s.",
            "Moved %(count)s leaders to %(cohort)s: %(leaders)s.",
            n,
        ),
        cohort=cohort.name,
    )


def _promote(request, enrolments) -> None:
    done, refused = [], []
    for enrolment in enrolments:
        try:
            booking.promote(enrolment=enrolment)
        except booking.BookingError as exc:
            refused.append((enrolment.leader.name, str(exc)))
        else:
            done.append(enrolment.leader.name)
    _report(
        request,
        done,
        refused,
        lambda n: ngettext(
            "Gave %(count)s leader a seat: %(leaders)s.",
            "Gave %(count)s leaders a seat: %(leaders)s.",
            n,
        ),
    )


def _cancel(request, enrolments) -> None:
    done, refused, promoted = [], [], []
    for enrolment in enrolments:
        try:
            result = booking.cancel(enrolment=enrolment, by_staff=True)
        except booking.BookingError as exc:
            refused.append((enrolment.leader.name, str(exc)))
        else:
            done.append(enrolment.leader.name)
            promoted += [e.leader.name for e in result.promoted]
    _report(
        request,
        done,
        refused,
        lambda n: ngettext(
            "Cancelled the place of %(count)s leader: %(leaders)s.",
            "Cancelled the places of %(count)s leaders: %(leaders)s.",
            n,
        ),
    )
    if promoted:
        messages.info(
            request,
            gettext("From the waitlist, these leaders got a seat: %(leaders)s.")
            % {"leaders": ", ".join(promoted)},
        )


def _ordered(enrolments):
    # First come, first served when seats run short.
    return list(enrolments.select_related("leader", "cohort").order_by("pk"))


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


@admin.register(Leader)
class LeaderAdmin(SeatActionsMixin, PortalHistoryAdmin):
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
    list_filter = [PlaceFilter, CohortFilter, "department", "level"]
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
        return (
            super()
            .get_queryset(request)
            .annotate(
                cohort_name=Subquery(active.values("cohort__name")[:1]),
                place_status=Subquery(active.values("status")[:1]),
                modules_done=Coalesce(
                    Subquery(done.values("modules_done")[:1], output_field=IntegerField()), 0
                ),
                invitation_count=_count(Invitation.objects.filter(leader=OuterRef("pk")), "leader"),
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

    # Import from the HR system's file: upload, preview, confirm, and the import's status
    # while the import worker writes it (programme/import_views.py).
    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(partial(function, model_admin=self))

        return [
            path("import/", view(import_views.upload), name="programme_leader_import"),
            path(
                "import/jobs/<uuid:job_id>/",
                view(import_views.job),
                name="programme_leader_import_job",
            ),
            path(
                "import/<str:batch_id>/",
                view(import_views.preview),
                name="programme_leader_import_preview",
            ),
            path(
                "import/<str:batch_id>/confirm/",
                view(import_views.confirm),
                name="programme_leader_import_confirm",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        return request.user.has_perms(["programme.add_leader", "programme.change_leader"])

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
            if promoted:
                messages.info(
                    request,
                    gettext("From the waitlist, these leaders got a seat: %(leaders)s.")
                    % {"leaders": ", ".join(e.leader.name for e in promoted)},
                )

    def changelist_view(self, request, extra_context=None):
        extra_context = {"has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def _active_enrolments(self, queryset, programme_id=None):
        enrolments = Enrolment.objects.filter(leader__in=queryset, status__in=Enrolment.ACTIVE)
        if programme_id is not None:
            enrolments = enrolments.filter(programme=programme_id)
        return _ordered(enrolments)

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
            done, waiting, refused = [], [], []
            for leader in queryset.order_by("name", "pk"):
                try:
                    enrolment = booking.enrol(leader=leader, cohort=cohort, by_staff=True)
                except booking.BookingError as exc:
                    refused.append((leader.name, str(exc)))
                else:
                    full = enrolment.status == Enrolment.Status.WAITLISTED
                    (waiting if full else done).append(leader.name)
            if done or refused or not waiting:
                _report(
                    request,
                    done,
                    refused,
                    lambda n: ngettext(
                        "Enrolled %(count)s leader in %(cohort)s: %(leaders)s.",
                        "Enrolled %(count)s leaders in %(cohort)s: %(leaders)s.",
                        n,
                    ),
                    cohort=cohort.name,
                )
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
            _move(request, enrolments, cohort)
            _refusals(request, self._without_place(queryset, enrolments))

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
        _promote(request, enrolments)

    @admin.action(description=_("Cancel their place"), permissions=["change"])
    def cancel_place(self, request, queryset):
        enrolments = self._active_enrolments(queryset)
        _cancel(request, enrolments)
        _refusals(request, self._without_place(queryset, enrolments))

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
        done, refused = [], []
        for leader in queryset.select_related("user").order_by("name", "pk"):
            try:
                invitations.invite(leader, by=request.user)
            except invitations.InvitationError as exc:
                refused.append((leader.name, str(exc)))
            else:
                done.append(leader.name)
        _report(
            request,
            done,
            refused,
            lambda n: ngettext(
                "Sent an invitation to %(count)s leader: %(leaders)s.",
                "Sent invitations to %(count)s leaders: %(leaders)s.",
                n,
            ),
        )

    @admin.action(description=_("Download the course certificate (PDF)"), permissions=["view"])
    def download_certificate(self, request, queryset):
        from . import certificates
        from .views import certificate_response

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
        done, refused = [], []
        for leader in queryset.order_by("name", "pk"):
            name = leader.name
            try:
                privacy.anonymise_leader(leader)
            except privacy.AnonymisationError as exc:
                refused.append((name, str(exc)))
            else:
                done.append(name)
        if done:
            messages.success(
                request,
                ngettext("Anonymised %(count)s leader.", "Anonymised %(count)s leaders.", len(done))
                % {"count": len(done)},
            )
        _refusals(request, refused)


# --- Cohorts, sessions, attendance -------------------------------------------------


class SessionInline(LabelledTabularInline):
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("session"))
    def change_session(self, obj):
        return format_html(
            '<a href="{}">{}<span class="visually-hidden">: {}</span></a>',
            reverse("admin:programme_session_change", args=[obj.pk]),
            gettext("Change"),
            obj,
        )


class PlacesInline(LabelledTabularInline):
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
            if result.promoted:
                messages.info(
                    request,
                    gettext("From the waitlist, these leaders got a seat: %(leaders)s.")
                    % {"leaders": ", ".join(e.leader.name for e in result.promoted)},
                )

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken(self, obj):
        return obj.seats_taken

    @admin.display(description=_("free seats"))
    def seats_free(self, obj):
        return max(obj.capacity - obj.seats_taken, 0)

    @admin.display(description=_("on waitlist"), ordering="waitlist_length")
    def waitlist_length(self, obj):
        return obj.waitlist_length


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Issued certificates, for looking up a code; they are issued from the leader list."""

    list_display = ["leader", "programme", "completed_on", "code", "issued_at"]
    list_select_related = ["leader", "programme"]
    search_fields = ["leader__name", "leader__employee_number", "code"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    """Rooms: a session is refused in a room too small for its cohort or already booked."""

    list_display = ["name", "address", "capacity"]
    search_fields = ["name", "address"]
    form = LocationAdminForm


@admin.register(Facilitator)
class FacilitatorAdmin(admin.ModelAdmin):
    """Who runs sessions; with a login they open the session screen (``/facilitator/``)."""

    list_display = ["name", "organisation", "email", "user"]
    list_select_related = ["user"]
    search_fields = ["name", "organisation", "email"]
    autocomplete_fields = ["user"]


def _count(queryset, field: str):
    """A correlated COUNT, so several counts on one row neither multiply nor loop."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(field).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
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
                expected_count=_count(enrolled, "cohort")
                + _count(MakeUpBooking.objects.filter(session=OuterRef("pk")), "session"),
                recorded_count=_count(Attendance.objects.filter(session=OuterRef("pk")), "session"),
                attendance_count=_count(
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
        if result.promoted:
            messages.info(
                request,
                gettext("From the waitlist, these leaders got a seat: %(leaders)s.")
                % {"leaders": ", ".join(e.leader.name for e in result.promoted)},
            )

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

    @admin.display(description=_("attendance sheet"))
    def sheet_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programme_session_attendance", args=[obj.pk]),
            gettext("Record attendance"),
        )

    def get_urls(self):
        return [
            path(
                "<int:session_id>/attendance/",
                self.admin_site.admin_view(self.attendance_sheet_view),
                name="programme_session_attendance",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Record attendance for the selected session"))
    def open_attendance_sheet(self, request, queryset):
        sessions = list(queryset.values_list("pk", flat=True)[:2])
        if len(sessions) != 1:
            messages.warning(request, gettext("Choose one session to record its attendance."))
            return None
        return HttpResponseRedirect(
            reverse("admin:programme_session_attendance", args=[sessions[0]])
        )

    def attendance_sheet_view(self, request, session_id: int):
        if not request.user.has_perm("programme.change_attendance"):
            raise PermissionDenied
        session = get_object_or_404(
            Session.objects.select_related(
                "module", "cohort__programme", "location", "facilitator"
            ),
            pk=session_id,
        )
        rows = sheet.sheet_rows(session)
        now = clock.now()
        started = session.starts_at <= now
        prefill = (
            Attendance.Status.PRESENT if request.GET.get("prefill") == "present" and started else ""
        )
        form = sheet.AttendanceSheetForm(
            request.POST if request.method == "POST" else None,
            rows=rows,
            session=session,
            now=now,
            prefill=prefill,
        )
        if form.is_valid():
            result = sheet.save_sheet(
                session=session, statuses=form.statuses(), by=request.user, now=now
            )
            messages.success(
                request,
                gettext(
                    "Attendance saved: %(created)s recorded, %(changed)s changed, "
                    "%(unchanged)s unchanged."
                )
                % vars(result),
            )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Attendance: %(session)s") % {"session": session},
            "opts": self.opts,
            "session": session,
            "form": form,
            "rows": rows,
            "statuses": sheet.STATUS_COLUMNS,
            "prefilled": bool(prefill),
            "started": started,
            "unrecorded": sum(1 for row in rows if row.recorded is None),
        }
        return TemplateResponse(request, "admin/programme/session/attendance_sheet.html", context)


# --- Enrolments, make-ups, attendance, reminders ------------------------------------


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
            run=lambda cohort: _move(request, _ordered(queryset), cohort),
        )

    @admin.action(description=_("Give a seat from the waitlist"), permissions=["change"])
    def promote_from_waitlist(self, request, queryset):
        _promote(request, _ordered(queryset))

    @admin.action(description=_("Cancel their place"), permissions=["change"])
    def cancel_enrolments(self, request, queryset):
        _cancel(request, _ordered(queryset))


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
        done, refused = [], []
        for makeup in queryset.select_related("leader", "session").order_by("pk"):
            try:
                booking.cancel_makeup(booking=makeup)
            except booking.BookingError as exc:
                refused.append((makeup.leader.name, str(exc)))
            else:
                done.append(makeup.leader.name)
        _report(
            request,
            done,
            refused,
            lambda n: ngettext(
                "Cancelled the make-up seat of %(count)s leader: %(leaders)s.",
                "Cancelled the make-up seats of %(count)s leaders: %(leaders)s.",
                n,
            ),
        )


@admin.register(Attendance)
class AttendanceAdmin(PortalHistoryAdmin):
    list_display = ["leader", "session", "status", "source", "recorded_by", "recorded_at"]
    list_filter = [
        "status",
        "source",
        "session__cohort__programme",
        "session__cohort",
        "session__module",
        "leader__department",
    ]
    search_fields = ["leader__name", "leader__employee_number", "leader__user__email"]
    search_help_text = _("Search by the leader's name, e-mail or employee number.")
    list_select_related = ["leader", "session__module", "session__cohort", "recorded_by"]
    autocomplete_fields = ["leader"]
    form = AttendanceAdminForm
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        fixed = ["leader", "session"] if obj is not None else []
        return [*fixed, "source", "recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by, obj.recorded_at = request.user, clock.now()
        obj.source = Attendance.Source.SHEET
        super().save_model(request, obj, form, change)


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    # Who was reminded of what, when and by whom; the subject key ("programme:1:2016…") is
    # the portal's own record against sending twice, not for HR's list.
    list_display = ["leader", "kind", "sent_at", "sent_by"]
    list_filter = ["kind"]
    list_select_related = ["leader", "sent_by"]
    search_fields = ["leader__name", "leader__employee_number", "subject_key"]


# --- E-mail: texts HR words, and the outbox -----------------------------------------


@admin.register(EmailText)
class EmailTextAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject_da", "changed_at"]
    readonly_fields = ["kind", "placeholders", "preview_da", "preview_en"]
    fieldsets = [
        (None, {"fields": ["kind", "placeholders"]}),
        (_("Danish"), {"fields": ["subject_da", "body_da", "preview_da"]}),
        (_("English"), {"fields": ["subject_en", "body_en", "preview_en"]}),
    ]

    class Media:
        css = {"all": ["css/admin-extra.css"]}

    def has_add_permission(self, request):
        # One text per kind of e-mail, made by the migration; the kinds are fixed in code.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("placeholders you can use"))
    def placeholders(self, obj):
        return format_html(
            '<dl class="placeholders">{}</dl>',
            format_html_join(
                "",
                "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>",
                ((name, meaning) for name, meaning in emails.PLACEHOLDERS[obj.kind].items()),
            ),
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name.endswith("_en"):
            # Read aloud in English, and not taken for untranslated text on a Danish page.
            field.widget.attrs["lang"] = "en"
        return field

    def _preview(self, obj, language: str):
        with translation.override(language):
            subject, body = emails.render(
                obj.kind, notifications.preview_values(obj.kind), language=language
            )
        return format_html(
            '<div class="email-preview" lang="{}">'
            '<p><strong>{}</strong></p><pre tabindex="0">{}</pre></div>',
            language,
            subject,
            body,
        )

    @admin.display(description=_("preview with a leader's data (as saved)"))
    def preview_da(self, obj):
        return self._preview(obj, "da")

    @admin.display(description=_("preview with a leader's data (as saved)"))
    def preview_en(self, obj):
        return self._preview(obj, "en")


for _model in (Email, Log, EmailTemplate, PostOfficeAttachment):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


# django-post-office's statuses, in the words HR reads (it ships no Danish).
OUTBOX_STATUSES = {
    STATUS.queued: _("waiting"),
    STATUS.requeued: _("waiting to try again"),
    STATUS.sent: _("sent"),
    STATUS.failed: _("failed"),
}


class OutboxStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in OUTBOX_STATUSES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(status=int(self.value())) if self.value() else queryset


def _moment(value) -> str:
    """A moment as the admin's lists show it (local time, Danish format), or a dash."""
    return formats.localize(timezone.localtime(value)) if value else "–"


@admin.register(Email)
class OutboxEmailAdmin(admin.ModelAdmin):
    """The outbox for HR: what waits, what left, what failed and why, and "Send igen".

    A record, not a form: every field is read-only, and the only change is to put an
    e-mail back in the queue for the worker (the action, or the button on its page).
    django-post-office's own admin sent from the web request and showed its fields in
    English; its templates and URLs are not used.
    """

    change_form_template = "admin/programme/outbox_email_change_form.html"
    list_display = [
        "recipient",
        "subject_line",
        "state",
        "retries",
        "last_changed",
        "next_attempt",
        "last_error",
    ]
    list_filter = [OutboxStatusFilter]
    search_fields = ["to", "subject"]
    fields = [
        "recipient",
        "sender",
        "subject_line",
        "state",
        "retries",
        "queued_at",
        "last_changed",
        "next_attempt",
        "attachment_names",
        "body",
        "attempts",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    list_per_page = 50

    def get_urls(self):
        send_again = self.admin_site.admin_view(self.send_again_view)
        return [
            path("<path:object_id>/send-again/", send_again, name="post_office_email_send_again"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        errors = Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed).order_by("-date")
        return (
            super()
            .get_queryset(request)
            .annotate(last_error=Subquery(errors.values("message")[:1]))
        )

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # A record: its page has nothing to save ("Send igen" posts elsewhere).
            return HttpResponseNotAllowed(["GET"])
        email = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "title": capfirst(self.opts.verbose_name),
            # Nothing on the page can be edited: no save buttons.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_send_again": email is not None
            and email.status != STATUS.sent
            and self.has_change_permission(request, email),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def send_again_view(self, request, object_id):
        """The change page's "Send igen" button: back in the queue, due at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        email = self.get_object(request, object_id)
        if email is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, email):
            raise PermissionDenied
        if email.status == STATUS.sent:
            messages.info(request, gettext("This e-mail has been sent; it is not sent again."))
        else:
            self.send_again(request, self.get_queryset(request).filter(pk=email.pk))
        return HttpResponseRedirect(reverse("admin:post_office_email_change", args=[email.pk]))

    @admin.display(description=_("to"), ordering="to")
    def recipient(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=_("from"))
    def sender(self, obj):
        return obj.from_email

    @admin.display(description=_("subject"), ordering="subject")
    def subject_line(self, obj):
        return obj.subject

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj):
        return OUTBOX_STATUSES.get(obj.status, obj.get_status_display())

    @admin.display(description=_("retries"), ordering="number_of_retries")
    def retries(self, obj):
        return obj.number_of_retries or 0

    @admin.display(description=_("queued"))
    def queued_at(self, obj):
        return _moment(obj.created)

    @admin.display(description=_("last changed"), ordering="last_updated")
    def last_changed(self, obj):
        return _moment(obj.last_updated)

    @admin.display(description=_("next attempt"), ordering="scheduled_time")
    def next_attempt(self, obj):
        return _moment(obj.scheduled_time if obj.status != STATUS.sent else None)

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(attachment.name for attachment in obj.attachments.all()) or "–"

    @admin.display(description=_("text"))
    def body(self, obj):
        return format_html('<pre class="email-body" tabindex="0">{}</pre>', obj.message)

    @admin.display(description=_("sending attempts"))
    def attempts(self, obj):
        """Each attempt to send it: when, how it went, and the mail server's error."""
        logs = obj.logs.order_by("date")
        if not logs:
            return gettext("None yet.")
        return format_html(
            '<table class="sending-attempts"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            capfirst(gettext("time")),
            capfirst(gettext("outcome")),
            capfirst(gettext("kind of error")),
            capfirst(gettext("error")),
            format_html_join(
                "",
                # The mail server's error in its own words: English, and read aloud so.
                '<tr><td>{}</td><td>{}</td><td>{}</td><td lang="en">{}</td></tr>',
                (
                    (
                        _moment(log.date),
                        OUTBOX_STATUSES.get(log.status, log.get_status_display()),
                        log.exception_type or "–",
                        log.message or "–",
                    )
                    for log in logs
                ),
            ),
        )

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        if not obj.last_error:
            return "–"
        # The mail server's own words: English, and read aloud so.
        return format_html('<span lang="en">{}</span>', obj.last_error)

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset)
        messages.success(
            request,
            ngettext(
                "%(count)s e-mail is back in the outbox; the worker sends it within a minute.",
                "%(count)s e-mails are back in the outbox; the worker sends them within a minute.",
                count,
            )
            % {"count": count},
        )


# --- The self-assessment's questionnaires -------------------------------------------


def _frozen(request, questionnaire) -> bool:
    """Whether the questionnaire has answers, asked once per page (the inline's
    permissions are asked for every row)."""
    if questionnaire is None:
        return False
    asked = request.__dict__.setdefault("_frozen_questionnaires", {})
    if questionnaire.pk not in asked:
        asked[questionnaire.pk] = questionnaire.is_frozen()
    return asked[questionnaire.pk]


class StatementInline(LabelledTabularInline):
    model = Statement
    fields = ["order", "dimension", "text"]
    extra = 0

    # A questionnaire that leaders have answered is frozen (Questionnaire's docstring).
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _frozen(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _frozen(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _frozen(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "statement_count", "answered_by", "created_at"]
    fields = ["version", "title", "low_label", "high_label", "free_text_prompt"]
    inlines = [StatementInline]
    actions = ["make_new_version"]

    def get_queryset(self, request):
        # The counts in the list come with the rows, not a query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_statements=Count("statements", distinct=True),
                n_responses=Count("responses", distinct=True),
            )
        )

    @admin.display(description=_("statements"), ordering="n_statements")
    def statement_count(self, obj):
        return obj.n_statements

    @admin.display(description=_("answers (rounds)"), ordering="n_responses")
    def answered_by(self, obj):
        return obj.n_responses

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen():
            return ["version", "low_label", "high_label"]
        return ["version"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_frozen())

    def get_changeform_initial_data(self, request):
        top = Questionnaire.objects.aggregate(top=Max("version"))["top"] or 0
        return {"version": top + 1}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_frozen() and request.method == "GET":
            self.message_user(
                request,
                gettext(
                    "Leaders have answered this questionnaire, so its statements and scale are "
                    "locked. To change them, choose it in the list and make a new version."
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(
        description=_("Make a new version of the selected questionnaire"), permissions=["add"]
    )
    def make_new_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose exactly one questionnaire."), messages.ERROR)
            return None
        copy = queryset.get().new_version()
        self.message_user(
            request,
            gettext("Version %(version)s is made; change its statements here.")
            % {"version": copy.version},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:programme_questionnaire_change", args=[copy.pk]))
