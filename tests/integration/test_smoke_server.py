from __future__ import annotations

import contextlib

from aiohttp import web

from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.providers.yqcloud import Yqcloud
from tests.support.server import ScriptedServer, stream_chunks


async def test_yqcloud_streams_from_a_local_server(server: ScriptedServer) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, ["Привет".encode()[:3], "Привет".encode()[3:], b", world"])

    server.handle = handle
    provider = Yqcloud(api_endpoint=server.url("/api/generateStream"))
    texts = []
    async with contextlib.aclosing(provider.stream(ChatRequest((Message(Role.USER, "hi"),)))) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                texts.append(event.text)
    assert "".join(texts) == "Привет, world"
    assert server.requests[0].path == "/api/generateStream"
