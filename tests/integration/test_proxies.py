"""Every proxy kind Parley supports, against real local proxies that log what they were asked:
HTTP (plain forwarding and CONNECT), HTTPS (TLS to the proxy), SOCKS4, SOCKS5 and SOCKS5h, with
and without credentials; the loopback bypass; and the one-line errors when a proxy fails.

Targets are on 127.0.0.1. A request counts as proxied only when the proxy's log shows it; the
made-up name `parley-test.internal` is known only to the test proxies, so a request for it that
succeeds cannot have gone anywhere else."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from desktop_app.core.errors import ProviderError, ProviderTimeoutError
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.net.transport_errors import ProxyConnectError
from tests.support.proxies import TEST_HOST, HttpProxy, ProxyHit, SocksProxy
from tests.support.server import ScriptedServer
from tests.support.tls import TlsKit, TlsScriptedServer, make_tls_kit

PROVIDER = "TestAI"
USER = "alice"
PASSWORD = "p@ss:w0rd/#"  # needs percent-escaping in a URL; must never appear in a message


async def answer(request: web.Request) -> web.Response:
    return web.Response(text=f"hello from {request.path}", content_type="text/plain")


@pytest.fixture(scope="module")
def tls() -> TlsKit:
    return make_tls_kit()


@pytest.fixture
async def target(server: ScriptedServer) -> ScriptedServer:
    server.handle = answer
    return server


@pytest.fixture
async def tls_target(tls: TlsKit) -> AsyncIterator[TlsScriptedServer]:
    srv = await TlsScriptedServer(ssl_context=tls.server_context).start()
    srv.handle = answer
    try:
        yield srv
    finally:
        await srv.stop()


@contextlib.asynccontextmanager
async def running(proxy: HttpProxy | SocksProxy) -> AsyncIterator[HttpProxy | SocksProxy]:
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def http_proxy() -> AsyncIterator[HttpProxy | SocksProxy]:
    async with running(HttpProxy()) as proxy:
        yield proxy


@pytest.fixture
async def auth_http_proxy() -> AsyncIterator[HttpProxy | SocksProxy]:
    async with running(HttpProxy(credentials=(USER, PASSWORD))) as proxy:
        yield proxy


@pytest.fixture
async def socks() -> AsyncIterator[HttpProxy | SocksProxy]:
    async with running(SocksProxy()) as proxy:
        yield proxy


@pytest.fixture
async def auth_socks() -> AsyncIterator[HttpProxy | SocksProxy]:
    async with running(SocksProxy(credentials=(USER, PASSWORD))) as proxy:
        yield proxy


async def fetch(config: NetworkConfig, url: str) -> bytes:
    body = b""
    async with HttpClient(config) as http:
        request = http.stream("POST", url, provider=PROVIDER, json_body={"messages": []})
        async with contextlib.aclosing(request) as chunks:
            async for chunk in chunks:
                body += chunk
    return body


async def failure(config: NetworkConfig, url: str) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await fetch(config, url)
    text = str(caught.value)
    assert "\n" not in text, text
    for secret in (PASSWORD, "p%40ss", "w0rd"):
        assert secret not in text, text
    return caught.value


def header(seen: ScriptedServer, name: str) -> list[str]:
    return [value for key, value in seen.requests[-1].raw_headers if key.lower() == name.lower()]


# --- HTTP proxy ------------------------------------------------------------------------------


async def test_http_proxy_forwards_plain_http(http_proxy: HttpProxy, target: ScriptedServer) -> None:
    url = f"http://{TEST_HOST}:{target.port}/v1/chat"
    assert await fetch(NetworkConfig(proxy=http_proxy.url(), timeout=5), url) == b"hello from /v1/chat"
    assert http_proxy.hits == [ProxyHit("forward", TEST_HOST, target.port, "domain")]
    assert target.requests[0].host == f"{TEST_HOST}:{target.port}"


async def test_http_proxy_tunnels_https_with_connect(
    http_proxy: HttpProxy, tls_target: TlsScriptedServer, tls: TlsKit
) -> None:
    config = NetworkConfig(proxy=http_proxy.url(), timeout=5, ssl_context=tls.client_context)
    assert await fetch(config, tls_target.url("/v1/x", host=TEST_HOST)) == b"hello from /v1/x"
    assert http_proxy.hits == [ProxyHit("connect", TEST_HOST, tls_target.port, "domain")]
    assert len(tls_target.requests) == 1


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_http_proxy_with_basic_credentials(
    auth_http_proxy: HttpProxy,
    target: ScriptedServer,
    tls_target: TlsScriptedServer,
    tls: TlsKit,
    scheme: str,
) -> None:
    config = NetworkConfig(
        proxy=auth_http_proxy.url(user=USER, password=PASSWORD), timeout=5, ssl_context=tls.client_context
    )
    served = target if scheme == "http" else tls_target
    url = f"{scheme}://{TEST_HOST}:{served.port}/ok"
    assert await fetch(config, url) == b"hello from /ok"
    kind = "forward" if scheme == "http" else "connect"
    assert auth_http_proxy.hits == [ProxyHit(kind, TEST_HOST, served.port, "domain", USER)]
    assert header(served, "Proxy-Authorization") == []  # the proxy's credentials stay at the proxy


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("given", ["wrong password", "no credentials"])
async def test_http_proxy_rejecting_credentials_is_one_line(
    auth_http_proxy: HttpProxy,
    target: ScriptedServer,
    tls_target: TlsScriptedServer,
    tls: TlsKit,
    scheme: str,
    given: str,
) -> None:
    proxy_url = auth_http_proxy.url(user=USER, password=PASSWORD + "x") if given == "wrong password" else None
    config = NetworkConfig(
        proxy=proxy_url or auth_http_proxy.url(), timeout=5, ssl_context=tls.client_context
    )
    served = target if scheme == "http" else tls_target
    error = await failure(config, f"{scheme}://{TEST_HOST}:{served.port}/")
    assert isinstance(error, ProxyConnectError)
    text = str(error)
    if given == "wrong password":
        assert (
            f"the proxy http://{USER}:***@127.0.0.1:{auth_http_proxy.port} rejected the credentials" in text
        )
    else:
        assert f"the proxy http://127.0.0.1:{auth_http_proxy.port} requires a user name and password" in text
    assert "HTTP 407" in text
    assert auth_http_proxy.auth_failures == 1
    assert auth_http_proxy.hits == []
    assert served.requests == []


async def test_http_proxy_refusing_a_tunnel(http_proxy: HttpProxy, tls: TlsKit) -> None:
    config = NetworkConfig(proxy=http_proxy.url(), timeout=5, ssl_context=tls.client_context)
    error = await failure(config, "https://unknown.internal:443/")  # not in the proxy's map: 502
    assert isinstance(error, ProxyConnectError)
    assert f"the proxy http://127.0.0.1:{http_proxy.port} refused the connection (HTTP 502)" in str(error)


# --- HTTPS proxy (TLS to the proxy itself) -----------------------------------------------------


@pytest.fixture
async def https_proxy(tls: TlsKit) -> AsyncIterator[HttpProxy | SocksProxy]:
    async with running(HttpProxy(credentials=(USER, PASSWORD), ssl_context=tls.server_context)) as proxy:
        yield proxy


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_https_proxy(
    https_proxy: HttpProxy,
    target: ScriptedServer,
    tls_target: TlsScriptedServer,
    tls: TlsKit,
    scheme: str,
) -> None:
    proxy_url = https_proxy.url("https", user=USER, password=PASSWORD)
    config = NetworkConfig(proxy=proxy_url, timeout=5, ssl_context=tls.client_context)
    served = target if scheme == "http" else tls_target  # https target: TLS inside TLS
    assert await fetch(config, f"{scheme}://{TEST_HOST}:{served.port}/tls") == b"hello from /tls"
    kind = "forward" if scheme == "http" else "connect"
    assert https_proxy.hits == [ProxyHit(kind, TEST_HOST, served.port, "domain", USER)]


async def test_https_proxy_with_untrusted_certificate(https_proxy: HttpProxy, target: ScriptedServer) -> None:
    config = NetworkConfig(proxy=https_proxy.url("https", user=USER, password=PASSWORD), timeout=5)
    error = await failure(config, f"http://{TEST_HOST}:{target.port}/")
    assert "could not be verified" in str(error)
    assert https_proxy.hits == []


# --- SOCKS -----------------------------------------------------------------------------------


async def test_socks5h_sends_the_domain_name_to_the_proxy(socks: SocksProxy, target: ScriptedServer) -> None:
    config = NetworkConfig(proxy=socks.url("socks5h"), timeout=5)
    assert await fetch(config, f"http://{TEST_HOST}:{target.port}/h") == b"hello from /h"
    assert socks.hits == [ProxyHit("socks5", TEST_HOST, target.port, "domain")]


async def test_socks5_resolves_locally_and_sends_an_ip(socks: SocksProxy, target: ScriptedServer) -> None:
    # `localhost` is in /etc/hosts, so resolving it locally asks no DNS server.
    config = NetworkConfig(proxy=socks.url("socks5"), timeout=5, proxy_loopback=True)
    assert await fetch(config, f"http://localhost:{target.port}/l") == b"hello from /l"
    assert socks.hits == [ProxyHit("socks5", "127.0.0.1", target.port, "ipv4")]


async def test_socks5h_tunnels_https(socks: SocksProxy, tls_target: TlsScriptedServer, tls: TlsKit) -> None:
    config = NetworkConfig(proxy=socks.url("socks5h"), timeout=5, ssl_context=tls.client_context)
    assert await fetch(config, tls_target.url("/s", host=TEST_HOST)) == b"hello from /s"
    assert socks.hits == [ProxyHit("socks5", TEST_HOST, tls_target.port, "domain")]


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_socks5_with_username_and_password(
    auth_socks: SocksProxy, target: ScriptedServer, scheme: str
) -> None:
    config = NetworkConfig(
        proxy=auth_socks.url(scheme, user=USER, password=PASSWORD), timeout=5, proxy_loopback=True
    )
    assert await fetch(config, f"http://127.0.0.1:{target.port}/a") == b"hello from /a"
    assert auth_socks.hits == [ProxyHit("socks5", "127.0.0.1", target.port, "ipv4", USER)]


async def test_socks5_wrong_password_is_one_line(auth_socks: SocksProxy, target: ScriptedServer) -> None:
    config = NetworkConfig(proxy=auth_socks.url("socks5h", user=USER, password="nope" + PASSWORD), timeout=5)
    error = await failure(config, f"http://{TEST_HOST}:{target.port}/")
    assert isinstance(error, ProxyConnectError)
    assert f"the proxy socks5h://{USER}:***@127.0.0.1:{auth_socks.port} rejected the credentials" in str(
        error
    )
    assert (auth_socks.auth_failures, auth_socks.hits, target.requests) == (1, [], [])


async def test_socks5_missing_credentials_is_one_line(auth_socks: SocksProxy, target: ScriptedServer) -> None:
    error = await failure(NetworkConfig(proxy=auth_socks.url("socks5h"), timeout=5), f"http://{TEST_HOST}:1/")
    assert isinstance(error, ProxyConnectError)
    assert "requires a user name and password" in str(error)


async def test_socks5h_unknown_target_is_refused_by_the_proxy(socks: SocksProxy) -> None:
    error = await failure(NetworkConfig(proxy=socks.url("socks5h"), timeout=5), "http://unknown.internal/")
    assert isinstance(error, ProxyConnectError)
    assert f"the proxy socks5h://127.0.0.1:{socks.port} refused the request" in str(error)


async def test_socks4_with_an_ip_target(socks: SocksProxy, target: ScriptedServer) -> None:
    config = NetworkConfig(proxy=socks.url("socks4"), timeout=5, proxy_loopback=True)
    assert await fetch(config, f"http://127.0.0.1:{target.port}/4") == b"hello from /4"
    assert socks.hits == [ProxyHit("socks4", "127.0.0.1", target.port, "ipv4")]


async def test_silent_socks_proxy_is_a_connect_timeout(target: ScriptedServer) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        config = NetworkConfig(proxy=f"socks5h://127.0.0.1:{port}", timeout=0.3)
        with pytest.raises(ProviderTimeoutError) as caught:
            await fetch(config, f"http://{TEST_HOST}:{target.port}/")
    finally:
        listener.close()
        for writer in accepted:
            writer.transport.abort()
        await listener.wait_closed()
    assert caught.value.limit == "connect"
    assert f"timed out connecting through the proxy socks5h://127.0.0.1:{port} after 0.3 s" in str(
        caught.value
    )


# --- loopback bypass ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_loopback_targets_bypass_the_saved_proxy(
    http_proxy: HttpProxy, socks: SocksProxy, target: ScriptedServer, host: str, kind: str
) -> None:
    proxy = http_proxy if kind == "http" else socks
    url = f"http://{host}:{target.port}/local"
    assert await fetch(NetworkConfig(proxy=proxy.url(), timeout=5), url) == b"hello from /local"
    assert proxy.hits == []  # straight to the local server
    assert len(target.requests) == 1

    config = NetworkConfig(proxy=proxy.url(), timeout=5, proxy_loopback=True)
    assert await fetch(config, url) == b"hello from /local"
    assert len(proxy.hits) == 1  # opted in: this time through the proxy
    assert proxy.hits[0].port == target.port
    assert len(target.requests) == 2


async def test_loopback_bypass_works_even_with_a_dead_proxy(target: ScriptedServer) -> None:
    config = NetworkConfig(proxy=f"http://127.0.0.1:{closed_port()}", timeout=5)
    assert await fetch(config, f"http://localhost:{target.port}/x") == b"hello from /x"


async def test_each_redirect_hop_picks_its_own_route(http_proxy: HttpProxy, target: ScriptedServer) -> None:
    async def handle(request: web.Request) -> web.Response:
        if request.host.startswith(TEST_HOST):
            return web.Response(status=307, headers={"Location": f"http://127.0.0.1:{target.port}/local"})
        return await answer(request)

    target.handle = handle
    config = NetworkConfig(proxy=http_proxy.url(), timeout=5)
    assert await fetch(config, f"http://{TEST_HOST}:{target.port}/remote") == b"hello from /local"
    assert [hit.host for hit in http_proxy.hits] == [TEST_HOST]  # the loopback hop went direct
    assert [seen.path for seen in target.requests] == ["/remote", "/local"]


async def test_proxy_credentials_never_enter_the_tunnel_after_a_redirect(
    auth_http_proxy: HttpProxy, target: ScriptedServer, tls_target: TlsScriptedServer, tls: TlsKit
) -> None:
    async def upgrade(request: web.Request) -> web.Response:
        return web.Response(status=308, headers={"Location": tls_target.url("/secure", host=TEST_HOST)})

    target.handle = upgrade  # http → https, as many servers answer
    proxy_url = auth_http_proxy.url(user=USER, password=PASSWORD)
    config = NetworkConfig(proxy=proxy_url, timeout=5, ssl_context=tls.client_context)
    assert await fetch(config, f"http://{TEST_HOST}:{target.port}/plain") == b"hello from /secure"
    assert [hit.kind for hit in auth_http_proxy.hits] == ["forward", "connect"]
    assert header(tls_target, "Proxy-Authorization") == []


# --- dead proxies ------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["http", "https", "socks4", "socks5", "socks5h"])
@pytest.mark.parametrize("target_scheme", ["http", "https"])
async def test_dead_proxy_is_one_line(scheme: str, target_scheme: str) -> None:
    port = closed_port()
    config = NetworkConfig(proxy=f"{scheme}://{USER}:p%40ss%3Aw0rd@127.0.0.1:{port}", timeout=5)
    error = await failure(config, f"{target_scheme}://{TEST_HOST}/v1/chat/completions")
    assert isinstance(error, ProxyConnectError)
    assert str(error).startswith(
        f"TestAI: could not connect to the proxy {scheme}://{USER}:***@127.0.0.1:{port}"
    )
