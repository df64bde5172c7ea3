"""Aggregates about people: every number shown is over whole blocks of leaders
(reports/disclosure.py), so no two answers of the portal, under any filter, in any
format, at any two moments, narrow a group below the minimum.

The first three tests are the issue's repros (they fail on the per-table suppression
that came before): a filtered download beside an unfiltered one, a page's counts beside
its total, and one more answer (or a revision) between two downloads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

import booking
from accounts.privacy import anonymise_leader
from outcomes import assessment
from outcomes.models import Dimension, Questionnaire, Statement
from programme.models import (
    Cohort,
    Department,
    Leader,
    Module,
    Programme,
    StatisticsBlock,
    StatisticsEntry,
    StatisticsScope,
)
from reports import disclosure
from tests.conftest import local, make_leader, make_session

OUTCOMES = reverse("outcomes:report")
CSV = reverse("outcomes:report_csv")
K = 5

# A cohort whose baseline is open from enrolment (4.1.) until 12.1. 15:00, and whose
# follow-up from 8.3. 9:00 until the programme ends (31.7.).
ENROLLED = local(2016, 1, 4)
BASELINE_AT = local(2016, 1, 8)
FOLLOW_UP_AT = local(2016, 3, 10)
AFTER_THE_END = local(2016, 8, 2)


@pytest.fixture(autouse=True)
def _inside_the_programme(settings):
    """The pages' clock: the follow-up is open (the programme ends 31.7.2016)."""
    settings.PORTAL_CLOCK = local(2016, 3, 25).isoformat()


@pytest.fixture
def big_cohort(programme, modules) -> Cohort:
    cohort = Cohort.objects.create(
        programme=programme, name="Hold 9", capacity=60, enrolment_deadline=dt.date(2016, 1, 31)
    )
    make_session(cohort, modules[0], local(2016, 1, 12))
    make_session(cohort, modules[1], local(2016, 3, 8))
    return cohort


def submit(leader, programme, round: str, score, now) -> None:
    """A leader's answers through the same function the page calls."""
    questionnaire = assessment.questionnaire_for(leader, programme, round)
    assessment.submit_answers(
        leader=leader,
        programme=programme,
        round=round,
        questionnaire=questionnaire,
        scores={s.pk: score(s) for s in questionnaire.statements.all()},
        free_text="",
        now=now,
    )


def seat(leader, cohort) -> Leader:
    booking.enrol(leader=leader, cohort=cohort, by_staff=True, now=ENROLLED)
    return leader


def answer_both(leader, programme, before, after, *, at=FOLLOW_UP_AT) -> None:
    submit(leader, programme, "baseline", before, BASELINE_AT)
    submit(leader, programme, "follow_up", after, at)


def people(department: Department, count: int, prefix: str, cohort, **fields) -> list[Leader]:
    found = []
    for n in range(count):
        person = make_leader(
            f"{prefix}{n}@albertslund.dk", f"{prefix.upper()} {n}", department, f"{prefix}{n:03d}"
        )
        if fields:
            Leader.objects.filter(pk=person.pk).update(**fields)
            person.refresh_from_db()
        found.append(seat(person, cohort))
    return found


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def shown_in_csv(rows: list[list[str]]) -> dict[tuple[str, str], tuple]:
    """Each group with numbers: (grouped by, group) -> (leaders, every dimension's numbers)."""
    groups: dict[tuple[str, str], list] = {}
    for row in rows[1:]:
        if row[2].isdigit():
            groups.setdefault((row[0], row[1]), [int(row[2])]).append(tuple(row[3:]))
    return {key: tuple(value) for key, value in groups.items()}


def assert_no_pair_differs_by_fewer_than_k(counts: list[int]) -> None:
    for a in counts:
        for b in counts:
            assert abs(a - b) == 0 or abs(a - b) >= K, (a, b, counts)


# --- The repros --------------------------------------------------------------------


