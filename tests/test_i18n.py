"""Danish by default, English on request, and no English left on the Danish pages."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

import booking
from tests.conftest import local

CATALOG = Path(django_settings.BASE_DIR) / "locale/da/LC_MESSAGES/django.po"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


def english_sentences():
    """The portal's msgids that are phrases and differ from their Danish."""
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', CATALOG.read_text(encoding="utf-8"), re.M)
    return [i for i, da in pairs if " " in i and "%(" not in i and i != da]


def test_every_string_of_the_portal_has_a_danish_translation():
    text = CATALOG.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    # An empty msgstr not continued on the next line.
    empty = re.compile(r'^msgstr(\[\d\])? ""$(?!\n")', flags=re.M)
    untranslated = [e for e in entries if empty.search(e)]
    assert len(entries) > 400
    assert untranslated == []
    assert "#, fuzzy" not in text


def test_the_compiled_catalog_matches_the_translations():
    """The committed .mo is what Django reads: it must be compiled from the current .po."""
    compiled = gettext.GNUTranslations(CATALOG.with_suffix(".mo").open("rb"))
    entries = re.findall(
        r'^(?:msgctxt "(.+)"\n)?msgid "(.+)"\nmsgstr "(.+)"$',
        CATALOG.read_text(encoding="utf-8"),
        re.M,
    )
    assert entries
    stale = [
        (context, i, da)
        for context, i, da in entries
        if (compiled.pgettext(context, i) if context else compiled.gettext(i))
        != da.replace('\\"', '"')
    ]
    assert stale == []


def test_pages_are_danish_by_default(client, leader, cohort):
    client.force_login(leader.user)
    response = client.get("/")
    assert '<html lang="da">' in response.text
    assert "0 af 2 moduler gennemført" in response.text


def test_the_language_switch_gives_english_pages(client, leader, cohort):
    client.force_login(leader.user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.text
    assert "0 of 2 modules completed" in response.text
    assert "Choose a cohort" in response.text


@pytest.mark.parametrize("state", ["new", "enrolled", "waitlisted"])
def test_no_english_is_left_on_the_danish_pages(client, leader, colleague, cohort, state):
    if state != "new":
        if state == "waitlisted":
            cohort.capacity = 1
            cohort.save()
            booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 4))
        booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    pages = [
        "/",
        reverse("dashboard:cohort_list"),
        cohort.get_absolute_url(),
        reverse("password_change"),
    ]
    sentences = english_sentences()
    assert len(sentences) > 50
    for url in pages:
        html = client.get(url).text
        left = [s for s in sentences if s in html]
        assert left == [], url


def test_an_english_browser_still_gets_danish_until_the_switch_is_used(client, leader, cohort):
    client.force_login(leader.user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="da">' in response.text
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get("/").text


def test_the_admin_is_danish_for_an_english_browser(client, hr):
    client.force_login(hr)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Forløbet" in response.text
