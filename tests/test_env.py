"""portal/env.py: every value is understood or refused with the variable's name.

A value that is set but not understood never becomes a default, False or a bare
ValueError: the start stops with ``ImproperlyConfigured`` naming the variable.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from portal.env import FALSE, TRUE, env_bool, env_choice, env_float, env_int, env_list, env_str

NAME = "PORTAL_TEST_SETTING"


@pytest.fixture
def given_value(monkeypatch):
    def set_to(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_to


def refused(read, value: str, given_value) -> str:
    given_value(value)
    with pytest.raises(ImproperlyConfigured) as caught:
        read()
    message = str(caught.value)
    assert message.startswith(f"{NAME}={value.strip()!r} is not understood: {NAME} must be ")
    return message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("On", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("no", False),
        ("OFF", False),
        ("0", False),
    ],
)
def test_booleans_accept_the_eight_words_in_any_case(given_value, value, expected):
    given_value(value)
    assert env_bool(NAME, default=True) is expected


@pytest.mark.parametrize("value", ["ture", "flase", "2", "-1", "y", "n", "enabled", "nej", "sand"])
def test_booleans_refuse_anything_else(given_value, value):
    message = refused(lambda: env_bool(NAME, default=True), value, given_value)
    assert "one of true, 1, yes, on, false, 0, no, off" in message


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 25), ("", 25), ("587", 587), (" 2525 ", 2525), ("-1", -1)]
)
def test_whole_numbers_in_digits_are_read(given_value, value, expected):
    given_value(value)
    assert env_int(NAME, 25) == expected


@pytest.mark.parametrize(
    "value", ["twentyfive", "25.0", "2_5", "1e3", "0x19", "+", "٢٥", "25 seconds", "nan"]
)
def test_anything_but_a_whole_number_in_digits_is_refused(given_value, value):
    message = refused(lambda: env_int(NAME, 25), value, given_value)
    assert "a whole number in digits" in message


def test_whole_numbers_outside_their_limits_are_refused(given_value):
    given_value("0")
    assert "at least 1 and at most 65535" in refused(
        lambda: env_int(NAME, 25, minimum=1, maximum=65535), "0", given_value
    )
    assert "at least 1" in refused(lambda: env_int(NAME, 25, minimum=1), "-5", given_value)
    given_value("65535")
    assert env_int(NAME, 25, minimum=1, maximum=65535) == 65535


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 5.0), ("2.5", 2.5), ("20", 20.0), ("0", 0.0), ("-0.5", -0.5)]
)
def test_decimal_numbers_are_read(given_value, value, expected):
    given_value(value)
    assert env_float(NAME, 5) == expected


@pytest.mark.parametrize("value", ["2,5", "five", "inf", "nan", "1e3", ".5", "5.", "5 s"])
def test_anything_but_a_decimal_number_in_digits_is_refused(given_value, value):
    refused(lambda: env_float(NAME, 5), value, given_value)


def test_decimal_numbers_below_their_limit_are_refused(given_value):
    assert "at least 0" in refused(lambda: env_float(NAME, 5, minimum=0), "-1", given_value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["127.0.0.1", "localhost"]),
        ("", []),
        ("a.dk", ["a.dk"]),
        (" a.dk , b.dk ,, ", ["a.dk", "b.dk"]),
    ],
)
def test_lists_are_comma_separated(given_value, value, expected):
    given_value(value)
    assert env_list(NAME, "127.0.0.1,localhost") == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "INFO"), ("warning", "WARNING"), (" Error ", "ERROR")]
)
def test_choices_are_matched_in_any_case_and_given_as_written(given_value, value, expected):
    given_value(value)
    assert env_choice(NAME, "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"]) == expected


@pytest.mark.parametrize("value", ["verbose", "warn", "INFO2"])
def test_anything_but_a_choice_is_refused_and_the_choices_named(given_value, value):
    message = refused(lambda: env_choice(NAME, "INFO", ["INFO", "WARNING"]), value, given_value)
    assert "one of 'INFO', 'WARNING'" in message


@pytest.mark.parametrize(("value", "expected"), [(None, "fallback"), ("", ""), (" x ", " x ")])
def test_text_is_taken_as_it_is(given_value, value, expected):
    given_value(value)
    assert env_str(NAME, "fallback") == expected


# The environment cannot hold NUL; everything else a person might type can.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(value=TEXT)
def test_a_boolean_is_one_of_the_eight_words_or_the_start_stops(value):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NAME, value)
        try:
            result = env_bool(NAME, default=True)
        except ImproperlyConfigured as refusal:
            assert NAME in str(refusal)
            assert value.strip().lower() not in TRUE + FALSE
        else:
            word = value.strip().lower()
            assert (
                (word in TRUE and result is True)
                or (word in FALSE and result is False)
                or (word == "" and result is True)
            )


@given(value=TEXT | st.integers().map(str))
def test_a_whole_number_is_read_exactly_or_the_start_stops(value):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NAME, value)
        try:
            result = env_int(NAME, 7)
        except ImproperlyConfigured as refusal:
            assert NAME in str(refusal)
        else:
            assert result == (int(value.strip()) if value.strip() else 7)
            assert value.strip() == "" or value.strip().lstrip("-").isascii()
