"""Step 2 of the leader import: every line checked on its own, then planned against the
database set-based (the leaders and logins the file names are loaded a few thousand at a
time) as *new*, *update* or *skip*; or the problems, by line and column."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import signin as accounts
from hr.imports.base import (
    COLUMNS,
    HEADERS,
    LEVEL_SYNONYMS,
    MAX_LENGTHS,
    NEW,
    OPTIONAL_COLUMNS,
    SKIP,
    UPDATE,
    ImportFileError,
    _chunks,
    _key,
)
from hr.imports.read import Table
from programme.models import Department, Leader, User


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's name, or "" for the line as a whole
    message: str


@dataclass
class Check:
    """What the file would do: the plan (when nothing is wrong) or the problems."""

    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row["kind"] == kind)


def column_index(headers: list[str]) -> dict[str, int]:
    """Where each of our columns is in the file; :class:`ImportFileError` if one is missing."""
    aliases = {alias: name for name, names in HEADERS.items() for alias in names}
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        name = aliases.get(_key(header))
        if name is None:
            continue  # columns we do not import are ignored
        if name in index:
            raise ImportFileError(
                _("The column %(column)s appears twice in the first line. Remove one of them.")
                % {"column": COLUMNS[name]}
            )
        index[name] = position
    missing = [
        COLUMNS[name] for name in COLUMNS if name not in index and name not in OPTIONAL_COLUMNS
    ]
    if missing:
        raise ImportFileError(
            _("The file has no column %(columns)s. The first line must name the columns.")
            % {"columns": ", ".join(missing)}
        )
    return index


def _level_choices() -> dict[str, str]:
    choices = dict(LEVEL_SYNONYMS)
    for value, label in Leader.Level.choices:
        choices[_key(value)] = value
        for language in ("en", "da"):
            with translation.override(language):
                choices[_key(label)] = value
    return choices


def _departments() -> dict[str, tuple[int, str]]:
    by_key = {}
    for pk, code, name in Department.objects.values_list("pk", "code", "name"):
        by_key[_key(code)] = (pk, name)
        by_key[_key(name)] = (pk, name)
    return by_key


@dataclass
class _LineRules:
    """What checking a line needs, and the numbers and addresses earlier lines used."""

    index: dict[str, int]
    levels: dict[str, str]
    departments: dict[str, tuple[int, str]]
    level_labels: str
    seen_numbers: dict[str, int] = field(default_factory=dict)
    seen_emails: dict[str, int] = field(default_factory=dict)


def _clean_lines(table: Table) -> tuple[list[dict], list[RowError]]:
    """Each line's values, cleaned and validated on their own (no database but departments)."""
    index = column_index(table.headers)
    levels = _level_choices()
    departments = _departments()
    with translation.override("da"):
        level_labels = ", ".join(str(label) for _value, label in Leader.Level.choices)
    rules = _LineRules(index, levels, departments, level_labels)
    cleaned: list[dict] = []
    errors: list[RowError] = []
    for line, cells in table.lines:
        row, problems = _clean_line(line, cells, rules)
        if problems:
            errors += [RowError(line, COLUMNS[name], text) for name, text in problems.items()]
            continue
        cleaned.append(row)
    return cleaned, errors


def _clean_line(line: int, cells: list[str], rules: _LineRules) -> tuple[dict, dict[str, str]]:
    """One line's cleaned values, or its problems by column (then the values are empty)."""
    values = {
        name: (cells[position] if position < len(cells) else "").strip()
        for name, position in rules.index.items()
    }
    values.setdefault("title", "")
    problems = _cell_problems(values)
    number = values["employee_number"]
    email = values["email"].lower()
    _check_identity(line, number, email, values, problems, rules)
    level = rules.levels.get(_key(values["level"]))
    if level is None and "level" not in problems:
        problems["level"] = _("Unknown leadership level “%(value)s”. Use one of: %(labels)s.") % {
            "value": values["level"],
            "labels": rules.level_labels,
        }
    department = rules.departments.get(_key(values["department"]))
    if department is None and "department" not in problems:
        problems["department"] = _(
            "Unknown department “%(value)s”. Use the department's name or code."
        ) % {"value": values["department"]}
    if problems:
        return {}, problems
    return {
        "line": line,
        "number": number,
        "name": values["name"],
        "email": email,
        "title": values["title"],
        "level": level,
        "department": department[0],
        "department_name": department[1],
    }, problems


