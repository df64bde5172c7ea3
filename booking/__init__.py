"""Seats: who holds one, and the only code that changes that.

What a seat is
--------------
A cohort's capacity is how many people its room takes at each of its sessions.
Two kinds of people are expected at a session: the cohort's *enrolled* leaders,
at every one of its sessions, and *make-up guests*, leaders of other cohorts who
booked that one session to make up a module they missed. So

- a session expects the cohort's enrolled leaders plus its own make-up guests
  (``Session.objects.with_free_seats()``);
- a cohort's taken seats are its enrolled leaders plus the largest number of
  make-up guests at any one of its sessions (``Cohort.objects.with_seats()``);
- a leader gets a seat in a cohort only while one is free at every session, and
  a make-up guest only while one is free at that session.

Every check runs under the cohort's row lock, so whatever order bookings arrive
in, **no session ever expects more people than its cohort's capacity**.

The waitlist
------------
A full cohort puts the leader on its waitlist. The queue is the order in which
places were taken: rows are inserted under the cohort's lock, so their ids are
that order, and the position a leader is told is computed under the same lock.
Every change that frees a seat fills it from the waitlist in the same
transaction: a cancellation, a move, a cancelled make-up, a raised capacity, a
session moved to another cohort, a leader who left. The waitlist closes when the
cohort's first session starts: nobody is promoted into a cohort that has begun,
and :func:`close_places` (run by ``manage.py close_places``) ends the waiting
places and tells the leaders, who may then enrol in an open cohort.

Leaving
-------
A leader who leaves the municipality (``left_on``) keeps their place until the
end of that day, so they are still on that day's attendance sheet; from the next
day :func:`close_places` cancels it and the seat goes to the waitlist. Make-up
seats at sessions after the leaving day are given up at once (:func:`leave`).
Anonymisation gives everything up at once.

How
---
- Every function runs in one transaction and first locks the cohort rows it
  touches (``SELECT ... FOR UPDATE``, in id order so that two transactions never
  wait for each other; SQLite's IMMEDIATE transactions queue writers instead).
- Self-service closes at the cohort's deadline; HR (``by_staff=True``) can still
  act. Leaving a waitlist is always possible: it frees nobody's seat.
- E-mails are queued in the outbox by ``_notify`` inside the same transaction, so a
  change that rolls back sends nothing (``mail/outbox.py`` sends them).

Reservations
------------
A manager (or HR for them) reserves seats of a cohort for the leaders of their
departments (:mod:`.reservations`). A reserved seat not yet named is taken for everyone
else: ``with_seats`` and ``with_free_seats`` count it, so enrolments, make-ups, a lowered
capacity and a session moved in all see it. Naming a leader turns one into their place
(the seat stays counted). The unnamed seats come back, and the waitlist takes them in the
same transaction, when the manager releases them, HR cancels the reservation, or the
release day begins (``RESERVATION_RELEASE_DAYS`` before the first session): reads treat
the reservation as released from that moment, and the next booking in the cohort or
:func:`close_places` marks it and fills the waitlist.

The parts
---------
:mod:`.seats` (the errors, reading seats, the locks and the steps every change shares),
:mod:`.places` (enrol, cancel, promote, move), :mod:`.makeups` (make-up seats),
:mod:`.cohorts` (capacity, sessions moved or saved or deleted, rooms, the waitlist
filled), :mod:`.reservations` (reserve, name, release), :mod:`.closing` (leavers,
closing places) and :mod:`.bulk` (the demo data's bulk seats). Callers use
``booking.<name>``, never a part directly.
"""

from __future__ import annotations

from booking.bulk import book_makeups_in_bulk, enrol_in_bulk
from booking.closing import CLOSE_CHUNK, close_places, leave
from booking.cohorts import (
    check_capacity,
    check_location_capacity,
    check_session_move,
    check_session_place,
    delete_session,
    fill_waitlist,
    save_session,
    set_capacity,
)
from booking.makeups import book_makeup, cancel_makeup, check_makeup
from booking.places import cancel, enrol, move, promote
from booking.reservations import (
    name_leader,
    release_due_reservations,
    release_reservation,
    reserve,
)
from booking.seats import (
    BookingError,
    BookingResult,
    ClosedPlaces,
    free_makeup_seats,
    seats_free,
    seats_taken,
    waitlist_position,
)

# The models the module imported before the split, still reachable as before
# (tests use e.g. booking.Cohort).
from programme.models import (
    Attendance,
    Cohort,
    Enrolment,
    Facilitator,
    Leader,
    Location,
    MakeUpBooking,
    NamedSeat,
    Reservation,
    Session,
)

__all__ = [
    "Attendance",
    "Cohort",
    "Enrolment",
    "Facilitator",
    "Leader",
    "Location",
    "MakeUpBooking",
    "NamedSeat",
    "Reservation",
    "Session",
    "BookingError",
    "BookingResult",
    "ClosedPlaces",
    "seats_taken",
    "seats_free",
    "free_makeup_seats",
    "waitlist_position",
    "enrol",
    "cancel",
    "promote",
    "move",
    "check_makeup",
    "book_makeup",
    "cancel_makeup",
    "check_capacity",
    "set_capacity",
    "check_session_move",
    "check_session_place",
    "check_location_capacity",
    "save_session",
    "delete_session",
    "fill_waitlist",
    "reserve",
    "name_leader",
    "release_reservation",
    "release_due_reservations",
    "leave",
    "CLOSE_CHUNK",
    "close_places",
    "enrol_in_bulk",
    "book_makeups_in_bulk",
]
