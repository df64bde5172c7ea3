"""What leaders come away with: issued certificates, and the self-assessment's
questionnaires (frozen once answered; changed by making a new version)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Max
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hr.admin.base import LabelledTabularInline
from outcomes.models import Questionnaire, Statement
from programme.models import Certificate


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
        return HttpResponseRedirect(reverse("admin:outcomes_questionnaire_change", args=[copy.pk]))