def _cell_problems(values: dict[str, str]) -> dict[str, str]:
    """Cells that cannot be saved at all: a NUL character, or too long for their column."""
    problems: dict[str, str] = {}
    for name, text in values.items():
        if "\x00" in text:
            problems[name] = _(
                "The cell contains a NUL character (0x00), which cannot be saved. "
                "Remove it from the file."
            )
        elif name in MAX_LENGTHS and len(text) > MAX_LENGTHS[name]:
            problems[name] = _("At most %(max)s characters (this has %(length)s).") % {
                "max": MAX_LENGTHS[name],
                "length": len(text),
            }
    return problems


def _check_identity(
    line: int, number: str, email: str, values: dict, problems: dict, rules: _LineRules
) -> None:
    """The employee number, name and e-mail address: present, valid, and each number and
    address on one line only (added to ``problems``)."""
    if "employee_number" not in problems:
        if not number:
            problems["employee_number"] = _("The employee number is missing.")
        elif number in rules.seen_numbers:
            problems["employee_number"] = _(
                "Employee number %(number)s is also on line %(line)s."
            ) % {"number": number, "line": rules.seen_numbers[number]}
        else:
            rules.seen_numbers[number] = line
    if "name" not in problems and not values["name"]:
        problems["name"] = _("The name is missing.")
    if "email" not in problems:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = _("“%(value)s” is not a valid e-mail address.") % {"value": email}
        else:
            if email in rules.seen_emails:
                problems["email"] = _("The e-mail address is also on line %(line)s.") % {
                    "line": rules.seen_emails[email]
                }
            else:
                rules.seen_emails[email] = line


# The database's rows as plain tuples: 30,000 model instances would cost seconds.
class ExistingLeader(NamedTuple):
    pk: int
    employee_number: str
    name: str
    title: str
    level: str
    department_id: int
    left_on: dt.date | None
    anonymised_at: dt.datetime | None
    user_id: int
    email: str
    is_staff: bool
    is_superuser: bool

    @property
    def login(self) -> ExistingLogin:
        return ExistingLogin(self.user_id, self.email, self.is_staff, self.is_superuser, None, None)


class ExistingLogin(NamedTuple):
    pk: int
    email: str
    is_staff: bool
    is_superuser: bool
    leader_name: str | None  # the login's leader, if it has one
    leader_number: str | None


@dataclass
class _Existing:
    """The database rows the lines name, loaded a chunk at a time."""

    leaders: dict[str, ExistingLeader]  # by employee number
    logins: dict[str, ExistingLogin]  # by lower-case e-mail
    departments: dict[int, str]  # every department's name


def _load_existing(cleaned: list[dict]) -> _Existing:
    numbers = [row["number"] for row in cleaned]
    emails = [row["email"] for row in cleaned]
    leaders: dict[str, ExistingLeader] = {}
    for chunk in _chunks(numbers):
        found = Leader.objects.filter(employee_number__in=chunk).values_list(
            *ExistingLeader._fields[:9], "user__email", "user__is_staff", "user__is_superuser"
        )
        for row in found:
            leader = ExistingLeader(*row)
            leaders[leader.employee_number] = leader
    logins: dict[str, ExistingLogin] = {}
    for chunk in _chunks(emails):
        found = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .values_list(
                "pk",
                "email_lower",
                "is_staff",
                "is_superuser",
                "leader__name",
                "leader__employee_number",
            )
        )
        for row in found:
            login = ExistingLogin(*row)
            logins[login.email] = login
    departments = dict(Department.objects.values_list("pk", "name"))
    return _Existing(leaders=leaders, logins=logins, departments=departments)


