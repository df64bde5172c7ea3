"""E-mail: reminders sent, the texts HR words, invitations, the outbox's attachments."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mail.placeholders import EmailKind, placeholder_errors
from programme.models import Leader
from programme.page_versions import KeptQuerySet


class SentReminder(models.Model):
    """What reminder went to whom, so a rerun of ``send_reminders`` sends nothing twice."""

    class Kind(models.TextChoices):
        UPCOMING_SESSION = "session", _("Upcoming session")
        NOT_ENROLLED = "not_enrolled", _("Not enrolled")
        BEHIND = "behind", _("Behind")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("leader")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The session for session reminders, the programme for enrolment reminders.
    subject_key = models.CharField(_("about"), max_length=50)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Who pressed "Send reminder" on the compliance page; empty for the daily job.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_sentreminder"  # its table from before the move
        ordering = ["-sent_at"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "kind", "subject_key"], name="reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.leader}"


# --- E-mail: the texts HR words, invitations, the outbox's attachments --------------


class EmailText(models.Model):
    """The subject and body of one kind of e-mail, in Danish and English, as HR words them.

    Placeholders such as ``{{ name }}`` are filled in when the e-mail is queued; each
    kind offers its own (``mail.placeholders.PLACEHOLDERS``), and a text with any other
    is refused when it is saved, never when it is sent.
    """

    Kind = EmailKind

    kind = models.CharField(_("e-mail"), max_length=30, choices=Kind.choices, unique=True)
    subject_da = models.CharField(_("subject (Danish)"), max_length=200)
    body_da = models.TextField(_("text (Danish)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_emailtext"  # its table from before the move
        ordering = ["kind"]
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        errors = {}
        for field in ("subject_da", "body_da", "subject_en", "body_en"):
            problems = placeholder_errors(self.kind, getattr(self, field))
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)

    def texts(self, language: str) -> tuple[str, str]:
        """Subject and body in ``language`` (Danish unless it is English)."""
        if language == "en":
            return self.subject_en, self.body_en
        return self.subject_da, self.body_da


class Invitation(models.Model):
    """An invitation e-mail to a leader: when, and by whom. HR sees the count per leader."""

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("leader")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    single_sign_on = models.BooleanField(_("sign in with the work account"), default=False)

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "programme_invitation"  # its table from before the move
        ordering = ["-sent_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.leader} ({timezone.localtime(self.sent_at):%d.%m.%Y %H:%M})"


class OutboxFile(models.Model):
    """An attachment of a queued e-mail, kept in the database (``outbox`` storage)."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "programme_outboxfile"  # its table from before the move
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")

    def __str__(self) -> str:
        return self.name


# --- The managers' weekly digest ------------------------------------------------------


class ManagerDigest(models.Model):
    """A manager's weekly digest was queued for the week starting ``week`` (a Monday).

    Inserted in the transaction that queues the e-mail, under the unique constraint, so a
    second run in the same week (or two at once) sends nothing new.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digests",
        verbose_name=_("manager"),
    )
    week = models.DateField(_("week from"))
    events = models.PositiveIntegerField(_("events"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("manager's digest")
        verbose_name_plural = _("managers' digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="one_digest_per_manager_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.week:%d.%m.%Y}"


class MailPreference(models.Model):
    """What e-mail a person wants beyond what the programme needs. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mail_preference",
        verbose_name=_("user"),
    )
    manager_digest = models.BooleanField(_("weekly digest about my leaders"), default=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def wants_digest(cls, user) -> bool:
        return not cls.objects.filter(user=user, manager_digest=False).exists()
