"""The read API's clients (the HR and BI systems) and the count of their calls.

HR creates a client with its scopes and departments; the page after saving shows its
token once (only its hash is kept: ``api/tokens.py``). A client is never deleted, so
its calls stay counted: HR revokes it (an action), or gives it a new token, which
stops the old one at once (shown once too).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Max
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from api import tokens
from api.models import ApiClient, ApiUsage, Scope
from programme import clock


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the client may read."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "description", "scopes", "all_departments", "departments", "expires_at"]
        widgets = {"departments": forms.CheckboxSelectMultiple}

    def clean(self):
        data = super().clean()
        if not data.get("all_departments") and not data.get("departments"):
            raise forms.ValidationError(
                _("Choose the departments the client reads, or tick all departments.")
            )
        if data.get("all_departments") and data.get("departments"):
            raise forms.ValidationError(
                _("Either all departments or some: untick all departments, or the departments.")
            )
        return data


def _token_page(request, client: ApiClient, token: str, opts) -> TemplateResponse:
    """The one time the token is shown: on this page, never stored or sent again."""
    return TemplateResponse(
        request,
        "admin/api/apiclient/token.html",
        {
            "title": gettext("The token of %(client)s") % {"client": client.name},
            "client": client,
            "token": token,
            "opts": opts,
            "has_view_permission": True,
            "site_header": admin.site.site_header,
            "site_title": admin.site.site_title,
        },
    )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "scope_list", "department_list", "expires_at", "state", "last_call"]
    search_fields = ["name", "description"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke", "new_token"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("departments")
            .annotate(last_call_at=Max("usage__last_at"))
        )

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiClient) -> str:
        labels = dict(Scope.choices)
        return "; ".join(str(labels[scope]) for scope in obj.scopes if scope in labels)

    @admin.display(description=_("departments"))
    def department_list(self, obj: ApiClient) -> str:
        if obj.all_departments:
            return gettext("All departments")
        return ", ".join(department.code for department in obj.departments.all())

    @admin.display(description=_("state"))
    def state(self, obj: ApiClient) -> str:
        if obj.revoked_at is not None:
            return gettext("Revoked")
        if not obj.is_active(clock.now()):
            return gettext("Expired")
        return gettext("Active")

    @admin.display(description=_("last call"), ordering="last_call_at")
    def last_call(self, obj: ApiClient):
        return obj.last_call_at

    def save_model(self, request, obj: ApiClient, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            obj._new_token = tokens.issue(obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiClient, post_url_continue=None):
        return _token_page(request, obj, obj._new_token, self.model._meta)

    @admin.action(description=_("Revoke (the token stops working)"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=clock.now())
        messages.success(
            request,
            ngettext("%(count)d client revoked.", "%(count)d clients revoked.", count)
            % {"count": count},
        )

    @admin.action(
        description=_("Give a new token (the old one stops working)"), permissions=["change"]
    )
    def new_token(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, gettext("Choose one client to give a new token."))
            return None
        client = queryset.get()
        token = tokens.issue(client)
        client.save(update_fields=["prefix", "token_hash"])
        return _token_page(request, client, token, self.model._meta)


@admin.register(ApiUsage)
class ApiUsageAdmin(admin.ModelAdmin):
    """Every call of every client, counted per endpoint and day (read-only)."""

    list_display = ["day", "client", "endpoint", "calls", "refused", "last_at"]
    list_filter = ["client", "endpoint"]
    list_select_related = ["client"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
