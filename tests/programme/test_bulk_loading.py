"""Loading many rows at once (the demo): the foreign keys checked once at the end, as
``pg_restore`` does, and never weaker than checked row by row."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from programme.db import copy_rows, foreign_keys_checked_at_the_end
from programme.models import Department, Leader

pytestmark = pytest.mark.postgres  # the block changes nothing elsewhere

FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()
    ORDER BY 1, 2
"""


def foreign_keys() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS)
        return cursor.fetchall()


def test_every_foreign_key_is_back_as_it_was_after_a_load(leader):
    # The leader fixture's rows wait for their checks at the commit: the block runs them
    # first (a table with checks waiting cannot be altered).
    before = foreign_keys()
    assert len(before) > 50
    with transaction.atomic(), foreign_keys_checked_at_the_end():
        assert foreign_keys() == []
        copy_rows(Department, ["name", "code", "parent_id"], [("Ny", "NY", leader.department_id)])
    assert foreign_keys() == before
    assert Department.objects.get(code="NY").parent == leader.department


def test_a_row_pointing_nowhere_fails_the_load_and_nothing_of_it_is_kept(leader):
    before = foreign_keys()
    missing = leader.department_id + 10_000
    with pytest.raises(IntegrityError), transaction.atomic(), foreign_keys_checked_at_the_end():
        copy_rows(Department, ["name", "code", "parent_id"], [("Ny", "NY", missing)])
    assert not Department.objects.filter(code="NY").exists()
    assert foreign_keys() == before
    # And the keys hold again for what is written after.
    with pytest.raises(IntegrityError), transaction.atomic():
        Leader.objects.filter(pk=leader.pk).update(department_id=missing)
        connection.check_constraints()


def test_a_load_that_fails_inside_leaves_every_key_in_place_even_if_the_caller_goes_on(leader):
    before = foreign_keys()
    with transaction.atomic():
        try:
            with foreign_keys_checked_at_the_end():
                copy_rows(Department, ["name", "code"], [("Ny", "NY")])
                raise RuntimeError("the load stops half-way")
        except RuntimeError:
            pass
        assert foreign_keys() == before
        assert not Department.objects.filter(code="NY").exists()


@pytest.mark.django_db(transaction=True)
def test_a_load_outside_a_transaction_is_one_of_its_own():
    before = foreign_keys()
    with foreign_keys_checked_at_the_end():
        assert connection.in_atomic_block
        assert foreign_keys() == []
    assert foreign_keys() == before
