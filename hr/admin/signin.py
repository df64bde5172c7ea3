"""Rights and sign-in records in HR's and the superuser's admin: Django's group admin
and django-axes' three, with the Danish names of ``names.py`` (rights, the rows that tie
users, groups and rights, and the sign-in records). The user admin (``people.py``) has
the rights' names too."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group

from hr.admin.names import RightsInDanish, SignInRecordsInDanish

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RightsInDanish, DjangoGroupAdmin):
    pass


# django-axes registered its admins when axes.admin was imported above (AXES_ENABLE_ADMIN).
admin.site.unregister([AccessAttempt, AccessFailureLog, AccessLog])


@admin.register(AccessAttempt)
class SignInAttemptAdmin(SignInRecordsInDanish, AccessAttemptAdmin):
    pass


@admin.register(AccessFailureLog)
class FailedSignInAdmin(SignInRecordsInDanish, AccessFailureLogAdmin):
    pass


@admin.register(AccessLog)
class SignInAdmin(SignInRecordsInDanish, AccessLogAdmin):
    pass
