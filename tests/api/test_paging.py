"""Cursor pages and ``updated_since``: each changed leader exactly once across the pages
of one run, also when leaders change between pages; what changed during the run comes
in the next one (asked with the run's ``synced_at``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

import booking
from api.models import Scope
from programme.models import Leader
from tests.api.conftest import make_client
from tests.conftest import NOW, make_leader


@pytest.fixture
def seven(department_a) -> list[Leader]:
    return [
        make_leader(f"leder{n}@albertslund.dk", f"Leder {n}", department_a, f"90{n}")
        for n in range(1, 8)
    ]


def rename(leader: Leader, name: str) -> None:
    leader.name = name
    leader.save()


def read_all(api_get, token, path="leaders", first=None, between=None, **params):
    """Every page of a list: the ids page by page, and the run's ``synced_at``."""
    response = api_get(path, token, **params)
    assert response.status_code == 200, response.content
    body = response.json()
    pages = [[item["id"] for item in body["items"]]]
    synced_at = body["synced_at"]
    while body["next"]:
        if between is not None:
            between(len(pages))
        response = api_get(path, token, cursor=body["next"], limit=params.get("limit", 100))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["synced_at"] == synced_at
        pages.append([item["id"] for item in body["items"]])
    return pages, synced_at


def test_each_changed_leader_comes_once_across_pages_while_leaders_change(
    programme, cohort, seven, api_get
):
    _client, token = make_client(scopes=[Scope.REPORTS])
    l1, l2, l3, l4, l5, l6, l7 = seven
    since = timezone.now()
    for leader in (l2, l4, l6):
        rename(leader, leader.name + " (ny)")

    def between(pages_read: int) -> None:
        if pages_read == 1:
            rename(l2, "Leder 2 igen")  # read already: not again in this run
            rename(l5, "Leder 5 (ny)")  # not read yet: comes, with its new name
            rename(l1, "Leder 1 (ny)")  # below the cursor: in the next run
            booking.enrol(leader=l7, cohort=cohort, now=NOW)  # a place

    pages, synced_at = read_all(
        api_get, token, updated_since=since.isoformat(), limit=2, between=between
    )
    returned = [pk for page in pages for pk in page]
    assert len(pages) > 1
    assert sorted(returned) == sorted({l2.pk, l4.pk, l5.pk, l6.pk, l7.pk})
    assert len(returned) == len(set(returned))

    # The next run, from this one's synced_at: what changed during it.
    again, _ = read_all(api_get, token, updated_since=synced_at, limit=2)
    assert sorted(pk for page in again for pk in page) == sorted({l1.pk, l2.pk, l5.pk, l7.pk})


def test_without_updated_since_every_leader_once_in_id_order(programme, seven, api_get):
    _client, token = make_client(scopes=[Scope.REPORTS])
    pages, _ = read_all(api_get, token, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pk for page in pages for pk in page] == sorted(leader.pk for leader in seven)


def test_a_leaders_new_name_changes_updated_at(programme, seven, api_get):
    _client, token = make_client(scopes=[Scope.REPORTS])

    def updated() -> dict[int, dt.datetime]:
        items = api_get("leaders", token).json()["items"]
        return {item["id"]: dt.datetime.fromisoformat(item["updated_at"]) for item in items}

    before = updated()
    rename(seven[0], "Omdøbt")
    after = updated()
    assert after[seven[0].pk] > before[seven[0].pk]
    assert {k: v for k, v in after.items() if k != seven[0].pk} == {
        k: v for k, v in before.items() if k != seven[0].pk
    }


def test_the_cursor_keeps_the_filters_of_the_first_page(programme, seven, department_b, api_get):
    _client, token = make_client(scopes=[Scope.REPORTS])
    first = api_get("leaders", token, department="ØKS", limit=5).json()
    # A department given with the cursor is ignored: the run goes on as it began.
    rest = api_get("leaders", token, cursor=first["next"], department="BOF").json()
    assert len(first["items"]) + len(rest["items"]) == 7


@pytest.mark.parametrize("cursor", ["junk", "eyJhZnRlciI6MX0:1abc:xyz"])
def test_a_cursor_the_list_did_not_give_gets_400(programme, seven, api_get, cursor):
    _client, token = make_client(scopes=[Scope.REPORTS])
    response = api_get("leaders", token, cursor=cursor)
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_a_cursor_of_another_list_gets_400(programme, cohort, seven, api_get):
    _client, token = make_client()
    sessions = api_get("sessions", token, limit=1).json()
    assert sessions["next"]
    assert api_get("leaders", token, cursor=sessions["next"]).status_code == 400


def test_updated_since_without_an_offset_is_the_portals_local_time(programme, seven, api_get):
    _client, token = make_client(scopes=[Scope.REPORTS])
    later = timezone.localtime(timezone.now() + dt.timedelta(hours=1)).replace(tzinfo=None)
    response = api_get("leaders", token, updated_since=later.isoformat())
    assert response.status_code == 200
    assert response.json()["items"] == []
