"""AIQ's consent text word for word, and the sign-up form's rules: what is refused before sending."""

from __future__ import annotations

import hashlib

import pytest

from budtender_app.domain.consent import (
    ConsentError,
    CounterInfo,
    check_email,
    check_person_name,
    consent_hash,
    consent_text,
    validate_sign_up,
)

US_TEXT = (
    "I consent to signup for the Green Leaf rewards program where I will receive marketing communications. "
    "By doing so, I understand that I am allowing Green Leaf and its technology provider(s) to retain my "
    "personal contact details/ engagement history for use in personalized marketing. Opt out at any time by "
    "replying \"STOP\" to messages. Standard message and calling rates may apply."
)


def test_us_wording_is_aiqs_word_for_word():
    assert consent_text("Green Leaf", "US") == US_TEXT


def test_canada_says_club_program_and_nothing_else_changes():
    assert consent_text("Green Leaf", "ca") == US_TEXT.replace("rewards program", "club program")
    assert "rewards" not in consent_text("Green Leaf", "CA")


def test_brand_spaces_are_tidied_and_a_missing_brand_or_country_is_refused():
    assert consent_text("  Green   Leaf ", "US") == US_TEXT
    with pytest.raises(ConsentError, match="brand"):
        consent_text("  ", "US")
    with pytest.raises(ConsentError, match="US or CA"):
        consent_text("Green Leaf", "MX")


def test_the_hash_names_the_exact_text():
    assert consent_hash(US_TEXT) == hashlib.sha256(US_TEXT.encode()).hexdigest()
    assert consent_hash(US_TEXT) != consent_hash(consent_text("Green Leaf", "CA"))
    assert len(consent_hash(US_TEXT)) == 64


@pytest.mark.parametrize(("typed", "kept"), [
    ("", ""),
    ("  kim@example.com ", "kim@example.com"),
    ("Kim.Lee+weed@Example.CO.uk", "Kim.Lee+weed@example.co.uk"),
    ("a_b-c@mail-server.example.org", "a_b-c@mail-server.example.org"),
])
def test_good_emails(typed, kept):
    assert check_email(typed) == kept


@pytest.mark.parametrize(("typed", "says"), [
    ("kim example.com", "no spaces"),
    ("kim@@example.com", "exactly one @"),
    ("kim@example", "does not look like"),
    ("kim@example.", "does not look like"),
    ("@example.com", "does not look like"),
    ("kim@.example.com", "does not look like"),
    ("kim..lee@example.com", "does not look like"),
    (".kim@example.com", "does not look like"),
    ("kim@exa_mple.com", "does not look like"),
    ("kim@example.c", "does not look like"),
    ("kim@example.com.", "does not look like"),
    ("kim,lee@example.com", "does not look like"),
])
def test_bad_emails(typed, says):
    with pytest.raises(ValueError, match=says):
        check_email(typed)


@pytest.mark.parametrize(("typed", "kept"), [
    ("", ""), ("  Kim  ", "Kim"), ("Jean-François", "Jean-François"), ("O'Neil", "O'Neil"),
    ("O’Neil", "O’Neil"), ("Mary  Ann", "Mary Ann"), ("Smith, Jr.", "Smith, Jr."), ("Zoë", "Zoë"),
])
def test_good_names(typed, kept):
    assert check_person_name(typed) == kept


@pytest.mark.parametrize(("typed", "says"), [
    ("5551234567", "no digits"), ("Kim2", "no digits"), ("---", "in letters"), ("x" * 41, "40 characters"),
    ("Kim<script>", "not < >"), ("Kim@home", "not @"),
])
def test_bad_names(typed, says):
    with pytest.raises(ValueError, match=says):
        check_person_name(typed)


def test_a_good_form_becomes_aiqs_sign_up_for_this_store():
    where = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
    signup, problems = validate_sign_up("(555) 444-1212", " kim@Example.com", " Kim ", "Lee",
                                        sms_opt_in=True, email_opt_in=True, where=where)
    assert problems == {}
    assert signup.as_aiq() == {
        "mobilePhone": "5554441212", "email": "kim@example.com", "firstName": "Kim", "lastName": "Lee",
        "favoriteStore": "Main St", "favoriteStoreID": 42, "loyalty": True, "smsoptin": True, "emailOptIn": True,
    }


def test_a_bad_form_says_what_is_wrong_with_each_field():
    signup, problems = validate_sign_up("555-12", "kim@", "Kim1", "", email_opt_in=False)
    assert signup is None
    assert set(problems) == {"phone", "email", "first_name"}
    assert "10 digits" in problems["phone"]


def test_an_email_opt_in_needs_an_email():
    signup, problems = validate_sign_up("5554441212", "", email_opt_in=True)
    assert signup is None and "email address" in problems["email"]


def test_opt_ins_are_only_what_was_ticked():
    signup, _ = validate_sign_up("5554441212")
    assert signup.sms_opt_in is False and signup.email_opt_in is False and signup.email == ""
    assert "favoriteStoreID" not in signup.as_aiq()  # no store ID known: not sent as a wrong number
