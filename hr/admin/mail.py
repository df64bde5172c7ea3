"""E-mail: the texts HR words, the reminders sent, and the outbox.

django-post-office's own admin is replaced by :class:`OutboxEmailAdmin` (read-only,
in HR's words, with "Send igen"); its other models are not shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from post_office.models import STATUS, Email, EmailTemplate, Log
from post_office.models import Attachment as PostOfficeAttachment

from mail import emails, notifications, outbox
from mail.models import EmailText, SentReminder


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    # Who was reminded of what, when and by whom; the subject key ("programme:1:2016…") is
    # the portal's own record against sending twice, not for HR's list.
    list_display = ["leader", "kind", "sent_at", "sent_by"]
    list_filter = ["kind"]
    list_select_related = ["leader", "sent_by"]
    search_fields = ["leader__name", "leader__employee_number", "subject_key"]


@admin.register(EmailText)
class EmailTextAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject_da", "changed_at"]
    readonly_fields = ["kind", "placeholders", "preview_da", "preview_en"]
    fieldsets = [
        (None, {"fields": ["kind", "placeholders"]}),
        (_("Danish"), {"fields": ["subject_da", "body_da", "preview_da"]}),
        (_("English"), {"fields": ["subject_en", "body_en", "preview_en"]}),
    ]

    class Media:
        css = {"all": ["css/admin-extra.css"]}

    def has_add_permission(self, request):
        # One text per kind of e-mail, made by the migration; the kinds are fixed in code.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("placeholders you can use"))
    def placeholders(self, obj):
        return format_html(
            '<dl class="placeholders">{}</dl>',
            format_html_join(
                "",
                "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>",
                ((name, meaning) for name, meaning in emails.PLACEHOLDERS[obj.kind].items()),
            ),
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name.endswith("_en"):
            # Read aloud in English, and not taken for untranslated text on a Danish page.
            field.widget.attrs["lang"] = "en"
        return field

    def _preview(self, obj, language: str):
        with translation.override(language):
            subject, body = emails.render(
                obj.kind, notifications.preview_values(obj.kind), language=language
            )
        return format_html(
            '<div class="email-preview" lang="{}">'
            '<p><strong>{}</strong></p><pre tabindex="0">{}</pre></div>',
            language,
            subject,
            body,
        )

    @admin.display(description=_("preview with a leader's data (as saved)"))
    def preview_da(self, obj):
        return self._preview(obj, "da")

    @admin.display(description=_("preview with a leader's data (as saved)"))
    def preview_en(self, obj):
        return self._preview(obj, "en")


for _model in (Email, Log, EmailTemplate, PostOfficeAttachment):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


# django-post-office's statuses, in the words HR reads (it ships no Danish).
OUTBOX_STATUSES = {
    STATUS.queued: _("waiting"),
    STATUS.requeued: _("waiting to try again"),
    STATUS.sent: _("sent"),
    STATUS.failed: _("failed"),
}


class OutboxStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in OUTBOX_STATUSES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(status=int(self.value())) if self.value() else queryset


def _moment(value) -> str:
    """A moment as the admin's lists show it (local time, Danish format), or a dash."""
    return formats.localize(timezone.localtime(value)) if value else "–"


