"""The database refuses what must never be stored."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from programme.models import Attendance, Cohort, Enrolment, Leader, Programme, Session, User
from tests.conftest import NOW, local, make_session, room


def test_a_second_active_enrolment_in_the_same_programme_is_refused(leader, cohort, other_cohort):
    Enrolment.objects.create(leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            leader=leader, cohort=other_cohort, status=Enrolment.Status.WAITLISTED
        )


def test_a_cancelled_enrolment_does_not_block_a_new_one(leader, cohort, other_cohort):
    Enrolment.objects.create(
        leader=leader, cohort=cohort, status=Enrolment.Status.CANCELLED, cancelled_at=NOW
    )
    Enrolment.objects.create(leader=leader, cohort=other_cohort, status=Enrolment.Status.ENROLLED)
    assert Enrolment.objects.filter(leader=leader).count() == 2


def test_enrolment_takes_its_programme_from_the_cohort(leader, cohort):
    enrolment = Enrolment.objects.create(
        leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED
    )
    assert enrolment.programme_id == cohort.programme_id


def test_a_session_outside_the_programme_is_refused(cohort, modules):
    with pytest.raises(ValidationError, match="inden for forløbet"):
        make_session(cohort, modules[0], local(2016, 8, 2))
    with pytest.raises(ValidationError, match="inden for forløbet"):
        make_session(cohort, modules[0], local(2015, 10, 31))
    assert cohort.sessions.count() == 3


def test_a_session_on_the_programmes_last_day_is_accepted(cohort, modules):
    make_session(cohort, modules[0], local(2016, 7, 31, 9))
    assert cohort.sessions.count() == 4


def test_a_session_ending_before_it_starts_is_refused_by_the_database(cohort, modules):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.bulk_create(
            [
                Session(
                    cohort=cohort,
                    module=modules[0],
                    starts_at=local(2016, 2, 1, 12),
                    ends_at=local(2016, 2, 1, 9),
                    location=room("Rådhuset"),
                )
            ]
        )


def test_a_session_of_another_programmes_module_is_refused(cohort):
    other = Programme.objects.create(
        name="Andet forløb", starts_on=dt.date(2015, 1, 1), ends_on=dt.date(2017, 1, 1)
    )
    foreign = other.modules.create(order=1, title="Fremmed")
    with pytest.raises(ValidationError, match="andet forløb"):
        make_session(cohort, foreign, local(2016, 2, 1))


def test_a_second_attendance_for_the_same_session_is_refused(leader, cohort):
    session = cohort.sessions.first()
    Attendance.objects.create(leader=leader, session=session, status=Attendance.Status.PRESENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(leader=leader, session=session, status=Attendance.Status.ABSENT)


def test_a_cohort_needs_a_positive_number_of_seats(programme):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.create(
            programme=programme,
            name="Tomt hold",
            capacity=0,
            enrolment_deadline=dt.date(2016, 1, 1),
        )


def test_employee_numbers_are_unique(leader, department_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Leader.objects.create(
            user=User.objects.create_user(email="other@albertslund.dk"),
            employee_number=leader.employee_number,
            name="Dobbelt",
            level=Leader.Level.TEAM,
            department=department_a,
        )


def test_e_mail_logins_are_unique_whatever_the_case(leader):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email=leader.user.email.upper())


def test_a_programme_cannot_end_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.create(
            name="Baglæns", starts_on=dt.date(2016, 1, 1), ends_on=dt.date(2015, 1, 1)
        )


def test_the_deadline_closes_at_the_end_of_the_day_in_copenhagen(cohort):
    assert not cohort.deadline_passed(local(2016, 1, 31, 23, 59))
    assert cohort.deadline_passed(local(2016, 2, 1, 0, 0))
