"""The demo's fixed data: the programme's modules, the departments, names, titles, rooms,
facilitators, the cohorts' patterns and how full they are, and the logins the demo
prints (``DEMO_PASSWORD``, ``HR_EMAIL`` and the others)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from programme.models import Attendance, Leader

PROGRAMME_NAME = "Digital ledelse 2015–2016"
DEMO_PASSWORD = "digital2015"  # noqa: S105 - printed for the demo, never used in production
DEMO_AS_OF = dt.datetime(2016, 1, 18, 9, 0)
HR_EMAIL = "hr@albertslund.dk"
MANAGER_EMAIL = "chef@albertslund.dk"
LEADER_EMAIL = "leder@albertslund.dk"

MODULES = [
    (
        "Kick-off: Det digitale mindset",
        "Hvad digital ledelse er i Albertslund: samspillet mellem ledelse, IT, mennesker, "
        "processer og opgaver, og lederens rolle som forandringsagent.",
    ),
    (
        "IT: Systemer, data og sikkerhed",
        "Kommunens IT-landskab, data som ledelsesinformation og informationssikkerhed.",
    ),
    (
        "Mennesker: Medarbejdere i forandring",
        "At lede medarbejdere gennem digitale forandringer og styrke deres digitale kompetencer.",
    ),
    (
        "Processer: Arbejdsgange og gevinster",
        "At se egne arbejdsgange med digitale briller og hente gevinsterne hjem.",
    ),
    (
        "Opgaver: Kerneydelsen og borgeren",
        "Digitalisering af kerneopgaven på tværs af fagområder, med borgeren i centrum.",
    ),
]

DEPARTMENTS_PER_AREA = 30
DEPARTMENTS = [
    ("ØKS", "Center for Økonomi og Styring"),
    ("PDI", "Center for Personale og Digitalisering"),
    ("BOF", "Center for Børn og Familier"),
    ("SKU", "Center for Skole og Uddannelse"),
    ("ÆLS", "Center for Ældre og Sundhed"),
    ("MIT", "Center for Miljø og Teknik"),
    ("KUF", "Center for Kultur og Fritid"),
    ("ABS", "Center for Arbejdsmarked og Borgerservice"),
]

FIRST_NAMES = [
    "Anders",
    "Anne",
    "Birgitte",
    "Bjørn",
    "Camilla",
    "Christian",
    "Dorte",
    "Erik",
    "Frederikke",
    "Grethe",
    "Hanne",
    "Henrik",
    "Ida",
    "Jens",
    "Jørgen",
    "Karen",
    "Kirsten",
    "Lars",
    "Lene",
    "Mads",
    "Mette",
    "Niels",
    "Pernille",
    "Rasmus",
    "Signe",
    "Søren",
    "Thomas",
    "Trine",
    "Ulla",
    "Åse",
    "Asger",
    "Maja",
    "Sørine",
    "Bodil",
]
LAST_NAMES = [
    "Andersen",
    "Bæk",
    "Christensen",
    "Dahl",
    "Frølund",
    "Hansen",
    "Holm",
    "Jensen",
    "Jørgensen",
    "Kjær",
    "Larsen",
    "Madsen",
    "Møller",
    "Nielsen",
    "Pedersen",
    "Poulsen",
    "Rasmussen",
    "Sørensen",
    "Thomsen",
    "Østergaard",
    "Ågård",
    "Lærkesen",
    "Brøndum",
]
TITLES = {
    Leader.Level.DIRECTOR: "Direktør",
    Leader.Level.HEAD_OF_CENTRE: "Centerchef",
    Leader.Level.DEPARTMENT: "Afdelingsleder",
    Leader.Level.TEAM: "Teamleder",
}
# Rooms: name, address, seats, accessibility.
LOCATIONS = [
    (
        "Albertslund Rådhus, Byrådssalen",
        "Nordmarks Allé 1, 2620 Albertslund",
        60,
        "Niveaufri adgang fra hovedindgangen, elevator og teleslynge.",
    ),
    (
        "Albertslund Rådhus, mødelokale 2",
        "Nordmarks Allé 1, 2620 Albertslund",
        30,
        "Elevator til 1. sal.",
    ),
    (
        "Musikteatret Albertslund, salen",
        "Bibliotekstorvet 2, 2620 Albertslund",
        120,
        "Niveaufri adgang og handicaptoilet.",
    ),
    ("Kongsholmcentret, lokale 3", "Kongsholm Allé 2, 2620 Albertslund", 30, ""),
]
# Facilitators: name, organisation, e-mail; the first can sign in to the session screen.
FACILITATORS = [
    ("Lene Holm", "Digitaliseringsenheden", "facilitator@albertslund.dk"),
    ("Jonas Friis", "HR-udvikling", "jonas.friis@albertslund.dk"),
    ("Pia Krogh", "COK", "pia.krogh@cok.dk"),
]
FACILITATOR_EMAIL = FACILITATORS[0][2]
# Enrolment deadline and the five session dates (the modules in order) per cohort pattern.
COHORT_PATTERNS = [
    (dt.date(2015, 11, 1), ["2015-11-10", "2015-12-08", "2016-01-12", "2016-02-09", "2016-03-08"]),
    (dt.date(2015, 11, 13), ["2015-11-24", "2015-12-15", "2016-01-14", "2016-02-16", "2016-03-15"]),
    (dt.date(2015, 12, 1), ["2015-12-10", "2016-01-07", "2016-02-04", "2016-03-03", "2016-04-07"]),
    (dt.date(2016, 2, 1), ["2016-02-11", "2016-03-10", "2016-04-14", "2016-05-12", "2016-06-09"]),
    (dt.date(2016, 2, 29), ["2016-03-09", "2016-04-06", "2016-05-04", "2016-06-01", "2016-06-22"]),
    (dt.date(2016, 3, 31), ["2016-04-12", "2016-05-10", "2016-05-31", "2016-06-14", "2016-07-05"]),
]
SEATS = 24
# Rows built and inserted at a time when seeding many leaders (keeps memory flat).
PEOPLE_CHUNK = 20_000
COHORT_CHUNK = 500
ATTENDANCE_CHUNK = 50_000
# How many later sessions a leader who missed one tries for a make-up seat.
MAKEUP_CANDIDATES = 20
# How full each cohort pattern is, as a share of its seats; above 1 is a waitlist.
FILL = [1.15, 1.1, 0.95, 1.1, 0.7, 0.45]
ATTENDANCE_WEIGHTS = [
    (Attendance.Status.PRESENT, 78),
    (Attendance.Status.LATE, 8),
    (Attendance.Status.EXCUSED, 8),
    (Attendance.Status.ABSENT, 6),
]


def _ascii(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
    return text.translate(table).lower().replace(" ", "")


def _local(day: str | dt.date, hour: int) -> dt.datetime:
    date = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return timezone.make_aware(dt.datetime.combine(date, dt.time(hour)))
