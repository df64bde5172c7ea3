"""The admin's forms: seats and attendance (checked by the rules that will apply them),
and leaders (the login a leader may have, and an invitation when one is added).

Each seat or attendance form checks its change with the same rule the change will
use, so a refusal is shown next to the field. The checks in :mod:`booking`
lock the cohort rows; the admin runs the whole request in one transaction, so the
lock holds until the change is saved through booking in ``save_model`` and no other
booking can come between the check and the write.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

import booking
from accounts import signin as accounts
from programme import clock
from programme.attendance import check_status, expected_leaders_q
from programme.models import (
    Attendance,
    Cohort,
    Leader,
    Location,
    MakeUpBooking,
    Session,
    User,
)


class CohortAdminForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["programme", "name", "capacity", "enrolment_deadline"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None and capacity != self.instance.capacity:
            try:
                booking.check_capacity(cohort=self.instance, capacity=capacity)
            except booking.BookingError as exc:
                raise ValidationError(str(exc), code="seats_taken") from exc
        return capacity


def check_session_place(form: forms.ModelForm, cohort: Cohort | None) -> None:
    """The room and facilitator checks of :func:`booking.check_session_place`, with the
    refusal next to the field it concerns (the lock holds until the admin saves)."""
    cleaned = form.cleaned_data
    location = cleaned.get("location")
    if cohort is None or location is None or form.errors:
        return
    candidate = Session(
        pk=form.instance.pk,
        cohort=cohort,
        location=location,
        facilitator=cleaned.get("facilitator"),
        starts_at=cleaned.get("starts_at"),
        ends_at=cleaned.get("ends_at"),
    )
    try:
        booking.check_session_place(session=candidate)
    except booking.BookingError as exc:
        form.add_error(getattr(exc, "field", None), str(exc))


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["cohort", "module", "starts_at", "ends_at", "location", "facilitator"]

    def clean(self):
        cleaned = super().clean()
        cohort = cleaned.get("cohort")
        if self.instance.pk and cohort and cohort.pk != self.instance.cohort_id:
            try:
                booking.check_session_move(session=self.instance, to_cohort=cohort)
            except booking.BookingError as exc:
                self.add_error("cohort", str(exc))
        check_session_place(self, cohort)
        return cleaned


class SessionChoicesMixin:
    """The session select names each session by module, cohort and time: read them in
    the one query (without it, two more per session listed)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "session" in self.fields:
            self.fields["session"].queryset = Session.objects.select_related(
                "cohort", "module"
            ).order_by("starts_at", "pk")


class LocationAdminForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "capacity", "accessibility"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None and capacity < self.instance.capacity:
            try:
                booking.check_location_capacity(location=self.instance, capacity=capacity)
            except booking.BookingError as exc:
                raise ValidationError(str(exc), code="too_small") from exc
        return capacity


class MakeUpBookingAdminForm(SessionChoicesMixin, forms.ModelForm):
    """HR books a make-up seat by the rules of the leader's own button."""

    class Meta:
        model = MakeUpBooking
        fields = ["leader", "session"]

    def clean(self):
        cleaned = super().clean()
        leader, session = cleaned.get("leader"), cleaned.get("session")
        if leader and session:
            try:
                booking.check_makeup(leader=leader, session=session, now=clock.now())
            except booking.BookingError as exc:
                raise ValidationError(str(exc), code="refused") from exc
        return cleaned


class AttendanceAdminForm(SessionChoicesMixin, forms.ModelForm):
    """One attendance record. Who and which session are fixed once recorded: a record
    belongs to the leader at the session (correct a mistake by deleting it)."""

    class Meta:
        model = Attendance
        fields = ["leader", "session", "status"]

    def clean(self):
        cleaned = super().clean()
        leader = cleaned.get("leader") or getattr(self.instance, "leader", None)
        session = cleaned.get("session") or getattr(self.instance, "session", None)
        status = cleaned.get("status")
        if not (leader and session and status):
            return cleaned
        if (
            not self.instance.pk
            and not Leader.objects.filter(expected_leaders_q(session), pk=leader.pk).exists()
        ):
            self.add_error(
                "leader",
                _(
                    "%(leader)s is not expected at this session: they have no seat in its "
                    "cohort and no make-up seat at it. Book a make-up seat first."
                )
                % {"leader": leader.name},
            )
        if not self.instance.pk or status != self.instance.status:
            try:
                check_status(session, status, clock.now())
            except ValidationError as exc:
                self.add_error("status", exc)
        return cleaned


class LeaderAdminForm(forms.ModelForm):
    """The admin's leader form: the login must be one a leader may have.

    A login that is an administrator's or another leader's is refused, whoever edits:
    attached to a leader it could be changed, or switched off by anonymisation, by
    someone without the right to change it. The leader's current login stays valid.
    """

    class Meta:
        model = Leader
        fields = ["user", "employee_number", "name", "title", "level", "department", "left_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("user")
        if field is None:
            return
        logins = accounts.attachable_logins()
        if self.instance.user_id:
            logins = logins | User.objects.filter(pk=self.instance.user_id)
        field.queryset = logins
        field.error_messages["invalid_choice"] = _(
            "This login cannot be a leader's: it belongs to an administrator or to another "
            "leader. Choose the leader's own login, or create one for them."
        )


class LeaderAddForm(LeaderAdminForm):
    """Adding one leader in the admin, with the choice to invite them at once."""

    send_invitation = forms.BooleanField(
        label=_("Send an invitation to sign in"),
        required=False,
        initial=True,
        help_text=_(
            "An e-mail with a link to choose a password, or, with single sign-on, telling "
            "the leader to sign in with their work account."
        ),
    )


# --- The leaders' own forms: the self-assessment and their initiatives ----------------
