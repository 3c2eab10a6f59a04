"""Where a URL really points: its origin (scheme, host, port), the unit a secret may be sent to.

The API key may go only to the origin of the store's AIQ base URL. Host names alone are not
enough: ``http://`` on the same host sends the key in clear, and another port is another server.
Pure: no httpx, so the wallet parser and the client use the same rule.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

#: Ports a URL may leave out: https://h and https://h:443 are the same origin.
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, default port filled in; None when the URL is not
    one we would trust to name a server (no host, a user name or password, spaces, control
    characters or backslashes, a port that is not a number)."""
    return _origin(url) if isinstance(url, str) else None


@lru_cache(maxsize=64)  # the base URL is asked once per discount of a 1,000-discount wallet
def _origin(url: str) -> tuple[str, str, int] | None:
    if not url.isprintable() or any(c in url for c in " \\"):
        return None  # parsers disagree on these: what we check might not be where it goes
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), DEFAULT_PORTS[scheme] if port is None else port


def same_origin(a: str, b: str) -> bool:
    """True when both URLs are usable http(s) URLs with the same scheme, host and port."""
    first = origin(a)
    return first is not None and first == origin(b)
