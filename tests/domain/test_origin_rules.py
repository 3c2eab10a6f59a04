"""The origin rule as the wallet parser uses it (same scheme, host and port; default ports normalised)."""

import pytest

from budtender_app.domain.origin import same_origin

AIQ = "https://lab.alpineiq.com"


@pytest.mark.parametrize(
    "url",
    ["https://lab.alpineiq.com/api/x", "https://lab.alpineiq.com:443/api/x", "HTTPS://LAB.ALPINEIQ.COM"],
)
def test_the_same_origin_written_differently(url):
    assert same_origin(AIQ, url) and same_origin(url, AIQ)


def test_spaces_around_a_url_are_refused_not_guessed():
    # Parsers differ on them: what is checked might not be where the request goes.
    assert not same_origin(AIQ, " https://lab.alpineiq.com/ ")


@pytest.mark.parametrize(
    "url",
    [
        "http://lab.alpineiq.com/api/x",  # the key would travel readable
        "https://lab.alpineiq.com:8443/api/x",
        "https://lab.alpineiq.com:0/api/x",  # port 0 is not the default port
        "https://lab.alpineiq.com:x/api/x",  # not a port at all
        "https://lab.alpineiq.com:99999/api/x",
        "https://alpineiq.com/api/x",
        "https://lab.alpineiq.com.evil.example/api/x",
        "https://lab.alpineiq.com@evil.example/api/x",
        "ftp://lab.alpineiq.com/api/x",
        "lab.alpineiq.com/api/x",
        "",
    ],
)
def test_another_origin(url):
    assert not same_origin(AIQ, url) and not same_origin(url, AIQ)


def test_http_to_this_computer_keeps_its_port():
    assert same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080/api")
    assert not same_origin("http://127.0.0.1:8080", "http://127.0.0.1/api")
    assert same_origin("http://localhost", "http://localhost:80/api")
