"""The demo's session evaluations: most leaders recorded at a session that had ended by
``as_of`` answered it within a few days, counted in the statistics by the portal's own
path (:func:`evaluations.rules.count_in_statistics`), so HR's and the facilitator's
pages show averages where a block has formed and "too few answers yet" elsewhere."""

from __future__ import annotations

import datetime as dt
import random

from evaluations import rules
from evaluations.models import Evaluation
from programme.models import Attendance, Programme

TEXTS = [
    "",
    "",
    "Jeg vil tale med mit team om, hvad vi kan digitalisere først.",
    "Afsætte tid på personalemøderne til digitale arbejdsgange.",
    "Spørge medarbejderne, hvilke kompetencer de mangler.",
    "Tage initiativet op med de andre centre i min læringsgruppe.",
    "Være mere konkret, når jeg beskriver gevinsten for borgerne.",
]


# Evaluations planned, then saved and counted, about this many at a time.
SAVED_AT_ONCE = 20_000


def evaluations(programme: Programme, as_of: dt.datetime) -> int:
    """Four in five leaders present or late at an ended session evaluated it (one
    session a module)."""
    if Evaluation.objects.filter(session__module__programme=programme).exists():
        return 0
    rng = random.Random(2017)
    attended = (
        Attendance.objects.filter(
            session__module__programme=programme,
            session__ends_at__lte=as_of,
            status__in=Attendance.COMPLETING,
        )
        .select_related("session")
        .order_by("session__ends_at", "pk")
    )
    rows, evaluated, written = [], set(), 0
    for attendance in attended.iterator(chunk_size=5000):  # not all held at once
        session = attendance.session
        if len(rows) >= SAVED_AT_ONCE and rows[-1].session.ends_at != session.ends_at:
            # Saved a few whole sessions at a time (the rows come by the sessions' end,
            # and sessions that end together interleave): each session's answers meet in
            # its statistics as in one go (a block forms within one session).
            written += _save(rows)
            rows = []
        if rng.random() >= 0.8 or (attendance.leader_id, session.module_id) in evaluated:
            continue
        answered = session.ends_at + dt.timedelta(hours=rng.randint(1, 96))
        if answered >= min(as_of, rules.closes_at(session)):
            continue
        evaluated.add((attendance.leader_id, session.module_id))
        rows.append(
            Evaluation(
                leader_id=attendance.leader_id,
                session=session,
                module_id=session.module_id,
                relevance=rng.choices([2, 3, 4, 5], weights=[1, 3, 5, 3])[0],
                facilitation=rng.choices([3, 4, 5], weights=[2, 5, 4])[0],
                different=rng.choice(TEXTS),
                submitted_at=answered,
            )
        )
    return written + _save(rows)


def _save(rows: list[Evaluation]) -> int:
    created = Evaluation.objects.bulk_create(rows, batch_size=2000)
    rules.count_in_statistics(created)
    return len(created)
