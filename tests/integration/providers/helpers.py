"""Helpers for the provider tests: servers that split, stall and refuse on purpose, and a client
that notes what actually arrived so a split is known to reach the provider as sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest
from aiohttp import web

from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest
from desktop_app.core.ports import ChatProvider
from desktop_app.net.session import HttpClient
from tests.support.server import ScriptedServer

WAIT = 5.0  # upper bound for anything a test waits for; passing tests take milliseconds
STOP_WITHIN = 0.1  # the design's promise: Stop closes the connection within ~100 ms


class ChunkLog(HttpClient):
    """The real client, also recording every chunk as the provider receives it.

    A server writing "part 1, part 2" may have both coalesced into one read; waiting until part 1
    arrived before writing part 2 makes each write one read, so every split position is really
    exercised.
    """

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []
        self._changed = asyncio.Condition()

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        async with contextlib.aclosing(super().stream(*args, **kwargs)) as body:
            async for chunk in body:
                self.chunks.append(chunk)
                async with self._changed:
                    self._changed.notify_all()
                yield chunk

    async def wait_for_chunks(self, count: int) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: len(self.chunks) >= count)


async def write_one_by_one(
    request: web.Request, parts: list[bytes], log: ChunkLog, *, content_type: str
) -> web.StreamResponse:
    """Send each part only after the client received the previous one."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    await response.prepare(request)
    already = len(log.chunks)
    for index, part in enumerate(parts):
        await response.write(part)
        await log.wait_for_chunks(already + index + 1)
    await response.write_eof()
    return response


async def send_then_stall(
    request: web.Request, first: bytes, *, content_type: str = "text/plain; charset=utf-8"
) -> web.StreamResponse:
    """Send `first`, then keep the connection open without sending more (until the client leaves)."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    await response.prepare(request)
    if first:
        await response.write(first)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.Event().wait(), 10 * WAIT)
    return response


def json_reply(data: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json", headers=headers
    )


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections: bound (so nobody else takes it), not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


async def collect(provider: ChatProvider, request: ChatRequest) -> list[StreamEvent]:
    async with contextlib.aclosing(provider.stream(request)) as events:
        return [event async for event in events]


async def collect_until_error(
    provider: ChatProvider, request: ChatRequest, error: type[BaseException]
) -> tuple[list[StreamEvent], BaseException]:
    """The events that arrived before the stream raised `error` (which it must), and the error."""
    seen: list[StreamEvent] = []

    async def drain() -> None:
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                seen.append(event)

    with pytest.raises(error) as caught:
        await drain()
    return seen, caught.value


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def assert_cancel_disconnects(
    provider: ChatProvider, request: ChatRequest, server: ScriptedServer
) -> None:
    """Cancel the task consuming the stream once text arrived; the server must see the
    connection go within STOP_WITHIN seconds."""
    text_arrived = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    text_arrived.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(text_arrived.wait(), WAIT)
    assert not server.disconnected.is_set()
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.disconnected.wait(), WAIT)
    assert server.disconnected_at is not None
    assert server.disconnected_at - cancelled_at < STOP_WITHIN
