"""Proxy URLs: every scheme, credentials with escapes, default ports, IPv6, bad input; messages
never contain the password; the loopback test is judged from the literal host."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import ConfigurationError
from desktop_app.net.proxy import ProxySpec, is_loopback_host, parse_proxy

SECRET = "s3cr@t:pw/x"  # has @, : and / — all must be percent-escaped in a URL
ESCAPED = "s3cr%40t%3Apw%2Fx"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://proxy.example:3128", ProxySpec("http", "proxy.example", 3128)),
        ("https://proxy.example:8443", ProxySpec("https", "proxy.example", 8443)),
        ("socks4://10.1.2.3:1080", ProxySpec("socks4", "10.1.2.3", 1080)),
        ("socks5://proxy.example:9050", ProxySpec("socks5", "proxy.example", 9050)),
        ("socks5h://proxy.example:9150", ProxySpec("socks5h", "proxy.example", 9150)),
        ("HTTP://Proxy.Example:3128/", ProxySpec("http", "proxy.example", 3128)),
        ("  socks5://proxy.example:1080  ", ProxySpec("socks5", "proxy.example", 1080)),
    ],
)
def test_all_five_schemes(url: str, expected: ProxySpec) -> None:
    assert parse_proxy(url) == expected


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://proxy.example", 8080),
        ("https://proxy.example", 443),
        ("socks4://proxy.example", 1080),
        ("socks5://proxy.example", 1080),
        ("socks5h://proxy.example", 1080),
    ],
)
def test_default_ports(url: str, port: int) -> None:
    assert parse_proxy(url).port == port


@pytest.mark.parametrize("scheme", ["http", "https", "socks4", "socks5", "socks5h"])
def test_credentials_with_percent_escapes(scheme: str) -> None:
    spec = parse_proxy(f"{scheme}://us%20er%40corp:{ESCAPED}@proxy.example:1234")
    assert (spec.username, spec.password) == ("us er@corp", SECRET)
    assert (spec.host, spec.port) == ("proxy.example", 1234)


def test_user_without_password_and_empty_password() -> None:
    assert parse_proxy("http://alice@proxy.example:1").username == "alice"
    assert parse_proxy("http://alice@proxy.example:1").password is None
    assert parse_proxy("http://alice:@proxy.example:1").password == ""


def test_unescaped_at_in_password_still_parses() -> None:
    # People paste passwords as they are; the last @ separates the host.
    spec = parse_proxy("socks5://bob:p@ss:w@proxy.example:1080")
    assert (spec.username, spec.password, spec.host) == ("bob", "p@ss:w", "proxy.example")


@pytest.mark.parametrize(
    ("url", "host", "port", "address"),
    [
        ("http://[::1]:3128", "::1", 3128, "[::1]:3128"),
        ("socks5h://[2001:db8::7]", "2001:db8::7", 1080, "[2001:db8::7]:1080"),
        ("socks5://u:p@[fe80::1]:9", "fe80::1", 9, "[fe80::1]:9"),
    ],
)
def test_ipv6_hosts(url: str, host: str, port: int, address: str) -> None:
    spec = parse_proxy(url)
    assert (spec.host, spec.port, spec.address) == (host, port, address)
    assert spec.url_without_credentials() == f"{spec.scheme}://{address}"


def test_spec_string_forms_never_show_the_password() -> None:
    spec = parse_proxy(f"socks5://alice:{ESCAPED}@proxy.example:1080")
    for text in (str(spec), repr(spec), spec.url_without_credentials()):
        assert SECRET not in text
        assert ESCAPED not in text
    assert str(spec) == "socks5://alice:***@proxy.example:1080"
    assert spec.is_socks
    assert not spec.remote_dns
    assert parse_proxy("socks5h://h").remote_dns
    assert not parse_proxy("http://h").is_socks


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("proxy.example:3128", "has no scheme"),
        (f"alice:{SECRET}@proxy.example:3128", "has no scheme"),
        (f"ftp://alice:{ESCAPED}@proxy.example:21", "scheme 'ftp' is not supported"),
        (f"socks6://alice:{SECRET}@proxy.example", "scheme 'socks6' is not supported"),
        (f"http://alice:{ESCAPED}@:3128", "has no host"),
        ("http://", "has no host"),
        (f"http://alice:{ESCAPED}@proxy.example:3128/path", "must not have a path"),
        (f"http://alice:{ESCAPED}@proxy.example:3128/?q=1", "must not have a path"),
        (f"http://alice:{ESCAPED}@proxy.example:notaport", "bad port"),
        (f"http://alice:{ESCAPED}@proxy.example:70000", "bad port"),
        (f"http://alice:{ESCAPED}@proxy.example:0", "bad port"),
        # An unescaped / or # in the password cuts the URL short; the rest looks like a port.
        (f"socks5://alice:{SECRET}@proxy.example:1080", "bad port"),
        ("http://alice:pa#ss@proxy.example", "bad port"),
        (f"http://alice:{ESCAPED}@[::1:3128", "is not valid"),
    ],
)
def test_bad_urls_give_one_line_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_proxy(url)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    for secret in (SECRET, ESCAPED, "pa#ss", "s3cr", "ss@proxy"):
        assert secret not in message, message


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no scheme"):
        parse_proxy("nonsense")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0:0:0:0:0:0:0:1", True),
        ("localhost.example.com", False),
        ("mylocalhost", False),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("::", False),
        ("parley-test.internal", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
