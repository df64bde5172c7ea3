"""Module materials as HR attaches them: a link to read before each module, and the
kick-off's programme as a file kept in the database (``STORAGES["files"]``)."""

from __future__ import annotations

from django.core.files.base import ContentFile

from materials.models import Material
from programme.models import Module

PROGRAMME_FILE = "Program for kick-off.txt"
PROGRAMME_TEXT = """Kick-off: Det digitale mindset

09.00  Velkomst og formål med forløbet
09.30  Digital ledelse i Albertslund: ledelse, IT, mennesker, processer og opgaver
11.00  Din egen selvevaluering: hvor står du?
12.00  Frokost
12.45  Cases fra kommunens centre
14.00  Dit digitaliseringsinitiativ: første skridt
15.00  Tak for i dag
"""

# Pre-reading per module (by order): a title and a page elsewhere.
READING = {
    1: (
        "Forberedelse: Den fællesoffentlige digitaliseringsstrategi",
        "https://digst.dk/strategier/",
    ),
    2: ("Forberedelse: Informationssikkerhed for ledere", "https://sikkerdigital.dk/"),
    3: ("Forberedelse: Digitale kompetencer hos medarbejderne", "https://www.kl.dk/"),
    4: ("Forberedelse: Gevinstrealisering", "https://digst.dk/styring/gevinstrealisering/"),
    5: ("Forberedelse: Borgeren i centrum", "https://www.borger.dk/"),
}


def _materials(modules: list[Module]) -> int:
    """Each module's pre-reading, and the kick-off's programme; only what is missing.
    Returns how many were added."""
    added = 0
    for module in modules:
        if module.order in READING:
            title, link = READING[module.order]
            _material, created = Material.objects.get_or_create(
                module=module, title=title, defaults={"link": link, "days_before": 14}
            )
            added += created
    first = next((m for m in modules if m.order == 1), None)
    if first is not None and not Material.objects.filter(module=first, link="").exists():
        material = Material(module=first, title="Program for kick-off", days_before=7)
        material.file.save(PROGRAMME_FILE, ContentFile(PROGRAMME_TEXT.encode()), save=False)
        material.save()
        added += 1
    return added
