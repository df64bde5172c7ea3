"""Session evaluations: who is asked, when they can answer, and what may be shown.

**Who and when.** A leader recorded present or late at a session (its cohort's, or a
make-up) evaluates it once, from the session's end for ``EVALUATION_OPEN_DAYS`` days:
the relevance for their work (1–5), the facilitator (1–5), and what they will do
differently (free text). One session a module: a leader at two of a module's sessions
evaluates one (the database holds it), so a module's pool holds each leader once.
They are asked on the dashboard, and once by e-mail (:func:`ask`, run hourly by
``manage.py close_places``; the request row, under the database's unique constraint, is
written in the transaction that queues the e-mail, so no rerun or second process asks
twice). Attendance recorded late (the sheet, days
after) is asked on the next run, while the window is still open.

**What is shown.** A person's answers only to themself (their page and their personal
data). Everyone else sees averages counted by :mod:`reports.disclosure` (kind
``evaluation``): each evaluation is an entry when it is submitted, frozen; leaf unit
the session, parent the module, whole the programme. HR sees per session, per module
and per facilitator (the union of their sessions' leaves); a facilitator sees their own
sessions and their union. Free text is shown only beside numbers: the texts of exactly
the entries in the blocks behind them, without names, sorted (not in order of arrival).

**When the leftovers combine.** A programme's statistics close once no evaluation can
arrive any more: ``EVALUATION_OPEN_DAYS`` after the programme's end (every session lies
inside the programme). Then the entries waiting in sessions with fewer than *k* answers
combine per module, and no further (``manage.py close_places``; over the programme one
leader's leftovers from several modules could fill a block).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from evaluations.models import SCORES, Evaluation, EvaluationRequest
from mail import emails, outbox
from mail.notifications import portal_link, when
from programme.models import Attendance, Leader, Programme, Session, User
from reports import disclosure

KIND = "evaluation"
RELEVANCE = "relevance"
FACILITATION = "facilitation"


class EvaluationError(Exception):
    """Why an evaluation could not be saved, in words for the leader."""


def open_days() -> dt.timedelta:
    return dt.timedelta(days=settings.EVALUATION_OPEN_DAYS)


def closes_at(session: Session) -> dt.datetime:
    return session.ends_at + open_days()


def is_open(session: Session, now: dt.datetime) -> bool:
    return session.ends_at <= now < closes_at(session)


def attended_sessions(leader: Leader) -> QuerySet[Session]:
    """The sessions the leader was recorded present or late at: the only ones they may
    evaluate (any other is a 404 to them)."""
    return Session.objects.filter(
        attendances__leader=leader, attendances__status__in=Attendance.COMPLETING
    ).select_related("module__programme", "facilitator", "cohort")


def waiting(leader: Leader, now: dt.datetime) -> list[Session]:
    """The sessions the leader can evaluate now, of modules they have not evaluated (one
    query): the dashboard, which shows each one's module, date and link only (the
    programme, facilitator and cohort joins cost more to plan than the query to run)."""
    answered = Evaluation.objects.filter(leader=leader, module=OuterRef("module"))
    return list(
        attended_sessions(leader)
        .select_related(None)
        .select_related("module")
        .filter(ends_at__lte=now, ends_at__gt=now - open_days())
        .exclude(Exists(answered))
        .order_by("ends_at", "pk")
    )


# --- Units of the statistics ---------------------------------------------------------


def session_unit(pk: int) -> str:
    return f"session:{pk}"


def module_unit(pk: int) -> str:
    return f"module:{pk}"


def whole_unit(programme: Programme | int) -> str:
    return f"programme:{getattr(programme, 'pk', programme)}"


def _subject(evaluation_pk: int) -> str:
    return f"evaluation:{evaluation_pk}"


# --- Answering -------------------------------------------------------------------------


@transaction.atomic
def submit(
    *,
    leader: Leader,
    session: Session,
    relevance: int,
    facilitation: int,
    different: str,
    now: dt.datetime,
) -> Evaluation:
    """Save the leader's evaluation of the session, once, while it is open; it is counted
    in the statistics at once, as it is (an evaluation is complete when submitted)."""
    # One writer per leader at a time: a double submit waits, then is told it is done.
    Leader.objects.select_for_update().filter(pk=leader.pk).first()
    if not attended_sessions(leader).filter(pk=session.pk).exists():
        raise EvaluationError(_("Only the leaders who attended a session evaluate it."))
    if not is_open(session, now):
        raise EvaluationError(_("This session's evaluation is not open now."))
    if Evaluation.objects.filter(leader=leader, module=session.module_id).exists():
        raise EvaluationError(_("You have already evaluated this module."))
    if relevance not in SCORES or facilitation not in SCORES:
        raise EvaluationError(_("Every answer is a number from 1 to 5."))
    evaluation = Evaluation.objects.create(
        leader=leader,
        session=session,
        module_id=session.module_id,
        relevance=relevance,
        facilitation=facilitation,
        different=different.strip(),
        submitted_at=now,
    )
    count_in_statistics([evaluation])
    return evaluation


def count_in_statistics(evaluations: list[Evaluation]) -> int:
    """Count each evaluation in the statistics as it is now, frozen (the one way in, for
    one answer and for the demo's many). Returns how many were new."""
    sessions = {
        s.pk: s
        for s in Session.objects.filter(pk__in={e.session_id for e in evaluations}).select_related(
            "module"
        )
    }
    return disclosure.add(
        KIND,
        [
            disclosure.Contribution(
                subject=_subject(e.pk),
                path=disclosure.Path(
                    leaf=session_unit(e.session_id),
                    parent=module_unit(e.module_id),
                    whole=whole_unit(sessions[e.session_id].module.programme_id),
                ),
                arrived_at=e.submitted_at,
                values={RELEVANCE: (e.relevance, 1), FACILITATION: (e.facilitation, 1)},
            )
            for e in evaluations
        ],
    )


def statistics_close_at(programme: Programme) -> dt.datetime:
    return programme.window()[1] + open_days()


def close_statistics(programme: Programme, now: dt.datetime) -> bool:
    """Once no evaluation can arrive, combine the leftovers per module (never over the
    programme: :data:`reports.disclosure.ONE_PER_PARENT`). Idempotent; False if not yet,
    done already or nothing to combine."""
    if now < statistics_close_at(programme) or disclosure.is_closed(KIND, whole_unit(programme)):
        return False
    if not Evaluation.objects.filter(session__module__programme=programme).exists():
        return False  # nothing to combine: no statistics to open
    return disclosure.close(KIND, whole_unit(programme), now)


def close_ended_programmes(now: dt.datetime) -> int:
    """:func:`close_statistics` for every programme whose evaluations have all closed."""
    ended = Programme.objects.filter(ends_on__lt=timezone.localdate(now - open_days()))
    return sum(close_statistics(programme, now) for programme in ended)


# --- Asking by e-mail --------------------------------------------------------------------


def ask(now: dt.datetime) -> int:
    """E-mail each leader who attended a session whose evaluation is open, has not
    evaluated its module and was not asked about it yet: once each (the hourly job).
    Returns how many."""
    asked = EvaluationRequest.objects.filter(
        leader=OuterRef("leader"), session__module=OuterRef("session__module")
    )
    answered = Evaluation.objects.filter(
        leader=OuterRef("leader"), module=OuterRef("session__module")
    )
    due = (
        Attendance.objects.filter(
            status__in=Attendance.COMPLETING,
            session__ends_at__lte=now,
            session__ends_at__gt=now - open_days(),
        )
        .filter(Leader.here_on(timezone.localdate(now), prefix="leader__"))
        .exclude(Exists(asked))
        .exclude(Exists(answered))
        .select_related("leader__user", "session__module__programme")
        .order_by("session__ends_at", "pk")
    )
    text = emails.text_for(emails.Kind.EVALUATION)
    sent = 0
    # A leader at two of a module's sessions, both due: asked about the first only.
    asked_now: set[tuple[int, int]] = set()
    for attendance in due:
        leader, session = attendance.leader, attendance.session
        if (leader.pk, session.module_id) in asked_now:
            continue
        if leader.user is None or not leader.user.email:
            continue
        subject, body = emails.render(
            emails.Kind.EVALUATION,
            {
                "name": leader.name,
                "programme": session.module.programme.name,
                "module": session.module.title,
                "when": when(session),
                "closes": formats.date_format(timezone.localtime(closes_at(session))),
                "link": portal_link("evaluations:answer", session.pk),
            },
            text=text,
        )
        try:
            with transaction.atomic():
                EvaluationRequest.objects.create(leader=leader, session=session, asked_at=now)
                outbox.queue(to=leader.user.email, subject=subject, body=body)
        except IntegrityError:
            continue  # asked by another run at the same moment
        sent += 1
        asked_now.add((leader.pk, session.module_id))
    return sent


# --- What may be shown ---------------------------------------------------------------


def _one_decimal(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Averages:
    """One unit's averages over whole blocks of leaders (``people``: a multiple of the
    minimum; 0: too few answers yet, nothing shown) and, when asked for, the texts of
    the same leaders, without names, sorted."""

    unit: str
    name: str
    people: int = 0
    relevance: Decimal | None = None
    facilitation: Decimal | None = None
    texts: list[str] = field(default_factory=list)
    session: Session | None = None

    @property
    def too_few(self) -> bool:
        return self.people == 0


def _averages(unit: str, name: str, cells: list[disclosure.Cell], **extra) -> Averages:
    """The averages of disjoint cells together (the union of their blocks)."""
    total = disclosure.Cell(unit=unit)
    for cell in cells:
        total.add(cell.people, cell.sums)
    row = Averages(unit=unit, name=name, **extra)
    if not total.people:
        return row
    row.people = total.people
    row.relevance = _one_decimal(*total.sums.get(RELEVANCE, (0, 0)))
    row.facilitation = _one_decimal(*total.sums.get(FACILITATION, (0, 0)))
    return row


def _session_name(session: Session) -> str:
    start = timezone.localtime(session.starts_at)
    return f"{session.module.title}, {session.cohort.name}, {formats.date_format(start)}"


def ended_sessions(programme: Programme, now: dt.datetime) -> QuerySet[Session]:
    return (
        Session.objects.filter(module__programme=programme, ends_at__lte=now)
        .select_related("module", "cohort", "facilitator")
        .order_by("starts_at", "pk")
    )


def sessions_for(user: User) -> QuerySet[Session]:
    """The sessions whose averages a user may see: HR every one, a facilitator their own
    (the access helper of the evaluations' pages; anyone else: none, a 404)."""
    sessions = Session.objects.select_related("module__programme", "cohort", "facilitator")
    if user.is_hr:
        return sessions
    return sessions.filter(facilitator__user=user)


@dataclass
class Overview:
    sessions: list[Averages]
    total: Averages
    modules: list[Averages] = field(default_factory=list)
    facilitators: list[Averages] = field(default_factory=list)


def _of(cells: dict[str, disclosure.Cell], units: list[str]) -> list[disclosure.Cell]:
    return [cells[unit] for unit in units if unit in cells]


def overview(programme: Programme, sessions: list[Session], *, everything: bool) -> Overview:
    """The averages of each of ``sessions`` and of them together (any union of sessions
    is whole blocks); with ``everything`` (HR) also per module and per facilitator (the
    union of their sessions), and the whole programme as the total. Two or five queries."""
    whole = whole_unit(programme)
    cells, _total = disclosure.tally(KIND, whole, by="leaf")
    rows = [
        _averages(session_unit(s.pk), _session_name(s), _of(cells, [session_unit(s.pk)]), session=s)
        for s in sessions
    ]
    if not everything:
        units = [row.unit for row in rows]
        return Overview(rows, _averages("+".join(units), "", _of(cells, units)))
    by_module, whole_total = disclosure.tally(KIND, whole, by="parent")
    modules = [
        _averages(module_unit(m.pk), m.title, _of(by_module, [module_unit(m.pk)]))
        for m in programme.modules.order_by("order", "pk")
    ]
    run_by: dict[int, tuple[str, list[str]]] = {}
    for pk, facilitator, name in Session.objects.filter(
        module__programme=programme, facilitator__isnull=False
    ).values_list("pk", "facilitator_id", "facilitator__name"):
        run_by.setdefault(facilitator, (name, []))[1].append(session_unit(pk))
    facilitators = [
        _averages("+".join(units), name, _of(cells, units))
        for name, units in sorted(run_by.values())
    ]
    return Overview(rows, _averages(whole, "", [whole_total]), modules, facilitators)


def session_averages(session: Session) -> Averages:
    """One session's averages and, over the same blocks, its leaders' texts (sorted,
    without names, empty ones left out). Three queries."""
    whole, unit = whole_unit(session.module.programme_id), session_unit(session.pk)
    cells, _total = disclosure.tally(KIND, whole, by="leaf", leaves=[unit])
    row = _averages(unit, _session_name(session), _of(cells, [unit]))
    if row.too_few:
        return row
    subjects, _all = disclosure.members(KIND, whole, by="leaf", leaves=[unit])
    pks = [int(subject.split(":", 1)[1]) for subject in subjects.get(unit, [])]
    row.texts = sorted(
        Evaluation.objects.filter(pk__in=pks)
        .exclude(different="")
        .values_list("different", flat=True)
    )
    return row
