"""Local-server discovery against real servers on free 127.0.0.1 ports: servers that answer,
servers of another kind, garbage, a dead port and stalls (the scan stays bounded)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from desktop_app.core.errors import ConfigurationError
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.providers.discovery import DEFAULT_PORTS, DiscoveredServer, discover_local_servers
from tests.support.server import ScriptedServer

ServerFactory = Callable[[], Awaitable[ScriptedServer]]


@pytest.fixture
async def servers() -> AsyncIterator[ServerFactory]:
    started: list[ScriptedServer] = []

    async def start() -> ScriptedServer:
        srv = await ScriptedServer().start()
        started.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in started:
            await srv.stop()


def dead_port() -> int:
    """A port nothing listens on: bound once to learn a free number, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def openai_models(*ids: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path != "/v1/models":
            raise web.HTTPNotFound()
        return web.json_response({"object": "list", "data": [{"id": i, "object": "model"} for i in ids]})

    return handle


def ollama_tags(*names: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path != "/api/tags":
            raise web.HTTPNotFound()
        return web.json_response({"models": [{"name": n, "model": n, "size": 1} for n in names]})

    return handle


async def test_every_kind_is_found_in_a_fixed_order(servers: ServerFactory) -> None:
    ollama, lmstudio, llamacpp, vllm, jan = [await servers() for _ in range(5)]
    others = (lmstudio, llamacpp, vllm, jan)
    others_asked = asyncio.Event()
    answer_tags = ollama_tags("llama3.2:latest", "qwen2.5:0.5b")

    def noting_the_request(
        handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if all(srv.requests for srv in others):
                others_asked.set()
            return await handle(request)

        return wrapped

    async def ollama_answers_last(request: web.Request) -> web.StreamResponse:
        # Answer only after the other four were asked, so Ollama's reply arrives last; it must
        # still come first in the result.
        await asyncio.wait_for(others_asked.wait(), 2)
        return await answer_tags(request)

    ollama.handle = ollama_answers_last
    lmstudio.handle = noting_the_request(openai_models("qwen2.5-7b-instruct"))
    llamacpp.handle = noting_the_request(openai_models("SmolLM2"))
    vllm.handle = noting_the_request(openai_models("meta-llama/Llama-3.1-8B-Instruct"))
    jan.handle = noting_the_request(openai_models())
    ports = {
        "jan": jan.port,
        "vllm": vllm.port,
        "llamacpp": llamacpp.port,
        "lmstudio": lmstudio.port,
        "ollama": ollama.port,
    }

    found = await discover_local_servers(ports=ports, timeout=3.0)

    assert found == [
        DiscoveredServer(
            "ollama",
            "Ollama",
            ProviderKind.OLLAMA,
            f"http://127.0.0.1:{ollama.port}",
            ("llama3.2:latest", "qwen2.5:0.5b"),
        ),
        DiscoveredServer(
            "lmstudio",
            "LM Studio",
            ProviderKind.OPENAI,
            f"http://127.0.0.1:{lmstudio.port}/v1",
            ("qwen2.5-7b-instruct",),
        ),
        DiscoveredServer(
            "llamacpp",
            "llama.cpp server",
            ProviderKind.OPENAI,
            f"http://127.0.0.1:{llamacpp.port}/v1",
            ("SmolLM2",),
        ),
        DiscoveredServer(
            "vllm",
            "vLLM",
            ProviderKind.OPENAI,
            f"http://127.0.0.1:{vllm.port}/v1",
            ("meta-llama/Llama-3.1-8B-Instruct",),
        ),
        # A running server with no model loaded is still worth offering.
        DiscoveredServer("jan", "Jan", ProviderKind.OPENAI, f"http://127.0.0.1:{jan.port}/v1", ()),
    ]
    assert [(r.method, r.path) for r in ollama.requests] == [("GET", "/api/tags")]
    for srv in others:
        assert [(r.method, r.path) for r in srv.requests] == [("GET", "/v1/models")]


async def test_garbage_other_kinds_and_dead_ports_are_skipped(servers: ServerFactory) -> None:
    html_page, wrong_json, openai_on_ollama_port, not_json, real = [await servers() for _ in range(5)]

    async def html(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<!doctype html><title>Router</title>", content_type="text/html")

    async def other_json(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok", "data": "not a list"})

    async def plain_text(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello", content_type="text/plain")

    html_page.handle = html
    wrong_json.handle = other_json
    openai_on_ollama_port.handle = openai_models("gpt-4o")  # /api/tags → 404
    not_json.handle = plain_text
    real.handle = openai_models("local-model")

    found = await discover_local_servers(
        ports={
            "ollama": openai_on_ollama_port.port,
            "lmstudio": not_json.port,
            "llamacpp": html_page.port,
            "vllm": wrong_json.port,
            "jan": real.port,
        },
        timeout=2.0,
    )
    assert found == [
        DiscoveredServer(
            "jan", "Jan", ProviderKind.OPENAI, f"http://127.0.0.1:{real.port}/v1", ("local-model",)
        )
    ]
    # Each garbage server really was asked (a skip for the right reason, not for no request).
    for srv in (html_page, wrong_json, openai_on_ollama_port, not_json):
        assert len(srv.requests) == 1

    assert await discover_local_servers(ports={"llamacpp": dead_port(), "ollama": dead_port()}) == []


async def test_stalled_servers_do_not_hold_the_scan(servers: ServerFactory) -> None:
    silent, stalling, trickling, healthy = [await servers() for _ in range(4)]
    never = asyncio.Event()

    async def no_answer(request: web.Request) -> web.StreamResponse:
        await never.wait()
        raise AssertionError("unreachable")

    async def headers_then_nothing(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"object": "list", "data": [')
        await never.wait()
        return response

    async def a_byte_now_and_then(request: web.Request) -> web.StreamResponse:
        # Never idle long enough for the idle timeout: only the probe's overall deadline stops it.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"data": [')
        for _ in range(100):
            await asyncio.sleep(0.05)
            await response.write(b" ")
        return response

    silent.handle = no_answer
    stalling.handle = headers_then_nothing
    trickling.handle = a_byte_now_and_then
    healthy.handle = ollama_tags("phi3:mini")
    timeout = 0.5

    started = time.monotonic()
    found = await discover_local_servers(
        ports={"lmstudio": silent.port, "vllm": stalling.port, "jan": trickling.port, "ollama": healthy.port},
        timeout=timeout,
    )
    elapsed = time.monotonic() - started

    assert [s.preset_id for s in found] == ["ollama"]
    assert found[0].models == ("phi3:mini",)
    assert elapsed < timeout + 0.4, f"the scan took {elapsed:.2f} s with a {timeout} s probe timeout"
    # The stalled connections were dropped, not left open.
    await asyncio.wait_for(silent.disconnected.wait(), 2)
    await asyncio.wait_for(stalling.disconnected.wait(), 2)
    await asyncio.wait_for(trickling.disconnected.wait(), 2)


async def test_unknown_server_id_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Unknown local server 'koboldcpp'"):
        await discover_local_servers(ports={"koboldcpp": 5001})


def test_default_ports_are_the_usual_ones() -> None:
    assert DEFAULT_PORTS == {"ollama": 11434, "lmstudio": 1234, "llamacpp": 8080, "vllm": 8000, "jan": 1337}
