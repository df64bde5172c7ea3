"""Names the admin shows that Django and django-axes write in English in their code,
in the active language - through the admin's own hooks, not by replacing their
``__str__`` or ``_meta``.

Django stores a right's name in English ("Can add cohort") and shows ``str(permission)``
on the group and user forms; its delete confirmation lists the rows that tie a group to
its rights as "Group_permissions object (1)" under an English model name made at import.
A superuser reads "Digital ledelse | hold | Kan tilføje hold" and, on deleting a group,
"Gruppe – rettighed: HR – Digital ledelse | hold | Kan se hold".

:class:`RightsInDanish` is a ``ModelAdmin`` mixin for the group and user admins: a form
field whose labels come from :func:`programme.third_party_messages.permission_label`
(``formfield_for_manytomany``), the user's own rights shown read-only in the same words,
and the tying rows named in ``get_deleted_objects``. :class:`SignInRecordsInDanish` does
the same for django-axes' records ("Attempted Access: ..." is "Loginforsøg fra ...").

:func:`register` puts each on the admins that are registered (``ProgrammeConfig.ready``,
after the admin's autodiscovery); an admin whose class already has it is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext

from programme.third_party_messages import permission_label


class RightsField(forms.ModelMultipleChoiceField):
    """Rights to choose, each labelled as :func:`permission_label` names it."""

    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


def _label(value: models.Model) -> str:
    return permission_label(value) if isinstance(value, Permission) else str(value)


@dataclass(frozen=True)
class Tie:
    """The rows of a many-to-many field (``Group.permissions``...), as the admin lists them."""

    field: models.ManyToManyField

    @property
    def through(self) -> type[models.Model]:
        return self.field.remote_field.through

    @property
    def ends(self) -> tuple[str, str]:
        return self.field.m2m_field_name(), self.field.m2m_reverse_field_name()

    @property
    def verbose_name(self):
        return format_lazy(
            "{} – {}",
            self.field.model._meta.verbose_name,
            self.field.related_model._meta.verbose_name,
        )

    @property
    def verbose_name_plural(self):
        return format_lazy(
            "{} – {}",
            self.field.model._meta.verbose_name,
            self.field.related_model._meta.verbose_name_plural,
        )

    def label(self, row: models.Model) -> str:
        return " – ".join(_label(getattr(row, end)) for end in self.ends)

    def rows(self, objs) -> list[models.Model]:
        """The rows that tie ``objs`` (groups, users or rights) to anything."""
        pks = [obj.pk for obj in objs]
        related = [
            f"{end}__content_type" if self._end_model(end) is Permission else end
            for end in self.ends
        ]
        return [
            row
            for end in self.ends
            if isinstance(objs[0], self._end_model(end))
            for row in self.through._default_manager.filter(**{f"{end}__in": pks}).select_related(
                *related
            )
        ]

    def _end_model(self, end: str) -> type[models.Model]:
        return self.through._meta.get_field(end).related_model


def ties() -> list[Tie]:
    user = get_user_model()
    return [
        Tie(Group.permissions.field),
        Tie(user.groups.field),
        Tie(user.user_permissions.field),
    ]


def _rename(nested, names: dict[str, str]):
    """The admin's nested list of what a deletion takes with it, with the names replaced."""
    return [
        _rename(item, names) if isinstance(item, list) else names.get(item, item) for item in nested
    ]


