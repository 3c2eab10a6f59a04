"""The origin rule for where the API key may go: scheme, host and port, default ports normalised."""

from __future__ import annotations

import pytest

from budtender_app.domain.origin import origin, same_origin

BASE = "https://lab.alpineiq.com"


@pytest.mark.parametrize(("url", "same"), [
    ("https://lab.alpineiq.com/api/v1.1/discount/redeem/1/2/tok", True),
    ("https://lab.alpineiq.com:443/api/v1.1/discount/redeem/1/2/tok", True),
    ("HTTPS://LAB.AlpineIQ.com/x", True),
    ("https://lab.alpineiq.com?x=1", True),
    ("http://lab.alpineiq.com/api/v1.1/discount/redeem/1/2/tok", False),  # the key in clear
    ("http://lab.alpineiq.com:443/x", False),
    ("https://lab.alpineiq.com:8443/x", False),  # another server on the same host
    ("https://lab.alpineiq.com:80/x", False),
    ("https://api.alpineiq.com/x", False),  # same domain, other host: not the base URL's origin
    ("https://lab.alpineiq.com.evil.example/x", False),
    ("https://lab.alpineiq.com@evil.example/x", False),
    ("https://user:pw@lab.alpineiq.com/x", False),  # user info: parsers disagree on these
    ("https://evil.example\\@lab.alpineiq.com/x", False),
    ("https://lab.alpineiq.com\t/x", False),
    ("https://lab.alpineiq.com /x", False),
    ("https://lab.alpineiq.com:99999/x", False),
    ("https://lab.alpineiq.com:abc/x", False),
    ("ftp://lab.alpineiq.com/x", False),
    ("//lab.alpineiq.com/x", False),
    ("/api/v1.1/discount/redeem/1/2/tok", False),
    ("", False),
])
def test_only_the_base_urls_scheme_host_and_port_may_get_the_key(url, same):
    assert same_origin(BASE, url) is same
    assert same_origin(url, BASE) is same


def test_default_ports_are_filled_in_and_ports_compared():
    assert origin("http://127.0.0.1:8080/x") == ("http", "127.0.0.1", 8080)
    assert origin("http://h") == origin("http://h:80/") == ("http", "h", 80)
    assert same_origin("http://[::1]:8080/", "http://[::1]:8080/x")
    assert not same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8081")
    assert not same_origin("http://localhost:8080", "http://127.0.0.1:8080")


def test_an_unusable_base_url_matches_nothing():
    assert not same_origin("", "")
    assert not same_origin("not a url", "not a url")
    assert origin(None) is None  # type: ignore[arg-type] - a wallet may hold anything