def test_a_level_filter_beside_the_department_gives_no_one_away(
    client, programme, big_cohort, department_a, manager_a
):
    """Repro 1: ``?department=A`` (8 leaders) and ``?department=A&level=team`` (7) gave
    the eighth leader's score per dimension as 8·avg₁ − 7·avg₂."""
    team = people(department_a, 7, "t", big_cohort, level=Leader.Level.TEAM)
    (head,) = people(department_a, 1, "h", big_cohort, level=Leader.Level.DEPARTMENT)
    for n, person in enumerate(team):
        answer_both(person, programme, lambda s, n=n: 1 + n % 3, lambda s, n=n: 2 + n % 3)
    answer_both(head, programme, lambda s: 5, lambda s: 1)
    client.force_login(manager_a)
    everything = shown_in_csv(csv_rows(client.get(CSV, {"department": department_a.pk})))
    team_only = shown_in_csv(
        csv_rows(client.get(CSV, {"department": department_a.pk, "level": "team"}))
    )
    assert everything, "the department must still show its numbers"
    assert team_only == everything
    assert_no_pair_differs_by_fewer_than_k(
        [g[0] for g in everything.values()] + [g[0] for g in team_only.values()]
    )


def _page_tables(html: str) -> list[tuple[list[int | None], list[int]]]:
    """Per table of the self-assessment section: the count shown on each body line (None
    where it shows none) and the totals in its footer."""
    section = html.split('id="assessment-heading"')[1].split('id="initiatives-heading"')[0]
    tables = []
    for table in re.findall(r"<table.*?</table>", section, re.S):
        body, _sep, foot = table.partition("<tfoot>")

        def counts(part):
            found = []
            for row in re.findall(r"<tr[^>]*>\s*<th scope=\"row\">.*?</tr>", part, re.S):
                cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                text = re.sub(r"<[^>]+>", "", cells[0]).strip() if cells else ""
                match = re.fullmatch(r"(\d+)( ledere?)?", text)
                found.append(int(match.group(1)) if match else None)
            return found

        tables.append((counts(body), [c for c in counts(foot) if c is not None]))
    return tables


def test_the_counts_beside_a_total_never_give_a_hidden_groups_count_away(
    client, programme, modules, department_a, department_b, manager_a
):
    """Repro 2: "Hold 1: 5", "Hold 2: 7" and "I alt 16" told that the hidden Hold 3 had
    four. Whatever a page shows beside its total, the rest is none or at least five."""
    cohorts = []
    for n, size in enumerate([5, 7, 4], start=1):
        cohort = Cohort.objects.create(
            programme=programme,
            name=f"Hold {n}",
            capacity=20,
            enrolment_deadline=dt.date(2016, 1, 31),
        )
        make_session(cohort, modules[0], local(2016, 1, 12))
        make_session(cohort, modules[1], local(2016, 3, 8))
        cohorts.append(cohort)
        for person in people(department_a if n != 2 else department_b, size, f"c{n}", cohort):
            answer_both(person, programme, lambda s, n=n: n, lambda s: 5)
    department_b.managers.add(manager_a)
    client.force_login(manager_a)
    tables = _page_tables(client.get(OUTCOMES).text)
    assert any(shown for shown, _totals in tables), "some numbers must still be shown"
    totals = [t for _shown, foot in tables for t in foot]
    for shown, _foot in tables:
        visible = sum(c for c in shown if c is not None)
        for total in totals:
            assert total - visible == 0 or total - visible >= K, (shown, total)
    assert_no_pair_differs_by_fewer_than_k(
        [c for shown, _foot in tables for c in shown if c is not None] + totals
    )


