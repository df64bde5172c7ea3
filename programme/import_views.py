"""HR's leader import in the admin: upload, preview, confirm (the work is in ``imports``).

:class:`programme.admin.LeaderAdmin` routes these under ``/admin/programme/leader/import/``
through the admin site (signed in, staff); each view also needs the import permission.
A preview that is gone, expired or out of date sends HR back to the upload with a
message, never to an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import imports

# A file with thousands of problems is usually one problem (a wrong column, a wrong
# export): the first few hundred say enough, and the page stays small.
ERRORS_SHOWN = 300
UPLOAD = "admin:programme_leader_import"


def _require_import_permission(request: HttpRequest, model_admin: ModelAdmin) -> None:
    if not model_admin.has_import_permission(request):
        raise PermissionDenied


def _page(request, model_admin, template: str, **context) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Import leaders"),
        **context,
    }
    return TemplateResponse(request, f"admin/programme/leader/{template}", context)


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    _require_import_permission(request, model_admin)
    if request.method != "POST":
        return _page(request, model_admin, "import.html", form=imports.LeaderImportForm())
    form = imports.LeaderImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        result = imports.check(form.table, by=request.user)
        if not result.errors:
            batch = imports.store_preview(
                result, by=request.user, file_name=form.cleaned_data["import_file"].name
            )
            return redirect("admin:programme_leader_import_preview", batch.pk)
        errors = result.errors
    return _page(
        request,
        model_admin,
        "import.html",
        form=form,
        errors=errors[:ERRORS_SHOWN],
        more_errors=max(len(errors) - ERRORS_SHOWN, 0),
        error_count=len(errors),
    )


@require_GET
def preview(request: HttpRequest, model_admin: ModelAdmin, batch_id: str) -> HttpResponse:
    _require_import_permission(request, model_admin)
    try:
        batch = imports.pending_batch(batch_id, by=request.user)
    except imports.ImportUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(UPLOAD)
    show = request.GET.get("show")
    show = show if show in imports.KIND_LABELS else None
    page = imports.preview_rows(batch, kind=show, page=request.GET.get("page"))
    return _page(
        request,
        model_admin,
        "import_preview.html",
        batch=batch,
        page=page,
        show=show,
        columns=list(imports.COLUMNS.values()),
        kinds=imports.KIND_LABELS,
    )


@require_POST
def confirm(request: HttpRequest, model_admin: ModelAdmin, batch_id: str) -> HttpResponse:
    _require_import_permission(request, model_admin)
    try:
        written = imports.confirm(
            batch_id, by=request.user, invite=bool(request.POST.get("send_invitations"))
        )
    except imports.ImportUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(UPLOAD)
    messages.success(
        request,
        _("Import done: %(new)s new leaders, %(updated)s updated, %(skipped)s unchanged.")
        % {"new": written.new, "updated": written.updated, "skipped": written.unchanged},
    )
    if written.invited:
        messages.info(
            request,
            ngettext(
                "%(count)s invitation is in the outbox.",
                "%(count)s invitations are in the outbox.",
                written.invited,
            )
            % {"count": written.invited},
        )
    return redirect("admin:programme_leader_changelist")
