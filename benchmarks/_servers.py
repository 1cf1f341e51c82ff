"""The answer, its three wire formats, and the benchmark server that streams them from a separate
process on 127.0.0.1 (helpers of stream_throughput.py).

The server has two ways to send one answer:
- `/live/...`: the way real servers do, one write per event (a token's SSE event, NDJSON line or
  raw text), as fast as it can. Whatever the client has not read yet piles up in the socket, so a
  client that keeps up reads a few events at a time and one that does not reads large chunks.
- `/bulk/...`: the whole answer pre-built, written in 16 KiB slices, so reading it is as cheap as
  a memory copy and the client's decoding cost is all that is left to measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from aiohttp import web

MODEL = "bench-model"
SERVER_LIFETIME = 30 * 60.0  # seconds: the server stops by itself even if its parent vanished
_VOCABULARY = (
    "the of and to in is that for it with as was on be by this are from at or an which stream token "
    "answer model server client buffer render chunk event latency throughput provider decoder "
    "привет мир ответ модель поток данные сервер 你好 世界 模型 回答 数据 流 "
    '`code` **bold** _italic_ [link](https://example.org) "quoted" back\\slash tab\there'
)
WORDS = tuple(_VOCABULARY.split(" "))
TOKEN_BLOCK = 4096  # tokens in the block an answer repeats


def answer_tokens(seed: int, count: int) -> list[str]:
    """`count` token-sized pieces (4-20 characters) of markdown-ish multilingual text."""
    rng = random.Random(seed)
    words: list[str] = []
    length = 0
    while length < count * 12 + 20:
        word = rng.choice(WORDS)
        if rng.random() < 0.04:
            word += rng.choice((".\n\n", ",", ":\n- ", "\n```python\nx = 1\n```\n"))
        words.append(word)
        length += len(word) + 1
    text = " ".join(words)
    tokens: list[str] = []
    position = 0
    while len(tokens) < count:
        size = rng.randint(4, 20)
        tokens.append(text[position : position + size])
        position += size
    return tokens


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _openai_event(token: str) -> bytes:
    """A `chat.completion.chunk` with the fields every OpenAI-compatible server sends (~230 bytes)."""
    chunk = {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": token}, "logprobs": None, "finish_reason": None}],
    }
    return b"data: " + _dumps(chunk) + b"\n\n"


def _ollama_line(token: str) -> bytes:
    line = {
        "model": MODEL,
        "created_at": "2026-01-01T00:00:00.123456789Z",
        "message": {"role": "assistant", "content": token},
        "done": False,
    }
    return _dumps(line) + b"\n"


_OPENAI_END = (
    b'data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk",'
    b'"created":1767225600,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'
    b"\n\ndata: [DONE]\n\n"
)
_OLLAMA_END = (
    b'{"model":"bench-model","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant",'
    b'"content":""},"done":true,"done_reason":"stop","eval_count":1,"prompt_eval_count":1}\n'
)


@dataclass(frozen=True)
class WireFormat:
    key: str
    label: str
    path: str  # the provider's endpoint below a server prefix (/live or /bulk)
    content_type: str
    goal: float
    encode: Callable[[str], bytes]
    end: bytes


FORMATS = (
    WireFormat(
        "text", "Yqcloud raw text", "/api/generateStream", "text/plain; charset=utf-8", 0.8, str.encode, b""
    ),
    WireFormat(
        "sse", "OpenAI SSE", "/v1/chat/completions", "text/event-stream", 0.5, _openai_event, _OPENAI_END
    ),
    WireFormat(
        "ndjson", "Ollama NDJSON", "/api/chat", "application/x-ndjson", 0.5, _ollama_line, _OLLAMA_END
    ),
)


@dataclass(frozen=True)
class Answer:
    """One answer in one format: the writes that carry it and the text it must decode to."""

    writes: list[bytes]  # one per token, then the format's ending
    text: str

    @property
    def wire(self) -> bytes:
        return b"".join(self.writes)

    @property
    def events(self) -> int:
        return len(self.writes)


def build_answer(fmt: WireFormat, tokens: int, seed: int) -> Answer:
    """About `tokens` tokens (a whole number of repeated 4096-token blocks)."""
    block = answer_tokens(seed, TOKEN_BLOCK)
    encoded = [fmt.encode(token) for token in block]
    repeats = max(1, round(tokens / TOKEN_BLOCK))
    writes = encoded * repeats + ([fmt.end] if fmt.end else [])
    return Answer(writes, "".join(block) * repeats)


def tokens_for_wire(fmt: WireFormat, wire_bytes: int, seed: int) -> int:
    """How many tokens of `fmt` make about `wire_bytes` on the wire."""
    block = sum(len(fmt.encode(token)) for token in answer_tokens(seed, TOKEN_BLOCK))
    return max(1, round(wire_bytes / block)) * TOKEN_BLOCK


@dataclass(frozen=True)
class ServerPlan:
    live_tokens: int
    bulk_bytes: int
    seed: int
    slice_size: int = 16 * 1024


def serve(conn: Connection, plan: ServerPlan) -> None:
    """The server process: Ctrl+C is the parent's to handle (it stops this process in its finally)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(conn, plan))


async def _serve(conn: Connection, plan: ServerPlan) -> None:
    live = {fmt.path: (fmt, build_answer(fmt, plan.live_tokens, plan.seed).writes) for fmt in FORMATS}
    bulk = {
        fmt.path: (fmt, build_answer(fmt, tokens_for_wire(fmt, plan.bulk_bytes, plan.seed), plan.seed).wire)
        for fmt in FORMATS
    }

    async def stream_live(request: web.Request) -> web.StreamResponse:
        await request.read()
        fmt, writes = live["/" + request.match_info["tail"]]
        response = web.StreamResponse(headers={"Content-Type": fmt.content_type})
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the client left (Ctrl+C): nothing to log
            for event in writes:  # one write per event, as a real server sends them
                await response.write(event)
            await response.write_eof()
        return response

    async def stream_bulk(request: web.Request) -> web.StreamResponse:
        await request.read()
        fmt, body = bulk["/" + request.match_info["tail"]]
        response = web.StreamResponse(headers={"Content-Type": fmt.content_type})
        await response.prepare(request)
        view = memoryview(body)
        with contextlib.suppress(ConnectionResetError):
            for start in range(0, len(body), plan.slice_size):
                await response.write(view[start : start + plan.slice_size])
            await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/live/{tail:.*}", stream_live)
    app.router.add_post("/bulk/{tail:.*}", stream_bulk)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(runner.addresses[0][1])
        # Serve until the parent says stop, goes away (EOF), or the lifetime is over.
        await asyncio.get_running_loop().run_in_executor(None, _wait_for_stop, conn)
    finally:
        await runner.cleanup()


def _wait_for_stop(conn: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        if conn.poll(SERVER_LIFETIME):
            conn.recv()
