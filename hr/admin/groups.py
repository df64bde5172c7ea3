"""Learning groups: HR forms them with one action (on the cohort list, or the programme
list for the whole programme; :mod:`groups.forming`) and adjusts them here by hand. A
group saved here with changes is marked as edited by hand, so forming again keeps it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from groups.models import GroupMembership, LearningGroup
from hr.admin.base import LabelledTabularInline


class MembershipFormSet(forms.BaseInlineFormSet):
    """A leader is in one learning group per programme (held by the database too): a
    leader already in another group of the programme, or twice in this one, is refused
    with a message next to them, never a server error."""

    def clean(self):
        super().clean()
        chosen: dict[int, forms.Form] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            leader = form.cleaned_data.get("leader")
            if leader is None:
                continue
            if leader.pk in chosen:
                form.add_error("leader", gettext("The leader is in this group twice."))
            chosen[leader.pk] = form
        if not chosen or self.instance.programme_id is None:
            return
        elsewhere = (
            GroupMembership.objects.filter(
                programme_id=self.instance.programme_id, leader_id__in=chosen
            )
            .exclude(group_id=self.instance.pk)
            .select_related("leader", "group")
        )
        for membership in elsewhere:
            chosen[membership.leader_id].add_error(
                "leader",
                gettext(
                    "%(leader)s is already in the learning group %(group)s in this programme: "
                    "remove them there first."
                )
                % {"leader": membership.leader, "group": membership.group},
            )


class KnownLeaderSelect(AutocompleteSelect):
    """The leader's search box, showing a member already read with the group's rows
    without asking for them again (one query per row otherwise)."""

    known: dict[str, str] | None = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if v not in ("", None)}
        if not self.known or not selected <= self.known.keys():
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for pk in sorted(selected):
            options.append(self.create_option(name, pk, self.known[pk], True, len(options)))
        return [(None, options, 0)]


class MembershipForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("leader")
        widget = getattr(getattr(field, "widget", None), "widget", None)
        if isinstance(widget, KnownLeaderSelect) and self.instance.pk is not None:
            widget.known = {str(self.instance.leader_id): str(self.instance.leader)}


class MembershipInline(LabelledTabularInline):
    model = GroupMembership
    form = MembershipForm
    formset = MembershipFormSet
    fields = ["leader", "department", "area"]
    readonly_fields = ["department", "area"]
    autocomplete_fields = ["leader"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group", "leader__department__parent")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "leader":
            kwargs["widget"] = KnownLeaderSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("department"))
    def department(self, obj):
        return obj.leader.department if obj.pk else ""

    @admin.display(description=_("area"))
    def area(self, obj):
        if not obj.pk:
            return ""
        return obj.leader.department.parent or obj.leader.department


@admin.register(LearningGroup)
class LearningGroupAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "programme",
        "cohort",
        "member_count",
        "next_meeting",
        "place",
        "edited_by_hand",
    ]
    list_filter = ["programme", "cohort", "edited_by_hand"]
    search_fields = ["name", "memberships__leader__name"]
    fields = ["programme", "cohort", "name", "next_meeting", "place", "edited_by_hand"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("programme", "cohort")
            .annotate(n_members=Count("memberships"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Its members carry the group's programme: a group stays in its programme.
        return ["programme", "cohort"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if "edited_by_hand" not in form.changed_data and (not change or form.has_changed()):
            obj.edited_by_hand = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = form.instance
        if (
            "edited_by_hand" not in form.changed_data
            and not group.edited_by_hand
            and any(formset.has_changed() for formset in formsets)
        ):
            group.edited_by_hand = True
            group.save(update_fields=["edited_by_hand"])

    @admin.display(description=_("members"), ordering="n_members")
    def member_count(self, obj):
        return obj.n_members
