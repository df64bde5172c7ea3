"""Pieces every room of the admin shares: read-only history, labelled inlines, counts."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin


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


class ReadOnlyTabularInline(LabelledTabularInline):
    """Rows shown for reading on another object's page: nothing added, changed or
    deleted here (each has its own door: the booking actions, the row's own page)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def correlated_count(queryset, field: str):
    """A correlated COUNT, so several counts on one row neither multiply nor loop."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(field).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
