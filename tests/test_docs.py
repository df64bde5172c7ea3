"""The configuration tables say each thing once: every variable the portal reads is in
one row of docs/operations.md, none in two rows of the README, and a variable both
tables list reads the same in both (the outside tester found ``HR_CONTACT_*`` listed
twice in each, in different words)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(r"""env_(?:str|bool|int|float|list|choice)\(\s*["']([A-Z0-9_]+)["']""")


def variables_read() -> set[str]:
    """Every variable portal/settings.py and gunicorn.conf.py read (through portal/env.py)."""
    names: set[str] = set()
    for path in (ROOT / "portal" / "settings.py", ROOT / "gunicorn.conf.py"):
        names |= set(READ.findall(path.read_text()))
    return names


def table_rows(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("| `")]


def rows_naming(rows: list[str], name: str) -> list[str]:
    return [row for row in rows if f"`{name}`" in row.split("|")[1]]


def test_the_settings_read_the_variables_this_test_looks_for():
    assert {"EMAIL_PORT", "OIDC_VERIFY_KID", "HR_CONTACT_NAME", "GUNICORN_TIMEOUT"} <= (
        variables_read()
    )


def test_every_variable_the_portal_reads_is_in_one_row_of_the_operations_guide():
    rows = table_rows(ROOT / "docs" / "operations.md")
    counts = {name: len(rows_naming(rows, name)) for name in sorted(variables_read())}
    assert {name: n for name, n in counts.items() if n != 1} == {}


def test_the_readme_lists_each_variable_once_and_as_the_operations_guide_does():
    readme = table_rows(ROOT / "README.md")
    guide = table_rows(ROOT / "docs" / "operations.md")
    twice = [name for name in sorted(variables_read()) if len(rows_naming(readme, name)) > 1]
    assert twice == []
    contact = rows_naming(readme, "HR_CONTACT_NAME")
    assert contact == rows_naming(guide, "HR_CONTACT_NAME")
