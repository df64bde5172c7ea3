"""The HR system's leader file, imported on a schedule (``manage.py import_leaders PATH``).

The same import as HR's upload in the admin (:mod:`hr.imports`), by the same code: the
file's name and size checked by the upload form, the file read and every line checked,
then written all or nothing, with change history. One bad line refuses the whole file
and nothing changes. There is no one to look at a preview, so a file that passes the
checks is written at once (:func:`hr.imports.write_checked`). The import acts with no
person's rights: like HR without superuser rights, it changes no administrator's login.

Safe to run every night on the same file: a line whose leader is as the file says is
not written (no save, no history row, no kept page's version replaced), and only new
leaders are invited (``invite``), so the second run on the same file changes nothing.

Every run is recorded (:class:`~hr.models.ScheduledImport`) and reported to HR by
e-mail through the outbox (``IMPORT_REPORT_TO``), in the same transaction as what it
wrote: the counts (new, changed, unchanged), or why nothing was imported, in the words
HR's upload page uses (the file's problem, or each bad line with its column). With
``complete`` the file is the whole list of leaders: the leaders in the portal missing
from it (not anonymised, no leaving day set) are listed in the e-mail and recorded
for the leader list's filter, for HR to confirm as leavers; the import never removes
them or sets their leaving day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hr import imports
from hr.models import MissingLeader, ScheduledImport
from mail import outbox
from programme import clock
from programme.models import Leader

logger = logging.getLogger(__name__)

# The e-mail lists at most this many problems and missing leaders; the rest are counted.
LISTED = 300
# The leader list's filter that shows the missing leaders (hr.admin.people).
MISSING_FILTER = "missing_from_import"


class Refused(Exception):
    """Nothing was imported: the message says why (and ``errors`` the bad lines)."""

    def __init__(self, message: str, errors: list[imports.RowError] | None = None):
        super().__init__(message)
        self.errors = errors or []


@dataclass
class Outcome:
    """What a run did: its record, and what its report to HR said."""

    run: ScheduledImport
    refusal: str = ""
    errors: list[imports.RowError] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # number, name, department
    subject: str = ""
    body: str = ""

    @property
    def refused(self) -> bool:
        return self.run.outcome == ScheduledImport.Outcome.REFUSED


def run(path: str | Path, *, complete: bool = False, invite: bool = False, now=None) -> Outcome:
    """Import the file at ``path``, all or nothing, and report to HR what happened."""
    now = now or clock.now()
    path = Path(path)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            result = _checked(path)
            with transaction.atomic():
                written = imports.write_checked(
                    result, by=None, file_name=path.name, now=now, invite=invite
                )
                outcome = _record_done(path, result, written, complete=complete, now=now)
        except imports.ImportUnavailable:
            refused = Refused(_changed_meanwhile())
        except Refused as exc:
            refused = exc
        else:
            imports.analyze_after(written)
            return outcome
        with transaction.atomic():
            return _record_refused(path, refused, complete=complete, now=now)


def _checked(path: Path) -> imports.Check:
    """The file checked as HR's upload is: its name and size, then every line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise Refused(
            _(
                "The file %(path)s cannot be opened (%(reason)s). Check that the HR system "
                "delivered it there."
            )
            % {"path": path, "reason": exc.strerror or exc.__class__.__name__}
        ) from exc
    with handle:
        upload = File(handle, name=path.name)
        form = imports.LeaderImportForm(data={}, files={"import_file": upload})
        if not form.is_valid():
            raise Refused(" ".join(form.errors["import_file"]))
        try:
            table = imports.read_upload(upload)
        except imports.ImportFileError as exc:
            raise Refused(
                _("Nothing was imported: the file cannot be read as a list of leaders.") + f" {exc}"
            ) from exc
    result = imports.check(table, by=None)
    if result.errors:
        raise Refused(
            _(
                "Nothing was imported: some lines must be corrected first (line 1 is the "
                "column names)."
            ),
            result.errors,
        )
    return result


def _changed_meanwhile() -> str:
    return _(
        "Nothing was imported: leaders or logins in the file changed while it was being "
        "imported. The next run imports it again."
    )


def _missing(result: imports.Check) -> list[tuple[int, str, str, str]]:
    """The leaders in the portal that a complete list leaves out: (id, employee number,
    name, department), by name. Leaders already leaving or anonymised are not listed."""
    in_file = {row["number"] for row in result.rows}
    current = (
        Leader.objects.filter(left_on__isnull=True, anonymised_at__isnull=True)
        .order_by("name", "employee_number")
        .values_list("pk", "employee_number", "name", "department__name")
    )
    return [row for row in current.iterator(chunk_size=5000) if row[1] not in in_file]


def _record_done(
    path: Path, result: imports.Check, written: imports.Written, *, complete: bool, now
) -> Outcome:
    record = ScheduledImport.objects.create(
        ran_at=now,
        file_name=_file_name(path),
        complete=complete,
        outcome=ScheduledImport.Outcome.DONE,
        new_count=written.new,
        update_count=written.updated,
        unchanged_count=written.unchanged,
        invited_count=written.invited,
    )
    missing = _missing(result) if complete else []
    MissingLeader.objects.bulk_create(
        [MissingLeader(run=record, leader_id=row[0]) for row in missing], batch_size=1000
    )
    outcome = Outcome(run=record, missing=[row[1:] for row in missing])
    outcome.subject, outcome.body = _done_report(outcome, path, now)
    _report(outcome)
    _forget_old_runs(now)
    return outcome


