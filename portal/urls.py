from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.i18n import set_language

from programme import accounts, privacy_views, sso
from programme.views import healthz, verify_certificate

admin.site.site_header = _("Digital leadership – administration")
admin.site.site_title = _("Digital leadership")
admin.site.index_title = _("The programme")
admin.site.enable_nav_sidebar = False
# Both sign-in pages refuse an over-long e-mail address next to the field.
admin.site.login_form = accounts.AdminSignInForm

privacy_patterns = [
    path("me/data/", privacy_views.my_data, name="my_data"),
    path("me/data.json", privacy_views.my_data_json, name="my_data_json"),
    path("me/data.csv", privacy_views.my_data_csv, name="my_data_csv"),
    path("hr/leaders/<int:pk>/anonymise/", privacy_views.anonymise, name="anonymise"),
    path("hr/sign-in-blocks/", privacy_views.lockouts, name="lockouts"),
    path("hr/sign-in-blocks/<int:pk>/lift/", privacy_views.unlock, name="unlock"),
]

# Our versions of some of django.contrib.auth's pages; the rest come from its urls below.
account_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=accounts.PortalAuthenticationForm),
        name="login",
    ),
    path("logout/", sso.logout, name="logout"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=accounts.PortalPasswordResetForm),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        accounts.InvitationConfirmView.as_view(),
        name="invitation_confirm",
    ),
    # Single sign-on (OpenID Connect); 404 unless OIDC_ISSUER is set.
    path("sso/start/", sso.StartView.as_view(), name="sso_start"),
    path("sso/callback/", sso.CallbackView.as_view(), name="sso_callback"),
]

urlpatterns = [
    path("", include("programme.urls")),
    path("", include("programme.checkin_urls")),
    path("accounts/", include(account_patterns)),
    path("reports/", include("programme.report_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # Public: the language buttons are on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("", include((privacy_patterns, "privacy"))),
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