def test_one_more_answer_or_a_revision_changes_no_number_by_fewer_than_k(
    client, programme, big_cohort, department_a, manager_a
):
    """Repro 3: a group's average before and after one more leader answered gave that
    leader's answers away; so did one leader's revision."""
    first = people(department_a, 6, "f", big_cohort)
    for n, person in enumerate(first):
        answer_both(person, programme, lambda s, n=n: 1 + n % 4, lambda s, n=n: 2 + n % 4)
    client.force_login(manager_a)
    before = shown_in_csv(csv_rows(client.get(CSV)))
    assert before, "the department must still show its numbers"

    (late,) = people(department_a, 1, "late", big_cohort)
    answer_both(late, programme, lambda s: 5, lambda s: 1, at=local(2016, 3, 20))
    after_one_more = shown_in_csv(csv_rows(client.get(CSV)))
    # A leader revises the follow-up while it is still open.
    submit(first[0], programme, "follow_up", lambda s: 5, local(2016, 3, 21))
    after_a_revision = shown_in_csv(csv_rows(client.get(CSV)))

    for later in (after_one_more, after_a_revision):
        for key, shown in later.items():
            if key in before and shown[1:] != before[key][1:]:
                assert abs(shown[0] - before[key][0]) >= K, (key, before[key], shown)
    assert after_a_revision == after_one_more == before


# --- The rule, piece by piece -------------------------------------------------------------


def entries(programme) -> list[StatisticsEntry]:
    return list(
        StatisticsEntry.objects.filter(scope__whole=assessment.whole_unit(programme)).order_by(
            "arrived_at", "pk"
        )
    )


def test_a_block_forms_when_the_kth_leader_of_a_department_has_answered_both_rounds(
    programme, big_cohort, department_a
):
    team = people(department_a, 6, "b", big_cohort)
    for n, person in enumerate(team[:4]):
        answer_both(person, programme, lambda s: 2, lambda s: 3, at=local(2016, 3, 9, n + 9))
    assert StatisticsBlock.objects.count() == 0
    assert len(entries(programme)) == 4
    # A baseline alone counts for nothing yet.
    submit(team[4], programme, "baseline", lambda s: 2, BASELINE_AT)
    assert len(entries(programme)) == 4
    submit(team[4], programme, "follow_up", lambda s: 4, local(2016, 3, 10))
    (block,) = StatisticsBlock.objects.all()
    assert (block.level, block.leaf, block.size) == (
        "leaf",
        assessment.department_unit(department_a.pk),
        K,
    )
    assert block.parent == assessment.area_unit(department_a.pk)
    assert [e.subject for e in block.entries.order_by("arrived_at")] == [
        f"leader:{p.pk}" for p in team[:5]
    ]
    answer_both(team[5], programme, lambda s: 2, lambda s: 3, at=local(2016, 3, 11))
    assert StatisticsBlock.objects.count() == 1
    assert entries(programme)[-1].block is None


def test_the_statistics_keep_the_answers_and_department_as_they_were_when_counted(
    client, programme, big_cohort, department_a, department_b, hr
):
    team = people(department_a, 5, "r", big_cohort)
    for person in team:
        answer_both(person, programme, lambda s: 2, lambda s: 4)
    client.force_login(hr)
    first = client.get(OUTCOMES, {"grouping": "department"}).context
    # A revision, a move to another department and anonymisation change nothing shown.
    submit(team[0], programme, "follow_up", lambda s: 1, local(2016, 3, 12))
    Leader.objects.filter(pk=team[1].pk).update(department=department_b)
    Leader.objects.filter(pk=team[2].pk).update(left_on=dt.date(2016, 3, 1))
    anonymise_leader(Leader.objects.get(pk=team[2].pk), now=local(2016, 3, 13))
    later = client.get(OUTCOMES, {"grouping": "department"}).context
    assert [(g.unit, g.leaders, g.scores) for g in later["groups"]] == [
        (g.unit, g.leaders, g.scores) for g in first["groups"]
    ]
    by_unit = {g.unit: g for g in later["groups"]}
    a = by_unit[assessment.department_unit(department_a.pk)]
    assert a.leaders == K and a.scores[0].after == Decimal("4.0")
    assert by_unit[assessment.department_unit(department_b.pk)].too_few
    # The leader's own picture shows the revision.
    own = assessment.own_scores(list(team[0].assessments.all()))
    assert own[0].after == Decimal("1.0")


