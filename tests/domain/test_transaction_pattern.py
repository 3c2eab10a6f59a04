"""A store's POS transaction ID shape (issue 14): the words a manager types, read or refused, and matched."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain.settings import validate_profile
from budtender_app.domain.transaction_pattern import (
    ANY,
    MAX_PREFIX,
    PatternError,
    TransactionPattern,
    check_pattern,
    parse_pattern,
)


@pytest.mark.parametrize(("text", "pattern", "canonical"), [
    ("", ANY, ""),
    ("  any ", ANY, ""),
    ("8 digits", TransactionPattern(digits=(8, 8)), "8 digits"),
    ("1 digit", TransactionPattern(digits=(1, 1)), "1 digit"),
    ("6-10 digits", TransactionPattern(digits=(6, 10)), "6-10 digits"),
    ("6 to 10 Digits", TransactionPattern(digits=(6, 10)), "6-10 digits"),
    ("starts with POS-", TransactionPattern(prefix="POS-"), "starts with POS-"),
    ('Starts With "POS-"', TransactionPattern(prefix="POS-"), "starts with POS-"),
    ("starts with POS- then 6 digits", TransactionPattern("POS-", (6, 6)), "starts with POS- then 6 digits"),
    ("start with T then 3-5 digits", TransactionPattern("T", (3, 5)), "starts with T then 3-5 digits"),
])
def test_a_manager_types_the_shape_in_words(text, pattern, canonical):
    assert parse_pattern(text) == pattern
    assert check_pattern(text) == canonical


@pytest.mark.parametrize(("text", "says"), [
    ("eight digits", 'Write it like "8 digits"'),
    ("8 letters", 'Write it like "8 digits"'),
    ("0 digits", "1 to 128 digits"),
    ("200 digits", "1 to 128 digits"),
    ("10-6 digits", "smaller number first: 6-10 digits"),
    ("starts with", "Write it like"),
    ("starts with '' then 6 digits", "Say what the IDs start with"),
    ("starts with POS 1", "a space"),
    ("starts with POS- then six digits", 'Write it like "8 digits"'),
    (f"starts with {'X' * (MAX_PREFIX + 1)}", f"to {MAX_PREFIX} characters"),
])
def test_what_cannot_be_read_is_refused_saying_what_can(text, says):
    with pytest.raises(PatternError) as refused:
        parse_pattern(text)
    assert says in str(refused.value)


@pytest.mark.parametrize(("text", "good", "bad"), [
    ("", ["T-1", "anything at all"], []),
    ("8 digits", ["12345678", "00000001"], ["1234567", "123456789", "1234567a", "T-12", "１２３４５６７８"]),
    ("6-10 digits", ["123456", "1234567890"], ["12345", "12345678901"]),
    ("starts with POS-", ["POS-1", "POS-abc"], ["POS-", "pos-1", "XPOS-1"]),
    ("starts with POS- then 6 digits", ["POS-123456"], ["POS-12345", "POS-1234567", "POS-12345a", "123456"]),
])
def test_ids_of_that_shape_match_and_others_do_not(text, good, bad):
    pattern = parse_pattern(text)
    assert all(pattern.matches(t) and not pattern.problem(t) for t in good)
    assert not any(pattern.matches(t) for t in bad)


def test_the_refusal_names_the_expected_shape():
    assert parse_pattern("8 digits").problem("T-12") == "This store's transaction IDs are 8 digits; T-12 is not one."
    assert parse_pattern("6-10 digits").problem("1") == "This store's transaction IDs are 6 to 10 digits; 1 is not one."
    assert parse_pattern("starts with POS- then 6 digits").problem("X") == (
        "This store's transaction IDs start with POS- then 6 digits; X is not one.")


def test_the_store_profile_keeps_the_shape_in_its_canonical_words_or_refuses_it():
    base = {"name": "Main St", "store_id": "1", "uid": "2", "brand": "Green Leaf", "country": "US"}
    profile, errors = validate_profile({**base, "transaction_pattern": "Starts with POS-  then 6 TO 8 digits"})
    assert not errors and profile is not None and profile.transaction_pattern == "starts with POS- then 6-8 digits"
    assert validate_profile(base)[0].transaction_pattern == ""  # a profile saved before the setting: any ID
    none, errors = validate_profile({**base, "transaction_pattern": "eight digits"})
    assert none is None and "Write it like" in errors["transaction_pattern"]


prefixes = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="\"'"), min_size=1,
                   max_size=MAX_PREFIX).filter(lambda p: p.isprintable() and not any(c.isspace() for c in p))
ranges = st.tuples(st.integers(1, 128), st.integers(0, 20)).map(lambda t: (t[0], min(t[0] + t[1], 128)))
patterns = st.builds(TransactionPattern, prefix=st.one_of(st.just(""), prefixes), digits=st.one_of(st.none(), ranges))


@given(patterns)
def test_a_pattern_reads_back_from_its_own_words(pattern):
    assert parse_pattern(str(pattern)) == pattern


@given(st.text(max_size=80))
def test_any_text_is_read_or_refused_with_words_never_a_crash(text):
    try:
        pattern = parse_pattern(text)
    except PatternError as exc:
        said = str(exc)
        assert said
    else:
        assert parse_pattern(str(pattern)) == pattern


@given(st.one_of(st.just(""), prefixes), ranges, st.data())
def test_the_prefix_then_the_digits_match_and_one_digit_more_or_less_does_not(prefix, digits, data):
    pattern = TransactionPattern(prefix, digits)
    count = data.draw(st.integers(*digits))
    number = data.draw(st.text("0123456789", min_size=count, max_size=count))
    assert pattern.matches(prefix + number)
    assert not pattern.matches(prefix + number + "0") or count + 1 <= digits[1]
    assert not pattern.matches(prefix + number + "x")
    if count > 1 or prefix:
        assert not pattern.matches(prefix + number[:-1]) or count - 1 >= digits[0]


@given(st.text(max_size=40))
def test_any_id_passes_the_default(txid):
    assert ANY.matches(txid) and ANY.problem(txid) == ""


# -- attacked (session 6) ------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["starts with POS-, then 6 digits", "starts with POS- , then 6 digits",
                                   "starts with POS-,then 6 digits"])
def test_a_comma_before_then_is_the_sentence_s_not_part_of_the_prefix(typed):
    """A manager writes it as a sentence; read as the prefix "POS-," every real ID was refused."""
    pattern = parse_pattern(typed)
    assert str(pattern) == "starts with POS- then 6 digits"
    assert pattern.matches("POS-123456")


def test_then_inside_the_prefix_is_the_prefix_s():
    assert str(parse_pattern("starts with AUTHEN then 6 digits")) == "starts with AUTHEN then 6 digits"
