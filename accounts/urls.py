"""People and sign-in: the sign-in pages, single sign-on, invitations (``account_patterns``,
under /accounts/), a person's own data (``privacy_patterns``, the "privacy" names) and
their profile (``profile_patterns``, the "accounts" names)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import privacy_views, profile_views, signin, sso

profile_patterns = [
    path("min-profil/", profile_views.profile, name="profile"),
]

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
        auth_views.LoginView.as_view(authentication_form=signin.PortalAuthenticationForm),
        name="login",
    ),
    path("logout/", sso.logout, name="logout"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=signin.PortalPasswordResetForm),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        signin.InvitationConfirmView.as_view(),
        name="invitation_confirm",
    ),
    # Single sign-on (OpenID Connect); 404 unless OIDC_ISSUER is set.
    path("sso/start/", sso.StartView.as_view(), name="sso_start"),
    path("sso/callback/", sso.CallbackView.as_view(), name="sso_callback"),
]
