"""The status → error mapping and the transport-error wording, as pure functions. The same mapping
is exercised end to end against real servers in tests/integration/test_http_errors.py; this file
covers the shapes no local server produces cheaply (a DNS failure, odd Retry-After values)."""

from __future__ import annotations

import email.utils
import json
import socket

import aiohttp
import aiohttp_socks
import pytest
from aiohttp.client_reqrep import ConnectionKey

from desktop_app.core.errors import (
    AuthError,
    BadRequestError,
    ConnectionError_,
    EndpointNotFoundError,
    ModelNotFoundError,
    ProtocolError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from desktop_app.net.proxy import parse_proxy
from desktop_app.net.session import NetworkConfig
from desktop_app.net.status import (
    error_for_status,
    html_instead_of_answer,
    looks_like_html,
    parse_retry_after,
    server_message,
)
from desktop_app.net.transport_errors import ProxyConnectError, translate_transport_error

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, b'{"error": {"message": "bad"}}', BadRequestError),
        (422, b'{"detail": [{"msg": "field required"}]}', BadRequestError),
        (400, b'{"error": {"message": "Invalid model: gpt-x"}}', ModelNotFoundError),
        (401, b"", AuthError),
        (403, b"", AuthError),
        (404, b'{"error": {"message": "nope", "code": "model_not_found"}}', ModelNotFoundError),
        (404, b"Cannot POST /chat/completions", EndpointNotFoundError),
        (404, b"", EndpointNotFoundError),
        (429, b"", RateLimitError),
        (500, b"", ServerError),
        (504, b"<html><title>Gateway Timeout</title></html>", ServerError),
        (418, b"", ProviderError),
    ],
)
def test_status_maps_to_its_error(status: int, body: bytes, kind: type[ProviderError]) -> None:
    error = error_for_status(status, body, provider="P", model="gpt-x")
    assert type(error) is kind
    assert error.status == status
    assert str(error).startswith(f"P: HTTP {status} ")
    assert "\n" not in str(error)


def test_unknown_status_code_has_no_reason_but_still_one_line() -> None:
    error = error_for_status(499, b"odd", provider="P")
    assert str(error) == "P: HTTP 499: the request failed — Server said: odd"


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        (b'{"error": {"message": "m1", "type": "x"}}', "application/json", "m1"),
        (b'{"error": "m2"}', "application/json", "m2"),
        (b'{"message": "m3"}', "", "m3"),
        (b'{"detail": "m4"}', "", "m4"),
        (b'{"detail": [{"loc": ["body"], "msg": "m5"}]}', "", "m5"),
        (b'{"errors": 1}', "", '{"errors": 1}'),
        (b"plain words", "text/plain", "plain words"),
        (b"<!DOCTYPE html><html><title> T </title></html>", "", "an HTML page titled 'T'"),
        (b"<p>no title</p>", "text/html", "an HTML page"),
        (b"  ", "", None),
    ],
)
def test_server_message(body: bytes, content_type: str, said: str | None) -> None:
    assert server_message(body, content_type) == said


def test_looks_like_html() -> None:
    assert looks_like_html(b"\n  <!DOCTYPE HTML>")
    assert looks_like_html(b"<html lang=en>")
    assert looks_like_html(b"{}", "text/html; charset=utf-8")
    assert not looks_like_html(b'{"html": "<html>"}', "application/json")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("-4", 0.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(("retry_after", "says"), [(0.2, "Try again in 1 s."), (59.6, "Try again in 60 s.")])
def test_rate_limit_hint_rounds_to_whole_seconds(retry_after: float, says: str) -> None:
    assert str(RateLimitError("too many requests", retry_after=retry_after, provider="P")).endswith(says)


def test_html_instead_of_answer_names_status_and_title() -> None:
    error = html_instead_of_answer("P", b"<html><title>Sign in</title>", status=200, reason="OK")
    assert isinstance(error, ProtocolError)
    assert str(error).startswith("P: HTTP 200 OK: an HTML page arrived instead of an answer")
    assert "'Sign in'" in str(error)


def test_server_message_is_flattened_to_one_line() -> None:
    body = json.dumps({"error": {"message": "line one\nline two\r\n\tline three"}}).encode()
    assert "line one line two line three" in str(error_for_status(400, body, provider="P"))


# --- transport errors (real exception objects, as aiohttp and aiohttp-socks raise them) --------

CONFIG = NetworkConfig(timeout=7, total_timeout=60)


def _key(host: str, port: int) -> ConnectionKey:
    return ConnectionKey(host, port, True, True, None, None, None)


def test_dns_failure_message() -> None:
    exc = aiohttp.ClientConnectorDNSError(
        _key("api.example.invalid", 443), socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    )
    error = translate_transport_error(exc, provider="P", config=CONFIG, proxy=None)
    assert isinstance(error, ConnectionError_)
    assert str(error).startswith("P: could not find the server api.example.invalid: the DNS lookup failed")


@pytest.mark.parametrize(
    ("exc", "limit", "says"),
    [
        (aiohttp.ConnectionTimeoutError("Connection timeout"), "connect", "timed out connecting after 7 s"),
        (aiohttp.SocketTimeoutError("Timeout on reading"), "idle", "timed out: no data for 7 s"),
        (TimeoutError(), "idle", "timed out: no data for 7 s"),
        (aiohttp_socks.ProxyTimeoutError("x"), "connect", "timed out connecting through the proxy"),
    ],
)
def test_timeouts_name_the_limit(exc: BaseException, limit: str, says: str) -> None:
    proxy = parse_proxy("socks5://u:pw@127.0.0.1:1") if limit == "connect" and "proxy" in says else None
    error = translate_transport_error(exc, provider="P", config=CONFIG, proxy=proxy)
    assert isinstance(error, ProviderTimeoutError)
    assert (error.limit, error.seconds) == (limit, 7)
    assert says in str(error)


def test_total_limit_wins_when_it_expired() -> None:
    error = translate_transport_error(
        TimeoutError(), provider="P", config=CONFIG, proxy=None, total_expired=True
    )
    assert isinstance(error, ProviderTimeoutError)
    assert (error.limit, error.seconds) == ("total", 60)
    assert "overall limit of 60 s" in str(error)


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (
            aiohttp_socks.ProxyError("Username and password authentication failure"),
            "rejected the credentials",
        ),
        (
            aiohttp_socks.ProxyError("Host unreachable", error_code=4),
            "refused the request (Host unreachable)",
        ),
        (aiohttp_socks.ProxyConnectionError("Couldn't connect"), "could not connect to the proxy"),
    ],
)
def test_socks_errors_never_show_the_password(exc: BaseException, says: str) -> None:
    proxy = parse_proxy("socks5://alice:hunter2@127.0.0.1:1080")
    error = translate_transport_error(exc, provider="P", config=CONFIG, proxy=proxy)
    assert isinstance(error, ProxyConnectError)
    assert says in str(error)
    assert "socks5://alice:***@127.0.0.1:1080" in str(error)
    assert "hunter2" not in str(error)
