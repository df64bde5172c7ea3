"""HR's leader import in the admin: upload, preview, confirm, and the import's status.

The checks are in ``imports``. Uploading stores the file and queues its check for the
import worker (``import_jobs``), and confirming the preview queues its writing; each
sends HR to the job's status page, which HR can leave and come back to (the upload
page links to their recent imports). A checked file's status page leads to its
preview, or lists the file's problems.

:class:`hr.admin.imports.LeaderImportMixin` routes these under
``/admin/programme/leader/import/`` on the leader list (LeaderAdmin), through the admin
site (signed in, staff); each view also needs the import permission. A preview that is
gone or expired, and an import that is not one's own, send HR back to the upload with a
message, never to an error page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hr import import_jobs, imports
from hr.models import ImportJob

UPLOAD = "admin:programme_leader_import"
JOB = "admin:programme_leader_import_job"
# How often the status page asks again while the import waits or runs (import-job.js
# waits longer each time, up to a minute).
REFRESH_SECONDS = 3


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
        return _upload_page(request, model_admin, form=imports.LeaderImportForm())
    form = imports.LeaderImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, model_admin, form=form)
    job = import_jobs.queue_check(
        form.cleaned_data["import_file"], by=request.user, language=request.LANGUAGE_CODE
    )
    return redirect(JOB, job.pk)


def _upload_page(request, model_admin, **context) -> TemplateResponse:
    jobs = import_jobs.recent_jobs(by=request.user)
    return _page(request, model_admin, "import.html", jobs=jobs, **context)


@require_GET
def preview(request: HttpRequest, model_admin: ModelAdmin, batch_id: str) -> HttpResponse:
    _require_import_permission(request, model_admin)
    try:
        batch = imports.pending_batch(batch_id, by=request.user)
    except imports.AlreadyConfirmed as exc:
        return redirect(JOB, exc.job.pk)
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
        job = import_jobs.queue(
            batch_id, by=request.user, invite=bool(request.POST.get("send_invitations"))
        )
    except imports.ImportUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(UPLOAD)
    return redirect(JOB, job.pk)


@require_GET
def job(request: HttpRequest, model_admin: ModelAdmin, job_id) -> HttpResponse:
    _require_import_permission(request, model_admin)
    found = import_jobs.job_for(job_id, by=request.user)
    if found is None:
        messages.error(
            request,
            _(
                "This import cannot be found: it is older than %(days)s days, or it is "
                "another person's. Your recent imports are listed below."
            )
            % {"days": ImportJob.KEEP_DAYS},
        )
        return redirect(UPLOAD)
    errors = [imports.RowError(**problem) for problem in found.problems]
    return _page(
        request,
        model_admin,
        "import_job.html",
        job=found,
        refresh_seconds=None if found.finished else REFRESH_SECONDS,
        waiting_too_long=import_jobs.STALLED_MINUTES if import_jobs.stalled(found) else 0,
        errors=errors,
        error_count=found.problem_count,
        more_errors=max(found.problem_count - len(errors), 0) if errors else 0,
        problems_deleted=found.problem_count and not errors,
        preview_minutes=settings.IMPORT_PREVIEW_MAX_AGE // 60,
    )
