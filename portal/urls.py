from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.i18n import set_language

from accounts import signin
from accounts.urls import account_patterns, privacy_patterns, profile_patterns
from api.urls import routes as api_routes
from dashboard.file_views import verify_certificate
from dashboard.views import healthz

admin.site.site_header = _("Digital leadership – administration")
admin.site.site_title = _("Digital leadership")
admin.site.index_title = _("The programme")
admin.site.enable_nav_sidebar = False
# Both sign-in pages refuse an over-long e-mail address next to the field.
admin.site.login_form = signin.AdminSignInForm

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("hr.urls")),
    path("", include("rooms.urls")),
    path("", include("managers.urls")),
    path("accounts/", include(account_patterns)),
    # Before the reports: their last route takes any single word under /reports/.
    path("", include("outcomes.urls")),
    path("", include("groups.urls")),
    path("", include("materials.urls")),
    path("", include("evaluations.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # Public: the language buttons are on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    # The read API (token, not sign-in) and its OpenAPI document and page.
    path("api/v1/", api_routes),
    path("", include((privacy_patterns, "privacy"))),
    path("", include((profile_patterns, "accounts"))),
    path("healthz", healthz, name="healthz"),
    path("verify/<str:code>/", verify_certificate, name="verify_certificate"),
    path(
        "accessibility/",
        login_not_required(TemplateView.as_view(template_name="accessibility.html")),
        name="accessibility",
    ),
]

# An error raised outside a view (the session loaded in the middleware while the
# database restarts) gets the 503 page too when the database is the cause.
handler500 = "portal.middleware.server_error"