def test_leftovers_are_combined_per_area_then_over_the_programme_once_it_has_ended(
    client, settings, programme, big_cohort, hr
):
    area = Department.objects.create(name="Område Vest", code="OV")
    west = [Department.objects.create(name=f"Vest {n}", code=f"V{n}", parent=area) for n in (1, 2)]
    alone = Department.objects.create(name="Stab", code="ST")
    # 3 + 3 in the area's two departments (a block of 5 across them, 1 left over);
    # 3 alone (with the area's one left over: 4, fewer than 5, never counted).
    for department, prefix in ((west[0], "w"), (west[1], "x"), (alone, "s")):
        for person in people(department, 3, prefix, big_cohort):
            answer_both(person, programme, lambda s: 3, lambda s: 4)
    assert StatisticsBlock.objects.count() == 0
    client.force_login(hr)
    response = client.get(OUTCOMES)
    assert response.context["total"].too_few

    # The page combines them itself once the programme has ended (the job may be later).
    settings.PORTAL_CLOCK = AFTER_THE_END.isoformat()
    response = client.get(OUTCOMES)
    (block,) = StatisticsBlock.objects.all()
    assert (block.level, block.leaf, block.parent) == ("parent", "", assessment.area_unit(area.pk))
    by_unit = {g.unit: g for g in response.context["groups"]}
    assert by_unit[assessment.area_unit(area.pk)].leaders == K
    assert by_unit[assessment.area_unit(alone.pk)].too_few
    assert response.context["total"].leaders == K
    assert StatisticsEntry.objects.filter(block__isnull=True).count() == 4
    # Once only.
    assert not assessment.close_statistics(programme, AFTER_THE_END)


def test_the_hourly_job_combines_the_leftovers_of_an_ended_programme(
    settings, programme, big_cohort, department_a, department_b
):
    for department, prefix in ((department_a, "p"), (department_b, "q")):
        for person in people(department, 3, prefix, big_cohort):
            answer_both(person, programme, lambda s: 3, lambda s: 4)
    settings.PORTAL_CLOCK = local(2016, 7, 31, 23).isoformat()
    call_command("close_places", stdout=io.StringIO())
    assert StatisticsBlock.objects.count() == 0
    settings.PORTAL_CLOCK = AFTER_THE_END.isoformat()
    out = io.StringIO()
    call_command("close_places", stdout=out)
    (block,) = StatisticsBlock.objects.all()
    assert block.level == "whole" and block.size == K
    assert "1 ended programme" in out.getvalue()
    assert StatisticsScope.objects.get().closed_at is not None


def test_the_level_cohort_and_grouping_filters_never_change_a_managers_numbers(
    client, programme, big_cohort, open_cohort, department_a, manager_a
):
    team = people(department_a, 6, "m", big_cohort, level=Leader.Level.TEAM)
    for n, person in enumerate(team):
        answer_both(person, programme, lambda s, n=n: 1 + n % 5, lambda s: 4)
    client.force_login(manager_a)
    plain = client.get(OUTCOMES).context
    for query in (
        {"level": "team"},
        {"level": "director"},
        {"cohort": big_cohort.pk},
        {"department": department_a.pk, "level": "department"},
    ):
        context = client.get(OUTCOMES, query).context
        assert [(g.unit, g.leaders, g.scores) for g in context["groups"]] == [
            (g.unit, g.leaders, g.scores) for g in plain["groups"]
        ], query


