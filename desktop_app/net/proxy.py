"""Proxy URLs: parsing, validation and the loopback bypass. Pure code."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from desktop_app.core.errors import ConfigurationError

PROXY_SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")
DEFAULT_PORTS = {"http": 8080, "https": 443, "socks4": 1080, "socks5": 1080, "socks5h": 1080}


@dataclass(frozen=True, slots=True)
class ProxySpec:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def is_socks(self) -> bool:
        return self.scheme.startswith("socks")

    @property
    def remote_dns(self) -> bool:
        """socks5h: the proxy resolves host names (nothing leaks to the local resolver)."""
        return self.scheme == "socks5h"

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url_without_credentials(self) -> str:
        return f"{self.scheme}://{self.address}"

    def __str__(self) -> str:
        # Never prints the password: this string ends up in messages and logs.
        user = f"{self.username}:***@" if self.username else ""
        return f"{self.scheme}://{user}{self.address}"

    def __repr__(self) -> str:
        return f"ProxySpec({self})"


def parse_proxy(url: str) -> ProxySpec:
    """Parse `scheme://[user[:password]@]host[:port]`, or raise `ConfigurationError` with one line
    a user can act on. Percent-escapes in the credentials are decoded (a password may contain `@`).
    No message ever repeats the password, not even part of it.
    """
    text = url.strip()
    shown = _redact(text)
    hint = "expected e.g. http://host:3128 or socks5://user:password@host:1080"
    if "://" not in text:
        raise ConfigurationError(f"Proxy URL {shown!r} has no scheme; {hint}.")
    try:
        parts = urlsplit(text)
    except ValueError:
        # urlsplit's own message may quote the URL (and so the password): say it in our words.
        raise ConfigurationError(f"Proxy URL {shown!r} is not valid; {hint}.") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ConfigurationError(
            f"Proxy scheme {scheme!r} is not supported; use one of {', '.join(PROXY_SCHEMES)}."
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigurationError(f"Proxy URL {shown!r} has a bad port; use a number from 1 to 65535.")
    if not parts.hostname:
        raise ConfigurationError(f"Proxy URL {shown!r} has no host; {hint}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(f"Proxy URL {shown!r} must not have a path; {hint}.")
    return ProxySpec(
        scheme=scheme,
        host=parts.hostname,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _redact(text: str) -> str:
    """Hide a password in a URL that failed to parse (it still goes into an error message).

    Everything between the first `:` of the user part and the last `@` is the password, even when
    it holds unescaped `@`, `/` or `#`; a URL without a scheme is treated the same way."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    if "@" not in rest:
        return text
    creds, _, host = rest.rpartition("@")
    user, colon, _password = creds.partition(":")
    shown = f"{user}:***@{host}" if colon else f"{user}@{host}"
    return f"{scheme}{sep}{shown}"


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost`, `*.localhost`, 127.0.0.0/8 and ::1, judged from the literal host
    (resolving names to decide would leak them to DNS and be slow)."""
    if not host:
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1
    return address.is_loopback
