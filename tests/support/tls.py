"""TLS for tests: a throwaway CA (trustme), server and client contexts, and an HTTPS variant of the
scripted server. Nothing here touches the system trust store."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import trustme
from aiohttp import web

from tests.support.server import ScriptedServer

# Names the test certificate is valid for; `parley-test.internal` exists only in the test proxies.
TEST_NAMES = ("127.0.0.1", "localhost", "parley-test.internal")


@dataclass(frozen=True)
class TlsKit:
    """A CA, a server context with a certificate it signed, and a client context that trusts it."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


def make_tls_kit(*names: str) -> TlsKit:
    ca = trustme.CA()
    cert = ca.issue_cert(*(names or TEST_NAMES))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context()
    # Only the test CA: the system store must play no part in whether a test passes.
    client_context.load_verify_locations(cadata=ca.cert_pem.bytes().decode("ascii"))
    return TlsKit(ca=ca, server_context=server_context, client_context=client_context)


def empty_trust_context() -> ssl.SSLContext:
    """Verifies certificates but trusts no CA at all, so any server certificate is rejected."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass
class TlsScriptedServer(ScriptedServer):
    """The scripted server, served over TLS with the kit's certificate."""

    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    async def start(self) -> TlsScriptedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self
