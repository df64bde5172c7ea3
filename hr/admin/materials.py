"""Module materials: HR attaches files and links to a module or one session; leaders with
a seat see them from the set number of days before (:mod:`materials.rules`)."""

from __future__ import annotations

from django.contrib import admin

from materials.models import Material


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "session", "days_before"]
    list_select_related = ["module", "session__module", "session__cohort"]
    list_filter = ["module"]
    search_fields = ["title", "module__title", "session__cohort__name"]
    autocomplete_fields = ["module", "session"]
    fields = ["title", "module", "session", "link", "file", "days_before"]
