"""Attendance: the session's attendance sheet, and single records to correct.

The sheet (one row per expected leader, saved by programme/attendance.py) hangs off
the session list (SessionAdmin) at ``/admin/programme/session/<id>/attendance/``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hr.admin.base import PortalHistoryAdmin
from hr.forms import AttendanceAdminForm
from programme import attendance as sheet
from programme import clock
from programme.models import Attendance, Session


class AttendanceSheetMixin:
    """For SessionAdmin: the sheet's URL, its link in the list, and the action to it."""

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
