"""Small asyncio proxy servers for tests: an HTTP proxy (plain forwarding and CONNECT tunnels,
optional Basic credentials, optionally served over TLS) and a SOCKS server (SOCKS4/4a and SOCKS5
with or without username/password). Each one logs what it was asked for, so a test can prove a
request really went through it and see which address type a SOCKS client sent.

They only ever connect to loopback addresses: a name is looked up in the proxy's own `hosts` map
(for example `parley-test.internal` → 127.0.0.1), never in DNS, and anything else is refused.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

TEST_HOST = "parley-test.internal"
DEFAULT_HOSTS: Mapping[str, str] = {TEST_HOST: "127.0.0.1", "localhost": "127.0.0.1"}
_HEADER_LIMIT = 100  # lines; a request with more is not one of ours
_CHUNK = 65536


@dataclass(frozen=True)
class ProxyHit:
    """One request a proxy accepted and forwarded."""

    kind: str  # "forward" (plain HTTP), "connect" (HTTP tunnel), "socks4", "socks5"
    host: str  # as the client sent it: a name or an IP literal
    port: int
    address_type: str  # "domain", "ipv4" or "ipv6"
    username: str | None = None


class _TargetRefusedError(Exception):
    """A target this proxy will not connect to (not loopback, or an unknown name)."""


class _ProxyServer:
    scheme = ""

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        hosts: Mapping[str, str] = DEFAULT_HOSTS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.credentials = credentials
        self.hosts = dict(hosts)
        self.ssl_context = ssl_context
        self.hits: list[ProxyHit] = []
        self.auth_failures = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, scheme: str | None = None, *, user: str | None = None, password: str | None = None) -> str:
        """The proxy URL, credentials percent-escaped (a password may contain `@` or `:`)."""
        creds = ""
        if user is not None:
            creds = quote(user, safe="")
            if password is not None:
                creds += ":" + quote(password, safe="")
            creds += "@"
        return f"{scheme or self.scheme}://{creds}127.0.0.1:{self.port}"

    async def start(self) -> _ProxyServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._handle(reader, writer)
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
            ssl.SSLError,
            _TargetRefusedError,
            ValueError,
        ):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            await _close(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def _resolve(self, host: str) -> str:
        """The loopback address to connect to for `host`, from the map or an IP literal."""
        address = self.hosts.get(host.lower(), host)
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise _TargetRefusedError(host) from None
        if not ip.is_loopback:
            raise _TargetRefusedError(host)
        return str(ip)

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        target = await asyncio.open_connection(self._resolve(host), port)
        self._writers.add(target[1])
        return target

    async def _splice(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        target: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        """Copy bytes both ways until either side closes, then close both."""
        copies = [
            asyncio.ensure_future(_copy(client[0], target[1])),
            asyncio.ensure_future(_copy(target[0], client[1])),
        ]
        try:
            await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for copy in copies:
                copy.cancel()
            await asyncio.gather(*copies, return_exceptions=True)
            self._writers.discard(target[1])
            await _close(target[1])


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, ssl.SSLError, asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


class HttpProxy(_ProxyServer):
    """`GET http://host/...` is forwarded (one request per connection); `CONNECT host:port` is
    tunnelled. With `credentials`, a request without the right `Proxy-Authorization` gets 407."""

    scheme = "http"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        headers: list[tuple[str, str]] = []
        for _ in range(_HEADER_LIMIT):
            line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        method, target, _version = request_line.split(" ", 2)
        username = self._check_auth(headers)
        if username is False:
            self.auth_failures += 1
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="parley-test"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            return
        user = username if isinstance(username, str) else None
        if method.upper() == "CONNECT":
            host, _, port_text = target.rpartition(":")
            host = host.strip("[]")
            upstream = await self._open_or_502(host, int(port_text), writer)
            if upstream is None:
                return
            self.hits.append(ProxyHit("connect", host, int(port_text), _address_type(host), user))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            parts = urlsplit(target)
            host, port = parts.hostname or "", parts.port or 80
            upstream = await self._open_or_502(host, port, writer)
            if upstream is None:
                return
            self.hits.append(ProxyHit("forward", host, port, _address_type(host), user))
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            skip = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
            kept = "".join(f"{k}: {v}\r\n" for k, v in headers if k.lower() not in skip)
            upstream[1].write(
                f"{method} {path} HTTP/1.1\r\n{kept}Connection: close\r\n\r\n".encode("latin-1")
            )
            await upstream[1].drain()
        await self._splice((reader, writer), upstream)

    def _check_auth(self, headers: list[tuple[str, str]]) -> str | bool:
        """The user name that authenticated, True when none is needed, False when it failed."""
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
        for name, value in headers:
            if name.lower() == "proxy-authorization" and value == expected:
                return self.credentials[0]
        return False

    async def _open_or_502(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await self._open(host, port)
        except (_TargetRefusedError, OSError):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return None


class SocksProxy(_ProxyServer):
    """SOCKS5 (no auth, or username/password when `credentials` is set) and SOCKS4/4a."""

    scheme = "socks5"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version = (await reader.readexactly(1))[0]
        if version == 5:
            await self._socks5(reader, writer)
        elif version == 4:
            await self._socks4(reader, writer)

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        methods = await reader.readexactly((await reader.readexactly(1))[0])
        wanted = 0x02 if self.credentials else 0x00
        if wanted not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            return
        writer.write(bytes([5, wanted]))
        await writer.drain()
        user = None
        if self.credentials:
            await reader.readexactly(1)  # sub-negotiation version
            user = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            password = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            if (user, password) != self.credentials:
                self.auth_failures += 1
                writer.write(b"\x01\x01")
                await writer.drain()
                return
            writer.write(b"\x01\x00")
            await writer.drain()
        _version, command, _reserved, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode("idna")
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:
            writer.write(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")  # command not supported
            await writer.drain()
            return
        try:
            upstream = await self._open(host, port)
        except (_TargetRefusedError, OSError):
            writer.write(b"\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00")  # host unreachable
            await writer.drain()
            return
        self.hits.append(ProxyHit("socks5", host, port, _address_type(host), user))
        writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", port))
        await writer.drain()
        await self._splice((reader, writer), upstream)

    async def _socks4(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command = (await reader.readexactly(1))[0]
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        raw_ip = await reader.readexactly(4)
        user = (await reader.readuntil(b"\x00"))[:-1].decode() or None
        if raw_ip[:3] == b"\x00\x00\x00" and raw_ip[3]:
            host = (await reader.readuntil(b"\x00"))[:-1].decode("idna")  # SOCKS4a: a name follows
        else:
            host = str(ipaddress.IPv4Address(raw_ip))
        try:
            if command != 1:
                raise _TargetRefusedError(host)
            upstream = await self._open(host, port)
        except (_TargetRefusedError, OSError):
            writer.write(b"\x00\x5b" + b"\x00" * 6)  # request rejected or failed
            await writer.drain()
            return
        self.hits.append(ProxyHit("socks4", host, port, _address_type(host), user))
        writer.write(b"\x00\x5a" + struct.pack("!H", port) + raw_ip)
        await writer.drain()
        await self._splice((reader, writer), upstream)


def _address_type(host: str) -> str:
    try:
        return "ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"
    except ValueError:
        return "domain"
