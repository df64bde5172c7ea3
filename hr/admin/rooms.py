"""Where and by whom sessions are held: rooms (locations) and facilitators."""

from __future__ import annotations

from django.contrib import admin

from hr.forms import LocationAdminForm
from programme.models import Facilitator, Location


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