def _before(leader: ExistingLeader, departments: dict[int, str]) -> dict:
    return {
        "name": leader.name,
        "email": leader.email,
        "title": leader.title,
        "level": leader.level,
        "department": leader.department_id,
        "department_name": departments.get(leader.department_id, ""),
    }


def _plan(cleaned: list[dict], *, by: User | None) -> tuple[list[dict], list[RowError], _Existing]:
    """Decide each line against the database: new, update or skip - or why it cannot be."""
    existing = _load_existing(cleaned)
    rows: list[dict] = []
    errors: list[RowError] = []
    for values in cleaned:
        line, email = values["line"], values["email"]
        leader = existing.leaders.get(values["number"])
        owner = existing.logins.get(email)
        problem = None
        if owner is not None and (leader is None or owner.pk != leader.user_id):
            problem = _owner_problem(email, owner, new=leader is None)
        elif leader is not None and leader.anonymised_at is not None:
            problem = (
                "employee_number",
                _("Employee number %(number)s belongs to an anonymised leader.")
                % {"number": values["number"]},
            )
        if leader is None:
            kind, before = NEW, None
        else:
            before = _before(leader, existing.departments)
            compared = ("name", "email", "title", "level", "department")
            kind = SKIP if all(before[k] == values[k] for k in compared) else UPDATE
            login_changes = before["email"] != email or before["name"] != values["name"]
            may_change = _may_change_login(by, leader.login)
            if problem is None and login_changes and not may_change:
                problem = (
                    "email" if before["email"] != email else "name",
                    _(
                        "%(name)s signs in with an administrator's login; only a superuser can "
                        "change its e-mail address or name."
                    )
                    % {"name": leader.name},
                )
        if problem is not None:
            errors.append(RowError(line, COLUMNS[problem[0]], problem[1]))
            continue
        # A new leader gets a new login, or an existing one that is nobody's (see above).
        new_login = owner.pk if owner is not None else None
        user = leader.user_id if leader is not None else new_login
        rows.append(
            {
                **values,
                "kind": kind,
                "leader": leader.pk if leader else None,
                "user": user,
                "before": before,
            }
        )
    return rows, errors, existing


def _may_change_login(by: User | None, login: ExistingLogin) -> bool:
    """Whether the importer may change this login; the scheduled import (``by`` None) has
    no superuser's rights, so it changes no administrator's login."""
    if by is None:
        return not accounts.is_administrator(login)
    return accounts.may_change_login(by, login)


def _owner_problem(email: str, owner: ExistingLogin, *, new: bool) -> tuple[str, str] | None:
    """Why ``owner``'s login cannot be this line's, or None when a new leader may have it."""
    if owner.leader_number is not None:
        return "email", _("%(email)s is already the login of %(leader)s (%(number)s).") % {
            "email": email,
            "leader": owner.leader_name,
            "number": owner.leader_number,
        }
    if accounts.is_administrator(owner):
        return "email", _(
            "%(email)s is the login of an administrator (staff or superuser), so it cannot "
            "become a leader's login. Use the leader's own e-mail address."
        ) % {"email": email}
    if new:
        return None
    return "email", _("%(email)s is already the login of another user.") % {"email": email}


def check(table: Table, *, by: User | None) -> Check:
    """Validate and plan every line of the file; ``by`` is who imports it (None: the
    scheduled import, with no person's rights)."""
    cleaned, errors = _clean_lines(table)
    rows, problems, _existing = _plan(cleaned, by=by)
    errors = sorted(errors + problems, key=lambda error: error.line)
    return Check(rows=rows if not errors else [], errors=errors)


# --- 3. The preview, kept in the database ------------------------------------------
