"""Leader import from the HR system's CSV or Excel file (django-import-export).

The file is one leader a row; columns in Danish or English (see ``HEADERS``).
A leader is created or updated by employee number, with a login on the e-mail
address (a new login gets an unusable password: leaders sign in through the
password-reset e-mail). Every row is validated; one bad row rejects the whole
file, and the admin shows each error with its line in the file and its column.
"""

from __future__ import annotations

import base64
import csv
import io

import tablib
from diff_match_patch import diff_match_patch
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.resources import Diff
from import_export.tmp_storages import BaseStorage

from .models import Department, Leader

# Column name in the file -> the resource's field. Keys are compared casefolded
# and stripped, so "E-mail", "e-mail " and "EMAIL" all match.
HEADERS = {
    "employee_number": [
        "medarbejdernummer",
        "medarbejdernr",
        "medarbejdernr.",
        "medarbejder-id",
        "lønnummer",
        "employee number",
        "employee_number",
    ],
    "name": ["navn", "fulde navn", "name"],
    "email": ["e-mail", "email", "e-mailadresse", "mail", "e-mail address"],
    "title": ["stilling", "stillingsbetegnelse", "titel", "title", "job title"],
    "level": ["ledelsesniveau", "niveau", "leadership level", "level"],
    "department": ["afdeling", "center", "afdelingskode", "department"],
}
COLUMNS = {
    "employee_number": "Medarbejdernummer",
    "name": "Navn",
    "email": "E-mail",
    "title": "Stilling",
    "level": "Ledelsesniveau",
    "department": "Afdeling",
}
# What HR systems write for a level, beyond our own values and labels.
LEVEL_SYNONYMS = {
    "direktør": Leader.Level.DIRECTOR,
    "centerchef": Leader.Level.HEAD_OF_CENTRE,
    "centerleder": Leader.Level.HEAD_OF_CENTRE,
    "afdelingsleder": Leader.Level.DEPARTMENT,
    "afdelingschef": Leader.Level.DEPARTMENT,
    "teamleder": Leader.Level.TEAM,
    "teamkoordinator": Leader.Level.TEAM,
}


def _key(text: object) -> str:
    return str(text or "").strip().casefold()


class DelimiterSniffingCSV(base_formats.CSV):
    """CSV in UTF-8 (with or without BOM), separated by semicolons or commas.

    Danish Excel saves "CSV (semikolonsepareret)" and sometimes in Windows-1252,
    so that is accepted as a fallback when the bytes are not UTF-8.
    """

    def get_read_mode(self):
        # Read bytes so create_dataset can choose the encoding itself.
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("cp1252")
        in_stream = in_stream.lstrip("\ufeff")
        header = in_stream.split("\n", 1)[0]
        delimiter = max([";", ",", "\t"], key=header.count)
        dataset = tablib.Dataset()
        rows = list(csv.reader(io.StringIO(in_stream), delimiter=delimiter))
        if rows:
            dataset.headers = rows[0]
            width = len(rows[0])
            for row in rows[1:]:
                if not any(cell.strip() for cell in row):
                    continue  # blank lines at the end of a spreadsheet's export
                dataset.append((row + [""] * width)[:width])
        return dataset


IMPORT_FORMATS = [DelimiterSniffingCSV, base_formats.XLSX]