@admin.register(Email)
class OutboxEmailAdmin(admin.ModelAdmin):
    """The outbox for HR: what waits, what left, what failed and why, and "Send igen".

    A record, not a form: every field is read-only, and the only change is to put an
    e-mail back in the queue for the worker (the action, or the button on its page).
    django-post-office's own admin sent from the web request and showed its fields in
    English; its templates and URLs are not used.
    """

    change_form_template = "admin/programme/outbox_email_change_form.html"
    list_display = [
        "recipient",
        "subject_line",
        "state",
        "retries",
        "last_changed",
        "next_attempt",
        "last_error",
    ]
    list_filter = [OutboxStatusFilter]
    search_fields = ["to", "subject"]
    fields = [
        "recipient",
        "sender",
        "subject_line",
        "state",
        "retries",
        "queued_at",
        "last_changed",
        "next_attempt",
        "attachment_names",
        "body",
        "attempts",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    list_per_page = 50

    def get_urls(self):
        send_again = self.admin_site.admin_view(self.send_again_view)
        return [
            path("<path:object_id>/send-again/", send_again, name="post_office_email_send_again"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        errors = Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed).order_by("-date")
        return (
            super()
            .get_queryset(request)
            .annotate(last_error=Subquery(errors.values("message")[:1]))
        )

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # A record: its page has nothing to save ("Send igen" posts elsewhere).
            return HttpResponseNotAllowed(["GET"])
        email = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "title": capfirst(self.opts.verbose_name),
            # Nothing on the page can be edited: no save buttons.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_send_again": email is not None
            and email.status != STATUS.sent
            and self.has_change_permission(request, email),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def send_again_view(self, request, object_id):
        """The change page's "Send igen" button: back in the queue, due at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        email = self.get_object(request, object_id)
        if email is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, email):
            raise PermissionDenied
        if email.status == STATUS.sent:
            messages.info(request, gettext("This e-mail has been sent; it is not sent again."))
        else:
            self.send_again(request, self.get_queryset(request).filter(pk=email.pk))
        return HttpResponseRedirect(reverse("admin:post_office_email_change", args=[email.pk]))

    @admin.display(description=_("to"), ordering="to")
    def recipient(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=_("from"))
    def sender(self, obj):
        return obj.from_email

    @admin.display(description=_("subject"), ordering="subject")
    def subject_line(self, obj):
        return obj.subject

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj):
        return OUTBOX_STATUSES.get(obj.status, obj.get_status_display())

    @admin.display(description=_("retries"), ordering="number_of_retries")
    def retries(self, obj):
        return obj.number_of_retries or 0

    @admin.display(description=_("queued"))
    def queued_at(self, obj):
        return _moment(obj.created)

    @admin.display(description=_("last changed"), ordering="last_updated")
    def last_changed(self, obj):
        return _moment(obj.last_updated)

    @admin.display(description=_("next attempt"), ordering="scheduled_time")
    def next_attempt(self, obj):
        return _moment(obj.scheduled_time if obj.status != STATUS.sent else None)

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(attachment.name for attachment in obj.attachments.all()) or "–"

    @admin.display(description=_("text"))
    def body(self, obj):
        return format_html('<pre class="email-body" tabindex="0">{}</pre>', obj.message)

    @admin.display(description=_("sending attempts"))
    def attempts(self, obj):
        """Each attempt to send it: when, how it went, and the mail server's error."""
        logs = obj.logs.order_by("date")
        if not logs:
            return gettext("None yet.")
        return format_html(
            '<table class="sending-attempts"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            capfirst(gettext("time")),
            capfirst(gettext("outcome")),
            capfirst(gettext("kind of error")),
            capfirst(gettext("error")),
            format_html_join(
                "",
                # The mail server's error in its own words: English, and read aloud so.
                '<tr><td>{}</td><td>{}</td><td>{}</td><td lang="en">{}</td></tr>',
                (
                    (
                        _moment(log.date),
                        OUTBOX_STATUSES.get(log.status, log.get_status_display()),
                        log.exception_type or "–",
                        log.message or "–",
                    )
                    for log in logs
                ),
            ),
        )

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        if not obj.last_error:
            return "–"
        # The mail server's own words: English, and read aloud so.
        return format_html('<span lang="en">{}</span>', obj.last_error)

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset)
        messages.success(
            request,
            ngettext(
                "%(count)s e-mail is back in the outbox; the worker sends it within a minute.",
                "%(count)s e-mails are back in the outbox; the worker sends them within a minute.",
                count,
            )
            % {"count": count},
        )
