"""Where the API key may go: only to the origin (scheme, host, port) of the store's AIQ address."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(a: str, b: str) -> bool:
    """True when both URLs have the same scheme, host and port (default ports normalised)."""
    first = _origin(a)
    return first is not None and first == _origin(b)


@lru_cache(maxsize=64)  # the base URL is asked for once per discount of a 1,000-discount wallet
def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a port that is not a number from 0 to 65535
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, _DEFAULT_PORTS[scheme] if port is None else port
