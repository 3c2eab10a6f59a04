"""What a store manager may type into the settings form, as tables."""

from __future__ import annotations

import pytest

from budtender_app.domain.settings import DEFAULT_BASE_URL, FIELDS, StoreProfile, validate_profile
from budtender_app.services.credentials import normalize_store_name

GOOD = {
    "name": "Main St", "store_id": "4411", "uid": "1234", "base_url": "https://lab.alpineiq.com",
    "brand": "Green Leaf", "country": "US", "skip_pin": False,
}


def fields(**changes):
    return {**GOOD, **changes}


def error_for(field: str, value) -> str:
    profile, errors = validate_profile(fields(**{field: value}))
    assert profile is None, f"{field}={value!r} was accepted"
    assert set(errors) == {field}, errors
    return errors[field]


def test_a_good_form_gives_the_profile():
    profile, errors = validate_profile(GOOD)
    assert errors == {}
    assert profile == StoreProfile("Main St", "4411", "1234", "https://lab.alpineiq.com", "Green Leaf", "US", False)
    assert validate_profile(profile.as_fields()) == (profile, {})
    assert set(profile.as_fields()) == set(FIELDS)


def test_every_wrong_field_gets_its_own_message_at_once():
    _, errors = validate_profile({})
    assert set(errors) == {"name", "store_id", "uid", "brand", "country"}  # an empty base URL is AIQ's


@pytest.mark.parametrize(("typed", "kept"), [
    ("  Main St  ", "Main St"),
    ("Main   St", "Main St"),
    ("Joe's #2 (North) - Rec_Med.", "Joe's #2 (North) - Rec_Med."),
    ("Café Montréal", "Café Montréal"),
    ("A & B", "A & B"),
])
def test_store_names_a_manager_would_type(typed, kept):
    profile, errors = validate_profile(fields(name=typed))
    assert errors == {} and profile.name == kept


@pytest.mark.parametrize(("typed", "says"), [
    ("", "Give this store a name"),
    ("   ", "Give this store a name"),
    ("Main:St", "not :"),
    ("Main/St", "not /"),
    ("Main\u200bSt", "U+200B"),
    ("Tab\there", None),  # a tab is whitespace: folded into one space, so accepted (checked below)
    ("x" * 41, "40 characters"),
])
def test_store_names_that_cannot_be_a_keyring_entry(typed, says):
    if says is None:
        assert validate_profile(fields(name=typed))[0].name == "Tab here"
        return
    assert says in error_for("name", typed)


def test_every_accepted_store_name_is_one_the_credential_store_keeps_as_is():
    """The domain's rule is stricter than services/credentials.normalize_store_name, never looser."""
    for typed in ["Main St", " Main St ", "Joe's #2 (North)", "Café", "a", "x" * 40]:
        profile, _ = validate_profile(fields(name=typed))
        assert normalize_store_name(profile.name) == profile.name


def test_a_name_taken_by_another_store_is_refused_whatever_its_case():
    profile, errors = validate_profile(fields(name="main st"), other_names=["Main St", "Airport"])
    assert profile is None and "already has a store named main st" in errors["name"]
    assert validate_profile(fields(name="Downtown"), other_names=["Main St"])[1] == {}


@pytest.mark.parametrize("field", ["uid", "store_id"])
@pytest.mark.parametrize(("typed", "says"), [
    ("", "is missing"),
    ("  ", "is missing"),
    ("12a4", "digits only"),
    ("12 34", "digits only"),
    ("-12", "digits only"),
    ("١٢٣", "digits only"),  # Arabic-Indic digits: isdigit() but not what AIQ means
    ("1" * 21, "too long"),
])
def test_uid_and_store_id_are_plain_digits(field, typed, says):
    message = error_for(field, typed)
    assert says in message
    assert "Settings >" in message  # says where in AIQ to find it


def test_uid_and_store_id_lose_pasted_spaces_around_them():
    profile, _ = validate_profile(fields(uid=" 1234\n", store_id="\t77 "))
    assert (profile.uid, profile.store_id) == ("1234", "77")


