from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # beside django-axes' configuration below
    name = "accounts"
    verbose_name = _("Sign-in")


class SignInProtectionConfig(AxesAppConfig):
    """django-axes, named in Danish for the superuser: who tried to sign in, who is locked out."""

    verbose_name = _("Sign-in protection")

    # Its records are named in Danish on the admin's pages by hr/admin/signin.py
    # (django-axes writes their __str__ in English in the code).
