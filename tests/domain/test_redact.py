"""The one redactor: no secret, phone, URL or forged line survives it, whatever the text."""

from __future__ import annotations

import string
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from budtender_app.domain.redact import redact

KEY = "sk_live_9f8e7d6c5b4a3210"
PIN = "2468"
PHONE = "5551234567"
PHONE_FORMS = [
    "5551234567", "555-123-4567", "(555) 123-4567", "(555)123-4567", "555.123.4567", "555 123 4567",
    "+1 (555) 123-4567", "+1 555 123 4567", "1-555-123-4567", "+15551234567", "15551234567",
    "555/123/4567", "555 - 123 - 4567", "( 555 ) 123 4567", "555\u2013123\u20134567", "555\u2011123\u20114567",
    "+1\u00a0555\u00a0123\u00a04567", "\uff15\uff15\uff15\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
]

# Text around a secret: anything printable, some control and invisible characters, digits.
_noise = st.text(alphabet=st.sampled_from(string.printable + "\x00\x1b\u200b\u202e\u2028é→"), max_size=60)
_key_chars = string.ascii_letters + string.digits + "_-+/=.~"
_secrets = st.text(alphabet=_key_chars, min_size=4, max_size=40)


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


@settings(max_examples=300, deadline=None)
@given(before=_noise, secret=_secrets, after=_noise, how=st.sampled_from(["as is", "upper", "lower", "swap", "url"]))
@example(before="key=", secret=KEY, after="", how="as is")
def test_a_given_secret_never_survives_in_any_case_or_encoding(before, secret, after, how):
    shown = {"as is": secret, "upper": secret.upper(), "lower": secret.lower(), "swap": secret.swapcase(),
             "url": quote(secret, safe="")}[how]
    out = redact(before + shown + after, secret)
    for form in _forms(secret):
        assert form.lower() not in out.lower()


_no_digits = st.text(alphabet=st.sampled_from(string.ascii_letters + string.punctuation + " \n\x00\u200b"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(before=_no_digits, form=st.sampled_from(PHONE_FORMS), after=_no_digits,
       glue=st.sampled_from(["", " ", "x", "phone:", "#", "\n", "\u200b", "@"]))
@example(before="A", form="555.123.4567", after="", glue="@")  # found by CI: the phone read as an e-mail's domain
def test_a_ten_digit_phone_never_survives_in_any_common_format(before, form, after, glue):
    out = redact(before + glue + form + glue + after)
    assert "".join(ch for ch in out if ch.isdigit()) in ("4567", "")  # at most its last four


@pytest.mark.parametrize("text", ["A@555.123.4567", "a@555-123-4567.com", "x@5551234567.example"])
def test_a_phone_written_as_an_e_mail_domain_keeps_only_its_last_four_digits(text):
    assert "".join(ch for ch in redact(text) if ch.isdigit()) == "4567"


@pytest.mark.parametrize("form", PHONE_FORMS)
def test_a_phone_keeps_only_its_last_four_digits(form):
    assert redact(f"no member with phone {form}, sorry") == "no member with phone ***4567, sorry"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), secrets=st.lists(_secrets, max_size=3), limit=st.integers(0, 600))
def test_the_output_is_one_bounded_line(text, secrets, limit):
    out = redact(text, *secrets, limit=limit)
    assert len(out) <= limit
    assert all(ch.isprintable() for ch in out)  # no newline, CR, tab, escape, bidi override


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(string.printable + "*é\u200b"), max_size=200),
       secrets=st.lists(_secrets, max_size=2), pin=st.booleans())
@example(text="code 4567 for ***-***-4567", secrets=[], pin=True)
def test_redacting_twice_is_redacting_once(text, secrets, pin):
    given_secrets = [*secrets, PIN] if pin else secrets
    once = redact(text, *given_secrets)
    assert redact(once, *given_secrets) == once


def test_urls_and_their_tokens_become_a_link():
    text = "see https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/tok3nSECRET?x=1 or HTTP://h/x"
    assert redact(text) == "see [link] or [link]"


def test_key_looking_tokens_uuids_and_emails_are_masked_without_being_given():
    text = f"key {KEY} id 3f2a1b4c-1234-5678-9abc-def012345678 mail jo.doe+x@example.com"
    assert redact(text) == "key *** id *** mail ***@example.com"


def test_ordinary_words_numbers_and_masked_phones_are_left_alone():
    text = "Discount d-5off expired on 2026-11-22; 250 points for ***-***-4567 at 10:30 (POS-1042)"
    assert redact(text) == text


def test_a_pin_is_masked_only_when_it_is_given_and_then_also_spaced_out():
    text = "wrong code 2468 (2 4 6 8), try 1357"
    assert redact(text) == text
    assert redact(text, PIN) == "wrong code *** (***), try ***"


def test_a_secret_inside_a_phone_and_a_phone_inside_a_key_both_go():
    assert redact(f"{PHONE}{PIN}", PIN) == "***4567***"
    assert PHONE not in redact(f"abc{PHONE}def", f"abc{PHONE}def")


def test_a_forged_log_line_stays_on_one_line():
    out = redact("bad code\n2026-11-22 10:00:00 INFO budtender_app: redeemed\r\x1b[2K")
    assert "\n" not in out and "\r" not in out and "\x1b" not in out


def test_an_invisible_character_does_not_split_a_secret_or_a_phone():
    assert redact("sk_live\u200b_9f8e7d6c5b4a3210 555\u200b1234567", KEY) == "*** ***4567"


def test_a_huge_text_is_cut_without_leaving_half_a_secret():
    out = redact("x " * 5000 + KEY, KEY, limit=100)
    assert len(out) <= 100 and "sk_" not in out
    cut = redact("*" * 3000 + KEY, KEY, limit=3100)  # the masks shrink it: the end shows
    assert "sk_live" not in cut and "9f8e" not in cut


@pytest.mark.parametrize("short", ["", "a", "12", "abc"])
def test_secrets_too_short_to_mean_anything_are_ignored(short):
    assert redact("abc 12 a", short) == "abc 12 a"