@pytest.mark.parametrize(("typed", "kept"), [
    ("", DEFAULT_BASE_URL),
    ("https://lab.alpineiq.com/", "https://lab.alpineiq.com"),
    ("HTTPS://Lab.AlpineIQ.com//", "https://lab.alpineiq.com"),
    ("https://proxy.example.com:8443/aiq/", "https://proxy.example.com:8443/aiq"),
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ("http://localhost:8765/", "http://localhost:8765"),
    ("http://[::1]:9000", "http://[::1]:9000"),
    ("http://localhost", "http://localhost"),
])
def test_base_urls_that_are_accepted(typed, kept):
    profile, errors = validate_profile(fields(base_url=typed))
    assert errors == {} and profile.base_url == kept


@pytest.mark.parametrize(("typed", "says"), [
    ("http://lab.alpineiq.com", "https://"),
    ("http://192.168.1.5:8765", "https://"),
    ("http://localhost.evil.com", "https://"),
    ("lab.alpineiq.com", "whole address"),
    ("ftp://lab.alpineiq.com", "whole address"),
    ("https://", "whole address"),
    ("https://user:pass@lab.alpineiq.com", "login"),
    ("https://key@lab.alpineiq.com", "login"),
    ("https://lab.alpineiq.com/?apikey=1", "?"),
    ("https://lab.alpineiq.com/#x", "#"),
    ("https://lab.alpineiq.com:99999", "port"),
    ("https://lab.alpineiq.com:0", "whole address"),
    ("https://lab alpineiq.com", "spaces"),
])
def test_base_urls_that_are_refused(typed, says):
    assert says in error_for("base_url", typed)


@pytest.mark.parametrize(("typed", "kept"), [("US", "US"), ("ca", "CA"), (" CA ", "CA")])
def test_countries(typed, kept):
    assert validate_profile(fields(country=typed))[0].country == kept


@pytest.mark.parametrize("typed", ["", "MX", "USA", "United States", "GB"])
def test_an_unknown_country_is_refused(typed):
    assert "United States or Canada" in error_for("country", typed)


@pytest.mark.parametrize(("typed", "says"), [
    ("", "brand name"),
    ("x" * 61, "60 characters"),
    ("Green\u200bLeaf", "invisible"),
])
def test_brand_is_required_and_short(typed, says):
    assert says in error_for("brand", typed)


def test_brand_up_to_sixty_characters_with_spaces_folded():
    assert validate_profile(fields(brand=" Green   Leaf "))[0].brand == "Green Leaf"
    assert len(validate_profile(fields(brand="x" * 60))[0].brand) == 60


@pytest.mark.parametrize(("typed", "kept"), [
    (True, True), (False, False), ("true", True), ("false", False), ("", False), (None, False),
])
def test_skip_pin_is_off_unless_clearly_on(typed, kept):
    assert validate_profile(fields(skip_pin=typed))[0].skip_pin is kept


def test_the_profile_has_no_place_for_a_key():
    assert not any("key" in f or f == "pin" for f in FIELDS)
    assert validate_profile(fields(api_key="sekrit"))[0] == validate_profile(GOOD)[0]


def test_receipt_links_are_https_or_nothing():
    from budtender_app.domain.settings import validate_profile

    base = {"name": "Main St", "store_id": "1", "uid": "2", "brand": "Green Leaf", "country": "US"}
    profile, errors = validate_profile({**base, "wallet_url": "https://example.com/w", "signup_url": ""})
    assert errors == {} and profile.wallet_url == "https://example.com/w" and profile.signup_url == ""
    _, errors = validate_profile({**base, "signup_url": "http://example.com/join"})
    assert "https://" in errors["signup_url"]


@pytest.mark.parametrize(("typed", "kept"), [("", 10), ("1", 1), (" 25 ", 25), ("60", 60), (15, 15)])
def test_the_idle_time_is_whole_minutes_from_one_to_sixty_ten_by_default(typed, kept):
    profile, errors = validate_profile(fields(idle_minutes=typed))
    assert errors == {} and profile is not None
    assert profile.idle_minutes == kept and profile.idle_seconds == kept * 60


@pytest.mark.parametrize(("typed", "says"), [
    ("0", "nor never lock"), ("61", "1 to 60 minutes"), ("2.5", "whole number"), ("ten", "whole number"),
    (-5, "1 to 60 minutes"),
])
def test_an_idle_time_out_of_bounds_is_refused_saying_the_bounds(typed, says):
    assert says in error_for("idle_minutes", typed)
