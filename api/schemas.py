"""What the API answers, as pydantic models: django-ninja writes the OpenAPI document
from them, and checks every answer against them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

ModuleStateName = Literal["completed", "upcoming", "awaiting", "missed", "not_booked"]


class Problem(Schema):
    detail: str = Field(description="What is wrong, in English.")


class Invalid(Schema):
    detail: list[dict[str, Any]] = Field(description="Each parameter that is not valid, and why.")


class ModuleOut(Schema):
    id: int
    order: int
    title: str
    description: str
    required: bool = Field(description="Required for completing the programme.")


class ProgrammeOut(Schema):
    id: int
    name: str
    description: str
    starts_on: dt.date
    ends_on: dt.date
    modules: list[ModuleOut]


class ProgrammeList(Schema):
    items: list[ProgrammeOut]


class Page(Schema):
    next: str | None = Field(
        description="The cursor of the next page (pass it as `cursor`); null on the last page."
    )
    synced_at: dt.datetime = Field(
        description=(
            "When the first page of this list was asked for. To sync, ask next time with "
            "`updated_since` set to this moment."
        )
    )


class CohortOut(Schema):
    id: int
    programme: int
    name: str
    capacity: int = Field(description="Seats.")
    enrolment_deadline: dt.date
    seats_taken: int = Field(
        description=(
            "Seats no longer free: leaders with a seat, the most make-up guests at any one "
            "of its sessions, and seats a manager has reserved and not yet given to a "
            "leader (until their release day)."
        )
    )
    waitlist_length: int = Field(description="Leaders waiting for a seat.")
    starts_at: dt.datetime | None = Field(description="Its first session's start.")


class CohortPage(Page):
    items: list[CohortOut]


class LocationOut(Schema):
    id: int
    name: str
    address: str
    capacity: int


class FacilitatorOut(Schema):
    id: int
    name: str
    organisation: str


class SessionOut(Schema):
    id: int
    cohort: int
    cohort_name: str
    module: int
    module_title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    closed_at: dt.datetime | None = Field(description="When the facilitator closed it.")
    location: LocationOut
    facilitator: FacilitatorOut | None


class SessionPage(Page):
    items: list[SessionOut]


class ModuleStanding(Schema):
    module: int
    state: ModuleStateName
    attended_on: dt.date | None = Field(description="The day the module was completed.")


class LeaderOut(Schema):
    id: int
    employee_number: str
    name: str
    email: str
    title: str
    level: str = Field(description="director, centre, department or team.")
    department: str = Field(description="The department's code.")
    department_name: str
    area: str | None = Field(description="The code of the administration or centre above it.")
    cohort: str | None = Field(description="The cohort of the leader's place.")
    place: Literal["enrolled", "waitlisted"] | None
    modules_done: int = Field(description="Required modules completed.")
    modules_required: int
    completed: bool
    completed_on: dt.date | None
    behind: bool = Field(description="A required module's session missed and not made up.")
    modules: list[ModuleStanding]
    updated_at: dt.datetime = Field(description="The latest change to the leader's data.")


class LeaderPage(Page):
    items: list[LeaderOut]


class AttendanceOut(Schema):
    id: int
    leader: int
    employee_number: str
    session: int
    module: int
    cohort: int
    status: Literal["present", "late", "excused", "absent"]
    source: str = Field(description="sheet, self (check-in), facilitator or closed.")
    recorded_at: dt.datetime


class AttendancePage(Page):
    items: list[AttendanceOut]
