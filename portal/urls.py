from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from programme.views import healthz

admin.site.site_header = _("Digital leadership – administration")
admin.site.site_title = _("Digital leadership")
admin.site.index_title = _("The programme")

urlpatterns = [
    path("", include("programme.urls")),
    path("reports/", include("programme.report_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path(
        "accessibility/",
        login_not_required(TemplateView.as_view(template_name="accessibility.html")),
        name="accessibility",
    ),
]