def _record_refused(path: Path, refused: Refused, *, complete: bool, now) -> Outcome:
    record = ScheduledImport.objects.create(
        ran_at=now,
        file_name=_file_name(path),
        complete=complete,
        outcome=ScheduledImport.Outcome.REFUSED,
        problem_count=len(refused.errors),
    )
    outcome = Outcome(run=record, refusal=str(refused), errors=refused.errors)
    outcome.subject, outcome.body = _refused_report(outcome, path, now)
    _report(outcome)
    _forget_old_runs(now)
    return outcome


def _file_name(path: Path) -> str:
    return path.name[: ScheduledImport._meta.get_field("file_name").max_length]


def _forget_old_runs(now) -> None:
    """Runs older than KEEP_DAYS go, but the latest complete one that was imported,
    whose missing leaders the leader list shows."""
    latest = last_complete_run()
    old = ScheduledImport.objects.filter(
        ran_at__lt=now - dt.timedelta(days=ScheduledImport.KEEP_DAYS)
    )
    if latest is not None:
        old = old.exclude(pk=latest)
    old.delete()


def complete_runs():
    """The runs of a complete list that was imported, latest first: the first one's
    missing leaders are those the leader list's filter shows."""
    return ScheduledImport.objects.filter(
        complete=True, outcome=ScheduledImport.Outcome.DONE
    ).order_by("-ran_at", "-pk")


def last_complete_run() -> int | None:
    """The id of the latest complete list that was imported."""
    return complete_runs().values_list("pk", flat=True).first()


# --- The report to HR -----------------------------------------------------------------


def _when(now) -> str:
    return timezone.localtime(now).strftime("%d.%m.%Y %H:%M")


def _done_report(outcome: Outcome, path: Path, now) -> tuple[str, str]:
    record = outcome.run
    counts = {
        "file": path.name,
        "new": record.new_count,
        "updated": record.update_count,
        "unchanged": record.unchanged_count,
    }
    subject = (
        _("Leader import %(file)s: %(new)s new, %(updated)s changed, %(unchanged)s unchanged")
        % counts
    )
    lines = [
        _("The scheduled import read %(file)s at %(time)s and imported it.")
        % {"file": path.name, "time": _when(now)},
        "",
        _("New leaders: %(count)s") % {"count": record.new_count},
        _("Changed leaders: %(count)s") % {"count": record.update_count},
        _("Unchanged leaders: %(count)s") % {"count": record.unchanged_count},
    ]
    if record.invited_count:
        lines.append(_("Invitations queued: %(count)s") % {"count": record.invited_count})
    if not record.new_count and not record.update_count:
        lines += ["", _("Nothing changed: every leader in the file was already as it says.")]
    if record.complete:
        lines += ["", *_missing_lines(outcome.missing)]
    return subject, "\n".join(lines) + "\n"


def _missing_lines(missing: list[tuple[str, str, str]]) -> list[str]:
    if not missing:
        return [_("The file is the complete list, and every leader in the portal is in it.")]
    lines = [
        ngettext(
            "The file is the complete list, and %(count)s leader in the portal is not in "
            "it. Confirm whether they have left, and set the date they left; the import has "
            "not changed them:",
            "The file is the complete list, and %(count)s leaders in the portal are not in "
            "it. Confirm whether they have left, and set the date they left; the import has "
            "not changed them:",
            len(missing),
        )
        % {"count": len(missing)},
        "",
    ]
    lines += [f"- {number} {name} ({department})" for number, name, department in missing[:LISTED]]
    if len(missing) > LISTED:
        lines.append(_("… and %(count)s more.") % {"count": len(missing) - LISTED})
    link = settings.PORTAL_URL + reverse("admin:programme_leader_changelist")
    lines += [
        "",
        _("The leader list shows them under “Missing from the last complete import”: %(link)s")
        % {"link": f"{link}?{MISSING_FILTER}=yes"},
    ]
    return lines


def _refused_report(outcome: Outcome, path: Path, now) -> tuple[str, str]:
    subject = _("Leader import %(file)s refused: nothing was imported") % {"file": path.name}
    lines = [
        _("The scheduled import read %(file)s at %(time)s and imported nothing.")
        % {"file": path.name, "time": _when(now)},
        "",
        outcome.refusal,
    ]
    if outcome.errors:
        lines.append("")
        for error in outcome.errors[:LISTED]:
            where = (
                _("Line %(line)s, %(column)s") % {"line": error.line, "column": error.column}
                if error.column
                else _("Line %(line)s") % {"line": error.line}
            )
            lines.append(f"{where}: {error.message}")
        if len(outcome.errors) > LISTED:
            lines.append(
                _("… and %(count)s more problems.") % {"count": len(outcome.errors) - LISTED}
            )
    lines += [
        "",
        _(
            "The leaders in the portal are unchanged. Correct the file in the HR system; "
            "the next run imports it."
        ),
    ]
    return subject, "\n".join(lines) + "\n"


def _report(outcome: Outcome) -> None:
    """The report to each of ``IMPORT_REPORT_TO``, queued in the caller's transaction."""
    if not settings.IMPORT_REPORT_TO:
        logger.warning("IMPORT_REPORT_TO is empty: the import's report goes to no one")
    for address in settings.IMPORT_REPORT_TO:
        outbox.queue(to=address, subject=outcome.subject, body=outcome.body)