class RightsInDanish:
    """For the admins of groups and users: rights and the rows tying them, in Danish."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Permission:
            kwargs.setdefault("form_class", RightsField)
            queryset = kwargs.get("queryset", Permission._default_manager.all())
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # A user's own rights, when shown read-only (to those who may not give rights): the
    # admin would show each as str(permission), with Django's English name.
    @admin.display(
        description=capfirst(get_user_model()._meta.get_field("user_permissions").verbose_name)
    )
    def rights_read_only(self, obj):
        rights = obj.user_permissions.select_related("content_type")
        return ", ".join(permission_label(right) for right in rights)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if "user_permissions" in readonly:
            readonly.append("rights_read_only")
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        if "rights_read_only" in self.get_readonly_fields(request, obj):
            # The field's help text, as the admin shows it under a read-only field.
            field = get_user_model()._meta.get_field("user_permissions")
            kwargs["help_texts"] = {
                "rights_read_only": field.help_text,
                **kwargs.get("help_texts", {}),
            }
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if "user_permissions" not in self.get_readonly_fields(request, obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "rights_read_only" if field == "user_permissions" else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        objs = list(objs)
        if not objs:
            return to_delete, model_count, perms_needed, protected
        # Django names each row "<model's name>: <str(row)>" (admin.utils.get_deleted_objects);
        # the tying rows have no admin, so that is plain text, replaced here.
        names, plurals = {}, {}
        for tie in ties():
            for row in tie.rows(objs):
                names[f"{capfirst(tie.through._meta.verbose_name)}: {row}"] = (
                    f"{capfirst(tie.verbose_name)}: {tie.label(row)}"
                )
            plurals[tie.through._meta.verbose_name_plural] = tie.verbose_name_plural
        # The summary counts each model under its plural name, in Django's order.
        model_count = {plurals.get(name, name): count for name, count in model_count.items()}
        return _rename(to_delete, names), model_count, perms_needed, protected


def record_name(record: models.Model) -> str:
    """A django-axes record as the superuser reads it; django-axes writes its ``__str__``
    in English in the code ("Access Log for ... @ ..."), not through gettext."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    if isinstance(record, AccessAttempt):
        return gettext("Sign-in attempts from %(ip)s") % {"ip": record.ip_address}
    when = formats.localize(timezone.localtime(record.attempt_time))
    if isinstance(record, AccessFailureLog):
        return gettext("Failed sign-in: %(username)s, %(time)s") % {
            "username": record.username,
            "time": when,
        }
    if isinstance(record, AccessLog):
        return gettext("Sign-in: %(username)s, %(time)s") % {
            "username": record.username,
            "time": when,
        }
    return str(record)


class SignInRecordsInDanish:
    """For django-axes' admins: each record named by :func:`record_name` wherever the
    admin names one - its list's checkboxes, its page's heading and the breadcrumbs
    (``record_name`` in the context, read by templates/admin/axes/), the page titles, the
    list of what a deletion takes, the message after it, and the admin's log (recent actions)."""

    def _named(self, request, object_id) -> dict:
        record = self.get_object(request, unquote(object_id))
        return {} if record is None else {"record_name": record_name(record)}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = self._named(request, object_id)
        if context:
            context["subtitle"] = context["record_name"]
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def history_view(self, request, object_id, extra_context=None):
        context = self._named(request, object_id)
        if context:
            context["title"] = gettext("Change history: %s") % context["record_name"]
        return super().history_view(request, object_id, {**context, **(extra_context or {})})

    def delete_view(self, request, object_id, extra_context=None):
        context = self._named(request, object_id)
        request.record_name = context.get("record_name")
        return super().delete_view(request, object_id, {**context, **(extra_context or {})})

    def response_change(self, request, obj):
        # Django's message after saving names the record by its __str__ (escaped, in a
        # link): message_user below puts the Danish name in its place.
        request.record_names = {escape(str(obj)): escape(record_name(obj))}
        return super().response_change(request, obj)

    def message_user(self, request, message, *args, **kwargs):
        for english, danish in getattr(request, "record_names", {}).items():
            message = (
                # escaped text for escaped text in the admin's own safe message
                mark_safe(message.replace(english, danish))  # noqa: S308
                if isinstance(message, SafeData)
                else message.replace(english, danish)
            )
        return super().message_user(request, message, *args, **kwargs)

    def response_delete(self, request, obj_display, obj_id):
        return super().response_delete(
            request, getattr(request, "record_name", None) or obj_display, obj_id
        )

    def action_checkbox(self, obj):
        """The list's checkbox, named for a screen reader as Django names it, with the
        record's Danish name."""
        attrs = {
            "class": "action-select",
            "aria-label": format_html(
                gettext("Select this object for an action - {}"), record_name(obj)
            ),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Django names each record "<model's name>: <a href=...>str(record)</a>"
        # (admin.utils.get_deleted_objects); the same, with the record's Danish name.
        names = {}
        for record in objs:
            url = reverse(
                f"{self.admin_site.name}:{record._meta.app_label}_{record._meta.model_name}_change",
                args=[quote(record.pk)],
            )
            heading = capfirst(record._meta.verbose_name)
            link = '{}: <a href="{}">{}</a>'
            names[format_html(link, heading, url, record)] = format_html(
                link, heading, url, record_name(record)
            )
        return _rename(to_delete, names), model_count, perms_needed, protected

    def _rename_log(self, entries, records) -> None:
        entries = [entries] if isinstance(entries, LogEntry) else list(entries or [])
        names = {str(record.pk): record_name(record) for record in records}
        for entry in entries:
            if entry.pk is not None and str(entry.object_id) in names:
                entry.object_repr = names[str(entry.object_id)][:200]
                entry.save(update_fields=["object_repr"])

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._rename_log(entry, [obj])
        return entry

    def log_deletions(self, request, queryset):
        records = list(queryset)
        entries = super().log_deletions(request, records)
        self._rename_log(entries, records)
        return entries