def test_the_leaders_own_pages_say_how_their_answers_count(
    client, programme, big_cohort, department_a
):
    (person,) = people(department_a, 1, "own", big_cohort)
    submit(person, programme, "baseline", lambda s: 2, BASELINE_AT)
    client.force_login(person.user)
    form = client.get(reverse("outcomes:self_assessment")).text
    assert "tæller dine svar i statistikken, som du gav dem da" in form
    submit(person, programme, "follow_up", lambda s: 4, FOLLOW_UP_AT)
    result = client.get(reverse("outcomes:assessment_result")).text
    assert "Dine svar tæller i statistikken, som du gav dem, da begge runder var besvaret" in (
        result
    )


def test_the_demo_still_shows_numbers_to_hr_and_to_the_manager_of_two_departments(
    client, settings, demo
):
    import demo as demo_data
    from programme.models import User

    settings.PORTAL_CLOCK = demo_data.DEMO_AS_OF.isoformat()
    client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
    context = client.get(OUTCOMES).context
    assert sum(not g.too_few for g in context["groups"]) == 8  # every centre
    assert context["total"].leaders == 40
    client.force_login(User.objects.get(email=demo_data.MANAGER_EMAIL))
    context = client.get(OUTCOMES).context
    assert [g.leaders for g in context["groups"]] == [K, K]
    assert context["total"].leaders == 2 * K


def test_the_minimum_is_a_setting(client, settings, programme, big_cohort, department_a, manager_a):
    settings.ASSESSMENT_MIN_GROUP = 3
    for person in people(department_a, 4, "s", big_cohort):
        answer_both(person, programme, lambda s: 2, lambda s: 4)
    client.force_login(manager_a)
    (group,) = client.get(OUTCOMES).context["groups"]
    assert group.leaders == 3


def test_the_page_says_the_rule_in_danish(client, programme, manager_a, leader, big_cohort):
    client.force_login(manager_a)
    text = client.get(OUTCOMES).text
    assert "Gennemsnit vises kun for grupper på mindst 5 ledere." in text
    assert "så ingen enkeltperson kan regnes ud" in text
    assert "for få besvarelser endnu" in text


def test_one_rule_for_many_arrivals_counts_each_leader_once(programme, big_cohort, department_a):
    """The bulk path (demo data) is the same function: running it again adds nothing."""
    team = people(department_a, 7, "u", big_cohort)
    for person in team:
        answer_both(person, programme, lambda s: 3, lambda s: 3)
    leaders = Leader.objects.all()
    assert assessment.count_in_statistics(programme, leaders) == 0
    assert len(entries(programme)) == 7
    assert StatisticsBlock.objects.count() == 1


def test_disclosure_cuts_blocks_in_order_of_arrival_along_any_path(db, settings):
    """The shared piece knows nothing of departments: units are strings."""
    settings.ASSESSMENT_MIN_GROUP = 2
    start = local(2016, 3, 1)

    def arrive(subject, leaf, parent, minutes):
        return disclosure.Contribution(
            subject=subject,
            path=disclosure.Path(leaf=leaf, parent=parent, whole="programme:9"),
            arrived_at=start + dt.timedelta(minutes=minutes),
            values={"after:x": (minutes, 1)},
        )

    added = disclosure.add(
        "evaluation",
        [
            arrive("a", "session:1", "module:1", 3),
            arrive("b", "session:1", "module:1", 1),
            arrive("c", "session:1", "module:1", 2),
            arrive("d", "session:2", "module:1", 4),
            arrive("e", "session:3", "module:2", 5),
        ],
    )
    assert added == 5
    cells, total = disclosure.tally("evaluation", "programme:9", by="leaf")
    # b and c arrived first in session 1: their block; a waits.
    assert {u: (c.people, c.sums["after:x"]) for u, c in cells.items()} == {
        "session:1": (2, [3, 2])
    }
    assert disclosure.close("evaluation", "programme:9", start)
    cells, total = disclosure.tally("evaluation", "programme:9", by="parent")
    # a and d combine in module 1; e is left alone and never counted.
    assert {u: c.people for u, c in cells.items()} == {"module:1": 4}
    assert total.people == 4 and total.sums["after:x"] == [10, 4]


