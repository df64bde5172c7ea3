"""Keyboard only: the way in is the first Tab stop, and focus is always visible.

The journeys (test_journeys.py) do the main actions with Tab and Enter; these
tests check what every page shares, from base.html and portal.css.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.conftest import da, session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOCUS_STYLE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    text: (element.innerText || element.value || element.name || '').trim().slice(0, 40),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    boxShadow: style.boxShadow,
  };
}"""


def test_the_first_tab_stop_skips_to_the_content(world, page, sign_in_as, live_server):
    sign_in_as(world.leader)
    page.goto(live_server.url + reverse("dashboard:dashboard"))
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.inner_text() == da("Skip to content")
    assert skip.bounding_box()["width"] > 1, "the skip link must show when it has focus"

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    in_main = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert in_main, "after skipping, the next Tab stop is inside the content"


def test_every_tab_stop_shows_a_visible_focus_ring(world, context, page, live_server):
    pages = [
        ("dashboard:dashboard", world.leader),
        ("login", None),
        ("reports:overview", world.manager),
    ]
    for url_name, person in pages:
        context.clear_cookies()
        if person:
            context.add_cookies([session_cookie(person, live_server)])
        page.goto(live_server.url + reverse(url_name))
        seen, invisible = [], []
        for _ in range(40):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_STYLE)
            if focus["tag"] == "body" or focus in seen:
                break
            seen.append(focus)
            if focus["outlineStyle"] == "none" or focus["outlineWidth"] < 2:
                invisible.append(focus)
        assert len(seen) >= 3, f"too few Tab stops on {url_name}: {seen}"
        assert invisible == [], f"focus not visible on {url_name}: {invisible}"
