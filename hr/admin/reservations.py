"""Seats reserved for a manager: HR reserves for them (the add form, through
:func:`booking.reserve`), sees who was named, and cancels a reservation (the action, which
gives its unnamed seats to the waitlist). Nothing else changes a reservation here; the
manager names leaders on their own page (``managers:reservation``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

import booking
from programme.models import Cohort, NamedSeat, Reservation, User


class ReservationAdminForm(forms.ModelForm):
    """Reserves when the form is checked (in a savepoint of the admin's transaction), so a
    refusal (too few free seats, the release day come) is shown on the form."""

    class Meta:
        model = Reservation
        fields = ["manager", "cohort", "seats"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "manager" in self.fields:
            self.fields["manager"].queryset = User.objects.filter(
                managed_departments__isnull=False
            ).distinct()
            self.fields["cohort"].queryset = Cohort.objects.select_related("programme")

    def clean(self):
        cleaned = super().clean()
        manager, cohort, seats = (cleaned.get(k) for k in ("manager", "cohort", "seats"))
        if manager and cohort and seats:
            try:
                with transaction.atomic():
                    self.reserved = booking.reserve(manager=manager, cohort=cohort, seats=seats)
            except booking.BookingError as exc:
                raise ValidationError(str(exc), code="refused") from exc
        return cleaned


class NamedSeatInline(admin.TabularInline):
    model = NamedSeat
    fields = ["enrolment", "named_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("named seat")
    verbose_name_plural = _("named seats")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = [
        "cohort",
        "manager",
        "seats",
        "named",
        "release_on",
        "released_at",
        "release_reason",
    ]
    list_filter = ["cohort__programme", "cohort", "release_reason"]
    list_select_related = ["cohort", "manager"]
    search_fields = ["manager__email", "manager__first_name", "manager__last_name"]
    form = ReservationAdminForm
    inlines = [NamedSeatInline]
    actions = ["cancel_reservations"]
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "manager",
            "cohort",
            "seats",
            "named",
            "reserved_at",
            "release_on",
            "released_at",
            "release_reason",
        ]

    def get_fields(self, request, obj=None):
        return (
            ["manager", "cohort", "seats"]
            if obj is None
            else self.get_readonly_fields(request, obj)
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # Shown, not edited: the seats change through booking (the add form, the action).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting would give seats back without filling the waitlist: cancel instead.
        return False

    def save_model(self, request, obj, form, change):
        made = form.reserved  # reserved by the form's check
        obj.pk, obj.reserved_at, obj.release_on = made.pk, made.reserved_at, made.release_on
        obj._state.adding = False

    @admin.action(description=_("Cancel the reservations"), permissions=["change"])
    def cancel_reservations(self, request, queryset):
        done = 0
        for reservation in queryset.select_related("cohort").order_by("pk"):
            try:
                booking.release_reservation(reservation=reservation, by_staff=True)
            except booking.BookingError as exc:
                messages.error(request, f"{reservation.cohort.name}: {exc}")
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext(
                    "Cancelled %(count)s reservation: its unnamed seats went to the waitlist.",
                    "Cancelled %(count)s reservations: their unnamed seats went to the waitlist.",
                    done,
                )
                % {"count": done},
            )
        elif not queryset.exists():
            messages.warning(request, gettext("No reservations were selected."))