def test_many_arrivals_written_in_parts_are_counted_as_in_one_go(db, settings, monkeypatch):
    """A national load writes its entries a part at a time; each entry keeps its own
    values and the blocks are the ones a single part would have formed."""
    settings.ASSESSMENT_MIN_GROUP = 2
    start = local(2016, 3, 1)

    def load(whole):
        return disclosure.add(
            "evaluation",
            [
                disclosure.Contribution(
                    subject=f"s{n}",
                    path=disclosure.Path(leaf=f"session:{n % 3}", parent="module:1", whole=whole),
                    arrived_at=start + dt.timedelta(minutes=n),
                    values={"after:x": (n, 1), "after:y": (100 + n, 1)},
                )
                for n in range(11)
            ],
        )

    def counted(whole):
        entries = StatisticsEntry.objects.filter(scope__whole=whole).order_by("subject")
        return [
            (
                e.subject,
                e.leaf,
                e.block.size if e.block else None,
                sorted(e.measures.values_list("measure", "total", "count")),
            )
            for e in entries
        ]

    assert load("programme:1") == 11
    monkeypatch.setattr(disclosure, "ENTRIES_AT_ONCE", 3)
    assert load("programme:2") == 11
    assert counted("programme:2") == counted("programme:1")
    values = {subject: v for subject, *_, v in counted("programme:2")}
    assert values["s4"] == [("after:x", 4, 1), ("after:y", 104, 1)]


# --- Two answers at once (PostgreSQL row locks) ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_follow_ups_at_once_never_share_a_waiting_leader(settings):
    """K − 1 leaders wait; the K-th's follow-up is saved but not yet committed when the
    (K+1)-th arrives on another connection. The second waits for the first, then sees it:
    one block of exactly K, one leader waiting (without the lock both took the K − 1)."""
    programme = Programme.objects.create(
        name="Race", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    modules = [
        Module.objects.create(programme=programme, order=n, title=f"M{n}", required=True)
        for n in (1, 2)
    ]
    cohort = Cohort.objects.create(
        programme=programme, name="Hold R", capacity=60, enrolment_deadline=dt.date(2016, 1, 31)
    )
    make_session(cohort, modules[0], local(2016, 1, 12))
    make_session(cohort, modules[1], local(2016, 3, 8))
    if Questionnaire.current() is None:
        # The data migration's questionnaire is gone when an earlier transactional test
        # flushed the database: make one of the same shape (a statement per dimension).
        questionnaire = Questionnaire.objects.create(
            version=99, title="Race", low_label="1", high_label="5", free_text_prompt="?"
        )
        for n, (dimension, _label) in enumerate(Dimension.choices, start=1):
            Statement.objects.create(
                questionnaire=questionnaire, dimension=dimension, order=n, text=f"S{n}"
            )
    department = Department.objects.create(name="Kapløb", code="KAP")
    team = people(department, K + 1, "race", cohort)
    for person in team:
        submit(person, programme, "baseline", lambda s: 3, BASELINE_AT)
    for person in team[: K - 1]:
        submit(person, programme, "follow_up", lambda s: 4, FOLLOW_UP_AT)
    errors = []

    def second():
        try:
            submit(team[K], programme, "follow_up", lambda s: 2, FOLLOW_UP_AT)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    with transaction.atomic():
        submit(team[K - 1], programme, "follow_up", lambda s: 4, FOLLOW_UP_AT)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second arrival must wait for the first"
    thread.join()
    assert errors == []
    (block,) = StatisticsBlock.objects.all()
    assert block.entries.count() == block.size == K
    assert {e.subject for e in block.entries.all()} == {f"leader:{p.pk}" for p in team[:K]}
    (waiting,) = StatisticsEntry.objects.filter(block__isnull=True)
    assert waiting.subject == f"leader:{team[K].pk}"
