"""A real aiohttp server on 127.0.0.1 for tests: each test scripts the handler, the server records
what arrived and notices when the client goes away (handler cancellation on disconnect)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    raw_headers: list[tuple[str, str]]  # names and values as sent, in order
    body: bytes
    host: str


@dataclass
class ScriptedServer:
    """`server.handle = async def handler(request) -> response`; `server.url("/path")`."""

    handle: Handler | None = None
    requests: list[Seen] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected_at: float | None = None
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a client that disconnects cancels the handler, so tests can see
        # exactly when the connection was dropped.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Seen(
                method=request.method,
                path=request.path_qs,
                raw_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
                body=body,
                host=request.host,
            )
        )
        if self.handle is None:
            raise web.HTTPNotFound()
        try:
            return await self.handle(request)
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnected_at = time.monotonic()
            self.disconnected.set()
            raise


async def stream_chunks(
    request: web.Request,
    chunks: list[bytes],
    *,
    content_type: str = "text/plain; charset=utf-8",
    status: int = 200,
    delay: float = 0.0,
    headers: dict[str, str] | None = None,
) -> web.StreamResponse:
    """Send `chunks` one write each (flushed separately), with `delay` seconds between them."""
    response = web.StreamResponse(status=status, headers={"Content-Type": content_type, **(headers or {})})
    await response.prepare(request)
    for index, chunk in enumerate(chunks):
        if delay and index:
            await asyncio.sleep(delay)
        await response.write(chunk)
    await response.write_eof()
    return response


def sse(*deltas: dict[str, object], done: bool = True) -> list[bytes]:
    """OpenAI-style server-sent events carrying these deltas, then `[DONE]` unless told not to."""
    events = [
        b"data: " + json.dumps({"choices": [{"index": 0, "delta": d}]}, ensure_ascii=False).encode() + b"\n\n"
        for d in deltas
    ]
    return [*events, b"data: [DONE]\n\n"] if done else events
