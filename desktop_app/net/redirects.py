"""Redirects, decided one hop at a time. Pure code.

`HttpClient` follows redirects itself instead of leaving them to aiohttp, because each hop needs
its own decisions: whether the new host goes through the proxy (a loopback target does not), how
the proxy credentials travel (a CONNECT header for https, a request header for plain http), and
which headers may follow a redirect to another origin (an API key must never leave its provider).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# Header names that carry a credential for one origin (Authorization, Cookie, x-api-key, api-key,
# x-goog-api-key, …); they are dropped when a redirect leaves that origin.
_CREDENTIAL_HEADER = re.compile(r"auth|cookie|key|token|secret", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Hop:
    """One request of a possibly redirected exchange."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    sends_body: bool = True


def next_hop(hop: Hop, status: int, location: str) -> Hop:
    """The request a redirect asks for. Raises `ValueError` for a target that is not http(s)."""
    url = urljoin(hop.url, location.strip())
    if urlsplit(url).scheme not in _DEFAULT_PORTS:
        raise ValueError(f"redirected to an unsupported address {url.split('?', 1)[0]!r}")
    method, sends_body = hop.method, hop.sends_body
    # What browsers (and aiohttp, and requests) do: 303 always, and 301/302 for POST, turn into a
    # GET without a body; 307/308 repeat the request as it was.
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, sends_body = "GET", False
    headers = hop.headers
    if not keeps_credentials(hop.url, url):
        headers = {name: value for name, value in headers.items() if not _CREDENTIAL_HEADER.search(name)}
    return Hop(method, url, headers, sends_body)


def keeps_credentials(old: str, new: str) -> bool:
    """Same host, scheme and port; or the same host moving from http to https on default ports."""
    a, b = urlsplit(old), urlsplit(new)
    if a.hostname != b.hostname:
        return False
    a_port = a.port or _DEFAULT_PORTS.get(a.scheme)
    b_port = b.port or _DEFAULT_PORTS.get(b.scheme)
    if a.scheme == b.scheme:
        return a_port == b_port
    return (a.scheme, b.scheme, a_port, b_port) == ("http", "https", 80, 443)
