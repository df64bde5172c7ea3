"""The catalogue of ideas (idékatalog): the initiatives their leaders shared with all
leaders, found by words in Danish and filtered by dimension, area and status.

On PostgreSQL the words are matched by full-text search with the ``danish``
configuration, so a word form finds its stem ("digitaliseringen" finds
"digitalisering"); elsewhere (SQLite, the local database) each word must appear in
the title, the problem or the benefit as it is written. Only shared initiatives are
ever read here: one the leader withdrew is gone from every page at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q, QuerySet

from mail import emails, outbox
from mail.notifications import LINKS, portal_link
from outcomes.models import Collaborator, Initiative
from programme.models import Department, Leader, Programme

SEARCHED = ("title", "problem", "expected_benefit")
# The most words a search reads; the rest are left out (the box says so).
MAX_WORDS = 12


@dataclass(frozen=True)
class CatalogueFilters:
    text: str = ""
    dimension: str = ""
    area: Department | None = None
    status: str = ""


def full_text_search() -> bool:
    """Whether the database stems Danish words (PostgreSQL)."""
    return connection.vendor == "postgresql"


def shared(programme: Programme, filters: CatalogueFilters) -> QuerySet[Initiative]:
    """The shared initiatives of the programme that match, newest shared first."""
    initiatives = (
        Initiative.objects.filter(programme=programme, shared_at__isnull=False)
        .select_related("leader__department__parent")
        .prefetch_related(
            Prefetch(
                "collaborators",
                queryset=Collaborator.objects.select_related("leader__department"),
            )
        )
        .order_by("-shared_at", "-pk")
    )
    if filters.dimension in Initiative.DIMENSION_FIELDS:
        initiatives = initiatives.filter(**{Initiative.DIMENSION_FIELDS[filters.dimension]: True})
    if filters.status:
        initiatives = initiatives.filter(status=filters.status)
    if filters.area is not None:
        initiatives = initiatives.filter(
            Q(leader__department=filters.area) | Q(leader__department__parent=filters.area)
        )
    words = filters.text.split()[:MAX_WORDS]
    if not words:
        return initiatives
    if full_text_search():
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*SEARCHED, config="danish")
        query = SearchQuery(" ".join(words), config="danish", search_type="plain")
        return initiatives.annotate(found=vector).filter(found=query)
    for word in words:
        initiatives = initiatives.filter(
            Q(title__icontains=word)
            | Q(problem__icontains=word)
            | Q(expected_benefit__icontains=word)
        )
    return initiatives


def shared_by(programme: Programme, leader_ids: list[int]) -> QuerySet[Initiative]:
    """The shared initiatives these leaders own or work on with others, oldest shared
    first (a learning group's page shows its members'). One query."""
    return (
        Initiative.objects.filter(programme=programme, shared_at__isnull=False)
        .filter(Q(leader_id__in=leader_ids) | Q(collaborators__leader_id__in=leader_ids))
        .select_related("leader")
        .distinct()
        .order_by("shared_at", "pk")
    )


def areas() -> QuerySet[Department]:
    """The areas a leader can filter by: administrations and centres, and departments
    that stand alone (no parent)."""
    return Department.objects.filter(parent__isnull=True)


class NotYours(Exception):
    """The leader's own initiative: they already carry it."""


@transaction.atomic
def collaborate(initiative: Initiative, leader: Leader, now: dt.datetime) -> bool:
    """``leader`` works on another leader's shared initiative too: they become its
    co-owner, and both are told by e-mail (through the outbox, in the same transaction).
    False when they already were (nothing sent again)."""
    if initiative.leader_id == leader.pk:
        raise NotYours
    try:
        with transaction.atomic():
            Collaborator.objects.create(initiative=initiative, leader=leader, joined_at=now)
    except IntegrityError:
        return False  # pressed twice: the database holds one co-ownership
    owner = initiative.leader
    values = {
        "initiative": initiative.title,
        "owner": owner.name,
        "owner_department": owner.department.name,
        "owner_email": owner.user.email,
        "collaborator": leader.name,
        "collaborator_department": leader.department.name,
        "collaborator_email": leader.user.email,
        "link": portal_link(LINKS[emails.Kind.COLLABORATION]),
    }
    text = emails.text_for(emails.Kind.COLLABORATION)
    for person in (owner, leader):
        subject, body = emails.render(
            emails.Kind.COLLABORATION, {**values, "name": person.name}, text=text
        )
        outbox.queue(to=person.user.email, subject=subject, body=body)
    return True
