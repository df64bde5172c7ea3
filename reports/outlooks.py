"""Each leader's outlook toward the end date, by the progress rules
(:func:`programme.progress.module_state`): the one definition the forecast
(:mod:`reports.forecast`) and the kept counts per department (:mod:`reports.tallies`)
both apply.

A leader's outlook is decided in two steps. What they *need* depends only on their own
stored moments and the clock (:func:`need_of`): nothing (completed, or on course), a
place, or make-ups of some modules. Whether that need can still be met depends on the
seats the whole municipality has left (:class:`reports.chances.Chances`):
:func:`outlook_from_need`. The kept counts keep the first step per department and take
the second at the moment a page asks.
"""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext_lazy as _

from programme.progress import ModuleState, module_state
from reports.chances import Chances


class Outlook:
    COMPLETED = "completed"
    ON_COURSE = "on_course"
    AT_RISK = "at_risk"
    CANNOT_FINISH = "cannot_finish"

    ORDER = (COMPLETED, ON_COURSE, AT_RISK, CANNOT_FINISH)
    LABELS = {
        COMPLETED: _("Completed"),
        ON_COURSE: _("On course"),
        AT_RISK: _("At risk"),
        CANNOT_FINISH: _("Can no longer finish"),
    }


# The module states in which a leader holds a session of the module (still to come, or
# over and waiting for its attendance): "if everyone attends what they hold now".
HELD = (ModuleState.UPCOMING, ModuleState.AWAITING)

States = list[tuple[int, str, int | None, int | None]]


def module_states(required: list[tuple[int, str]], stored: dict | None, now: int) -> States:
    """Each required module's (id, state at ``now``, completed at, expected until) from a
    leader's stored per-module moments (epoch seconds), by the progress rules.
    ``required``: the required modules' (id, key in the stored moments)."""
    stored = stored or {}
    states = []
    for module_id, key in required:
        completed_at, expected_until, missed_from = stored.get(key) or (None, None, None)
        state = module_state(completed_at, expected_until, missed_from, now)
        states.append((module_id, state, completed_at, expected_until))
    return states


def need_of(states: States, end: int) -> tuple[str | None, list[int]]:
    """What a leader's required modules' states (:func:`module_states`) leave them
    needing: ``(COMPLETED, [])``, ``(ON_COURSE, [])``, or ``(None, missing)``: the
    required modules neither completed nor held in a session that ends by ``end``."""
    done = 0
    missing: list[int] = []
    for module_id, state, _completed_at, expected_until in states:
        if state == ModuleState.COMPLETED:
            done += 1
        elif not (state in HELD and expected_until <= end):
            missing.append(module_id)
    if states and done == len(states):
        return Outlook.COMPLETED, []
    if not missing:
        return Outlook.ON_COURSE, []
    return None, missing


def outlook_from_need(
    settled: str | None,
    missing: list[int],
    holds_place: bool,
    own_cohort: int | None,
    chances: Chances,
) -> tuple[str, int | None]:
    """The outlook of a leader with this need (:func:`need_of`), given the seats left,
    and the first required module that neither is completed nor held in time (for the
    reason)."""
    if settled is not None:
        return settled, None
    if not holds_place:
        return (Outlook.AT_RISK if chances.open_cohorts else Outlook.CANNOT_FINISH), missing[0]
    lacking = [m for m in missing if not chances.makeup_for(m, own_cohort)]
    if lacking:
        return Outlook.CANNOT_FINISH, lacking[0]
    return Outlook.AT_RISK, missing[0]


def outlook_of(
    states: States, holds_place: bool, own_cohort: int | None, chances: Chances, end: int
) -> tuple[str, int | None]:
    """One leader's outlook from their required modules' states: both steps at once."""
    return outlook_from_need(*need_of(states, end), holds_place, own_cohort, chances)


def add_moments(moments: list[Counter[int]], states: States, n: int) -> None:
    """Add ``n`` leaders with these module states to the weekly series' moments: the
    required modules' completions as recorded and as held (if everyone attends what they
    hold now), and the leaders' likewise."""
    completions, booked, leaders_done, leaders_booked = moments
    held = []
    for _id, state, completed_at, expected_until in states:
        if state == ModuleState.COMPLETED:
            completions[completed_at] += n
            held.append(completed_at)
        elif state in HELD:
            held.append(expected_until)
    for moment in held:
        booked[moment] += n
    if states and len(held) == len(states):
        leaders_booked[max(held)] += n
        if all(state == ModuleState.COMPLETED for _id, state, _c, _e in states):
            leaders_done[max(held)] += n
