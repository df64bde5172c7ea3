"""The leader import's pages, hooked into the leader list (LeaderAdmin).

Upload, preview, confirm, and the import's status while the import worker writes it:
the views are in hr/import_views.py; this adds their URLs under
``/admin/programme/leader/import/`` and the list's "Import" button.
"""

from __future__ import annotations

from functools import partial

from django.urls import path

from hr import import_views


class LeaderImportMixin:
    """For LeaderAdmin: the import's URLs, and who may import."""

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(partial(function, model_admin=self))

        return [
            path("import/", view(import_views.upload), name="programme_leader_import"),
            path(
                "import/jobs/<uuid:job_id>/",
                view(import_views.job),
                name="programme_leader_import_job",
            ),
            path(
                "import/<str:batch_id>/",
                view(import_views.preview),
                name="programme_leader_import_preview",
            ),
            path(
                "import/<str:batch_id>/confirm/",
                view(import_views.confirm),
                name="programme_leader_import_confirm",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        return request.user.has_perms(["programme.add_leader", "programme.change_leader"])

    def changelist_view(self, request, extra_context=None):
        extra_context = {"has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)
