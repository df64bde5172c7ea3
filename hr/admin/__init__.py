"""Django admin for HR: the programme, leaders, seats, attendance and reminders.

One module per concern; importing them registers their models with the admin site:

- :mod:`.people`: logins (users), departments, leaders and the leader list's actions
- :mod:`.imports`: the leader import's pages, hooked into the leader list
- :mod:`.cohorts`: programmes, modules, cohorts and sessions
- :mod:`.attendance`: the session's attendance sheet, and single attendance records
- :mod:`.groups`: learning groups and their members, adjusted by hand
- :mod:`.materials`: module materials (files and links) for a module or a session
- :mod:`.seats`: places (enrolments) and make-up seats
- :mod:`.reservations`: seats reserved for a manager (reserved for them, cancelled)
- :mod:`.rooms`: locations and facilitators
- :mod:`.outcomes`: issued certificates and the self-assessment's questionnaires
- :mod:`.mail`: e-mail texts, reminders sent, the outbox
- :mod:`.api_clients`: the read API's clients (token shown once) and the count of their calls
- :mod:`.signin`: groups (their rights) and django-axes' sign-in records, named in Danish
  (:mod:`.names`: rights and sign-in records in Danish, also on the user admin)
- :mod:`.actions`: what the actions on several leaders share (:func:`.actions.apply_to_each`)
- :mod:`.forms`, :mod:`.base`: the admin's own forms; read-only history, labelled inlines

Seats change only through :mod:`booking`, on every door the admin
has: the actions, the make-up add form (booked by the leader's own rules), a
cohort's capacity, a session moved to another cohort, a leader who left. The
other doors are shut: places and make-ups cannot be added, edited or deleted
directly, a leader or session with records cannot be deleted (``PROTECT``), and
history is read-only (no revert, ``PortalHistoryAdmin``). Admin actions on
several leaders run each leader's change in its own transaction, in order of
arrival: a refusal for one leader (a full cohort, a place already cancelled) is
shown next to the others' successes and does not undo them.
"""

from hr.admin import (
    api_clients,
    attendance,
    cohorts,
    groups,
    mail,
    materials,
    outcomes,
    people,
    reservations,
    rooms,
    seats,
    signin,
)

__all__ = [
    "api_clients",
    "attendance",
    "cohorts",
    "groups",
    "mail",
    "materials",
    "outcomes",
    "people",
    "reservations",
    "rooms",
    "seats",
    "signin",
]
