"""Cursor pages: every list in the order of its rows' ids, a page at a time.

The cursor is opaque to clients (signed, so it cannot be made up or changed) and
carries the list's filters, the id of the last row given and ``synced_at``: the
moment the first page was asked for. A list read page by page gives each row that
matches its filters once, also when rows change between pages: a row changed after
its page was read is not given again (it has an id below the cursor), and a row not
yet read is given with its latest data. A client that syncs asks with
``updated_since`` set to the ``synced_at`` of its previous run: what changed during
that run is then in the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import QuerySet

from api.reads import Wanted

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadCursor(Exception):
    """A cursor this list did not give (or one that was changed)."""


@dataclass
class Position:
    wanted: Wanted
    after: int
    synced_at: dt.datetime


def start(endpoint: str, wanted: Wanted, cursor: str | None, now: dt.datetime) -> Position:
    """Where a page starts: at the beginning with the query's filters, or where the
    cursor says, with the filters it carries (the query's are then ignored)."""
    if not cursor:
        return Position(wanted=wanted, after=0, synced_at=now)
    try:
        data = signing.loads(cursor, salt=f"api.cursor.{endpoint}")
        since = data["wanted"].pop("updated_since")
        return Position(
            wanted=Wanted(
                **data["wanted"],
                updated_since=dt.datetime.fromisoformat(since) if since else None,
            ),
            after=int(data["after"]),
            synced_at=dt.datetime.fromisoformat(data["synced_at"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadCursor from exc


def next_cursor(endpoint: str, position: Position, last_id: int) -> str:
    wanted = dataclasses.asdict(position.wanted)
    since = wanted.pop("updated_since")
    data = {
        "wanted": {**wanted, "updated_since": since.isoformat() if since else None},
        "after": last_id,
        "synced_at": position.synced_at.isoformat(),
    }
    return signing.dumps(data, salt=f"api.cursor.{endpoint}", compress=True)


def page(
    endpoint: str, rows: QuerySet, position: Position, limit: int, fields: tuple[str, ...]
) -> tuple[list[dict], str | None]:
    """One page of ``rows`` (as dicts of ``fields``; the first is the id) and the cursor
    to the next page, or None after the last."""
    found = list(rows.filter(pk__gt=position.after).order_by("pk").values(*fields)[: limit + 1])
    if len(found) <= limit:
        return found, None
    found = found[:limit]
    return found, next_cursor(endpoint, position, found[-1]["pk"])