class LeaderImportForm(ImportForm):
    """The import form without choosing a format: it follows the file's extension.

    (import-export guesses the format with JavaScript; this works without it.)
    """

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self._formats = formats
        self.fields["format"].required = False
        self.fields["format"].widget = self.fields["format"].hidden_widget()
        self.fields["import_file"].label = _("CSV or Excel file from the HR system")
        self.fields["import_file"].help_text = _(
            "Columns: Medarbejdernummer, Navn, E-mail, Stilling, Ledelsesniveau, Afdeling. "
            "Semicolons or commas; UTF-8 or Excel (.xlsx)."
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload and not cleaned.get("format"):
            name = upload.name.lower()
            if name.endswith(".xlsx"):
                cleaned["format"] = str(self._formats.index(base_formats.XLSX))
            elif name.endswith((".csv", ".txt")):
                cleaned["format"] = str(self._formats.index(DelimiterSniffingCSV))
            else:
                self.add_error("import_file", _("Choose a .csv or .xlsx file."))
        return cleaned


class SignedFormStorage(BaseStorage):
    """Keeps the uploaded file between preview and confirmation in the confirm form.

    The file travels signed in the form's hidden field instead of lying on one
    web server's disk, so the confirmation can reach any process behind the load
    balancer. The confirmation validates every row again before saving.
    """

    SALT = "programme.imports.leaders"
    MAX_AGE = 60 * 60

    def save(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        encoded = base64.b64encode(data).decode("ascii")
        self.name = signing.dumps(encoded, salt=self.SALT, compress=True)

    def read(self):
        data = base64.b64decode(signing.loads(self.name, salt=self.SALT, max_age=self.MAX_AGE))
        if "b" in self.read_mode:
            return data
        return data.decode(self.encoding or "utf-8-sig")

    def remove(self):
        """Nothing is stored anywhere."""


class EmployeeNumberWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        # Excel gives numbers as floats: 1001.0 is employee 1001.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value if value is not None else "").strip()
        if not text:
            raise ValueError(_("The employee number is missing."))
        return text


class LevelWidget(widgets.Widget):
    """Accepts our values (``team``), labels in English and Danish, and HR's synonyms."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.choices = dict(LEVEL_SYNONYMS)
        for value, label in Leader.Level.choices:
            self.choices[_key(value)] = value
            for language in ("en", "da"):
                with translation.override(language):
                    self.choices[_key(label)] = value

    def clean(self, value, row=None, **kwargs):
        level = self.choices.get(_key(value))
        if level is None:
            with translation.override("da"):
                labels = ", ".join(str(label) for _value, label in Leader.Level.choices)
            raise ValueError(
                _("Unknown leadership level “%(value)s”. Use one of: %(labels)s.")
                % {"value": value or "", "labels": labels}
            )
        return level

    def render(self, value, obj=None, **kwargs):
        return Leader.Level(value).label if value else ""


class DepartmentWidget(widgets.ForeignKeyWidget):
    """A department by its name or its code, in any letter case; loaded once per import."""

    def __init__(self, **kwargs):
        super().__init__(Department, field="name", **kwargs)
        self._by_key: dict[str, Department] | None = None

    def clean(self, value, row=None, **kwargs):
        if self._by_key is None:
            self._by_key = {}
            for department in Department.objects.all():
                self._by_key[_key(department.code)] = department
                self._by_key[_key(department.name)] = department
        department = self._by_key.get(_key(value))
        if department is None:
            raise ValueError(
                _("Unknown department “%(value)s”. Use the department's name or code.")
                % {"value": value or ""}
            )
        return department


class MarkupDiff(Diff):
    """The preview's changes as plain <ins>/<del>, styled by our CSS.

    import-export's own diff writes style="" attributes, which our
    Content-Security-Policy blocks.
    """

    def as_html(self):
        dmp = diff_match_patch()
        tags = {dmp.DIFF_INSERT: "ins", dmp.DIFF_DELETE: "del", dmp.DIFF_EQUAL: "span"}
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            if old != new and self.new:
                old = ""
            diff = dmp.diff_main(force_str(old), force_str(new))
            dmp.diff_cleanupSemantic(diff)
            html = "".join(f"<{tags[op]}>{escape(text)}</{tags[op]}>" for op, text in diff)
            cells.append(mark_safe(html))  # noqa: S308 - every piece of text is escaped
        return cells


class LeaderResource(resources.ModelResource):
    employee_number = fields.Field(
        attribute="employee_number",
        column_name=COLUMNS["employee_number"],
        widget=EmployeeNumberWidget(),
    )
    name = fields.Field(attribute="name", column_name=COLUMNS["name"], widget=widgets.CharWidget())
    # The e-mail lives on the leader's login: it is read into ``import_email``,
    # checked in import_instance() and written to the login before saving.
    email = fields.Field(
        attribute="import_email", column_name=COLUMNS["email"], widget=widgets.CharWidget()
    )
    title = fields.Field(
        attribute="title", column_name=COLUMNS["title"], widget=widgets.CharWidget()
    )
    level = fields.Field(attribute="level", column_name=COLUMNS["level"], widget=LevelWidget())
    department = fields.Field(
        attribute="department", column_name=COLUMNS["department"], widget=DepartmentWidget()
    )

    class Meta:
        model = Leader
        fields = list(COLUMNS)
        import_id_fields = ["employee_number"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._missing_columns: list[str] = []
        self._seen_numbers: dict[str, int] = {}
        self._seen_emails: dict[str, int] = {}

    @classmethod
    def get_diff_class(cls):
        return MarkupDiff

    @classmethod
    def get_display_name(cls):
        return _("Leaders")

    def before_import(self, dataset, **kwargs):
        """Rename the file's headers to ours, so Danish and English names both work."""
        aliases = {alias: COLUMNS[field] for field, names in HEADERS.items() for alias in names}
        dataset.headers = [
            aliases.get(_key(header), str(header).strip()) for header in dataset.headers or []
        ]
        missing = [
            name
            for field, name in COLUMNS.items()
            if field != "title" and name not in dataset.headers
        ]
        self._missing_columns = missing
        if missing:
            raise ValueError(
                _("The file has no column %(columns)s. The first line must name the columns.")
                % {"columns": ", ".join(missing)}
            )
        self._seen_numbers, self._seen_emails = {}, {}

    def import_row(self, row, instance_loader, **kwargs):
        if self._missing_columns:
            # The file-level error says it all; no need for one per row.
            skipped = self.get_row_result_class()()
            skipped.import_type = skipped.IMPORT_TYPE_SKIP
            return skipped
        return super().import_row(row, instance_loader, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs):
        # So the preview compares the file's e-mail with the current login.
        instance.import_email = "" if new else instance.user.email

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        line = kwargs.get("row_number", 0) + 1
        email = str(row.get(COLUMNS["email"]) or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("“%(value)s” is not a valid e-mail address.") % {"value": email}]
        else:
            instance.import_email = email
            self._check_email_owner(instance, email, line, errors)
        number = instance.employee_number
        if number and number in self._seen_numbers:
            errors["employee_number"] = [
                _("Employee number %(number)s is also on line %(line)s.")
                % {"number": number, "line": self._seen_numbers[number]}
            ]
        elif number:
            self._seen_numbers[number] = line
        if errors:
            raise ValidationError(errors)

    def _check_email_owner(self, instance: Leader, email: str, line: int, errors: dict) -> None:
        if email in self._seen_emails:
            errors["email"] = [
                _("The e-mail address is also on line %(line)s.")
                % {"line": self._seen_emails[email]}
            ]
            return
        self._seen_emails[email] = line
        owner = (
            get_user_model()
            .objects.filter(email__iexact=email)
            .exclude(pk=instance.user_id)
            .select_related("leader")
            .first()
        )
        if owner is not None and hasattr(owner, "leader"):
            errors["email"] = [
                _("%(email)s is already the login of %(leader)s (%(number)s).")
                % {
                    "email": email,
                    "leader": owner.leader.name,
                    "number": owner.leader.employee_number,
                }
            ]
        elif owner is not None and instance.user_id:
            errors["email"] = [
                _("%(email)s is already the login of another user.") % {"email": email}
            ]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # The login is made when the row is saved.
            instance.full_clean(exclude=[*errors, "user"], validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            # Report by the file's column names, not our field names.
            raise ValidationError(
                {
                    COLUMNS.get(field, NON_FIELD_ERRORS): messages
                    for field, messages in errors.items()
                }
            )

    def before_save_instance(self, instance, row, **kwargs):
        email = instance.import_email
        first, _space, last = instance.name.partition(" ")
        if instance.user_id:
            user = instance.user
            user.email, user.first_name, user.last_name = email, first, last
            user.save(update_fields=["email", "first_name", "last_name"])
            return
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=email).first()
        if user is None:
            # No password: the leader chooses one through "forgot password".
            user = user_model.objects.create_user(email=email, first_name=first, last_name=last)
        instance.user = user
