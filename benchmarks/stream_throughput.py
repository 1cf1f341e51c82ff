"""Stream throughput: how fast each provider turns a fast stream into answer text, compared in the
same run with aiohttp reading the very same bytes raw.

A server in a separate process on 127.0.0.1 sends a large answer as fast as it can in each wire
format: Yqcloud's raw UTF-8 text, OpenAI-style server-sent events (one `chat.completion.chunk` per
token of 4-20 characters) and Ollama's NDJSON. The server writes 16 KiB slices, so the stream is
cut anywhere (mid-line, mid-character) and the server is never the bottleneck: what is measured is
the client. Besides the raw read and the provider, a "min" reader does the least Python work that
extracts the text (the floor any provider pays). Every reader's text is checked against the text
sent. Column meanings and results: benchmarks/README.md.

    python benchmarks/stream_throughput.py            # ~32 MB on the wire per format, best of 5
    python benchmarks/stream_throughput.py --smoke    # a few seconds (what CI runs)
    python benchmarks/stream_throughput.py --json     # the last stdout line is one JSON object
    python benchmarks/stream_throughput.py --profile  # where a provider's time goes (cProfile)

Goals (printed, not asserted): provider >= 0.8x raw for text, >= 0.5x for SSE and NDJSON.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import cProfile
import io
import json
import multiprocessing
import platform
import pstats
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

import aiohttp
from aiohttp import web

from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.base import AsyncGeneratorProvider
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.yqcloud import Yqcloud

MB = 1_000_000
MODEL = "bench-model"
_VOCABULARY = (
    "the of and to in is that for it with as was on be by this are from at or an which stream token "
    "answer model server client buffer render chunk event latency throughput provider decoder "
    "привет мир ответ модель поток данные сервер 你好 世界 模型 回答 数据 流 "
    '`code` **bold** _italic_ [link](https://example.org) "quoted" back\\slash tab\there'
)
WORDS = tuple(_VOCABULARY.split(" "))


# ---------------------------------------------------------------------------------------------
# The answer and its three wire formats (built identically in the server and the client)


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


def _openai_event(token: str) -> bytes:
    chunk = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": {"content": token}, "logprobs": None, "finish_reason": None}],
    }
    return b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def _ollama_line(token: str) -> bytes:
    line = {
        "model": MODEL,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "message": {"role": "assistant", "content": token},
        "done": False,
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


_OPENAI_END = (
    b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1767225600,'
    b'"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)
_OLLAMA_END = (
    b'{"model":"bench-model","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant",'
    b'"content":""},"done":true,"done_reason":"stop","eval_count":1,"prompt_eval_count":1}\n'
)


@dataclass(frozen=True)
class WireFormat:
    key: str
    label: str
    path: str
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


def build_body(fmt: WireFormat, wire_bytes: int, seed: int) -> tuple[bytes, str]:
    """About `wire_bytes` of `fmt` on the wire, and the answer text it carries."""
    tokens = answer_tokens(seed, 4096)
    block = b"".join(fmt.encode(token) for token in tokens)
    repeats = max(1, round(wire_bytes / len(block)))
    return block * repeats + fmt.end, "".join(tokens) * repeats


# ---------------------------------------------------------------------------------------------
# The server process


def serve(conn: Connection, wire_bytes: int, seed: int, write_size: int) -> None:
    asyncio.run(_serve(conn, wire_bytes, seed, write_size))


async def _serve(conn: Connection, wire_bytes: int, seed: int, write_size: int) -> None:
    bodies = {fmt.path: (fmt, build_body(fmt, wire_bytes, seed)[0]) for fmt in FORMATS}

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        fmt, body = bodies[request.path]
        response = web.StreamResponse(headers={"Content-Type": fmt.content_type})
        await response.prepare(request)
        view = memoryview(body)
        for start in range(0, len(body), write_size):
            await response.write(view[start : start + write_size])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(runner.addresses[0][1])
    # Serve until the parent says stop (or goes away).
    await asyncio.get_running_loop().run_in_executor(None, _wait_for_stop, conn)
    await runner.cleanup()


def _wait_for_stop(conn: Connection) -> None:
    with contextlib.suppress(EOFError):
        conn.recv()


# ---------------------------------------------------------------------------------------------
# The client: raw aiohttp vs the real provider class


def make_provider(fmt: WireFormat, base: str, http: HttpClient) -> AsyncGeneratorProvider:
    if fmt.key == "text":
        return Yqcloud(api_endpoint=base + fmt.path, http=http)
    if fmt.key == "sse":
        return OpenAICompatible(base + "/v1", http=http)
    return Ollama(base, http=http)


async def read_raw(url: str) -> tuple[float, int]:
    async with aiohttp.ClientSession(trust_env=False) as session:
        started = time.perf_counter()
        received = 0
        async with session.post(url, json={"stream": True}) as response:
            async for chunk in response.content.iter_any():
                received += len(chunk)
        return time.perf_counter() - started, received


def _minimal_text(fmt: WireFormat) -> Callable[[bytes | None], list[str]]:
    """The least Python work that gets the text out of `fmt` (no error handling, no events): the
    floor any provider pays on top of the raw read."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    pending = b""

    def text(chunk: bytes | None) -> list[str]:
        return [utf8.decode(chunk or b"", final=chunk is None)]

    def sse(chunk: bytes | None) -> list[str]:
        nonlocal pending
        *events, pending = (pending + (chunk or b"")).split(b"\n\n")
        out = []
        for event in events:
            if event != b"data: [DONE]":
                delta = json.loads(event[6:])["choices"][0]["delta"]
                out.append(delta.get("content") or "")
        return out

    def ndjson(chunk: bytes | None) -> list[str]:
        nonlocal pending
        *lines, pending = (pending + (chunk or b"")).split(b"\n")
        return [json.loads(line)["message"]["content"] for line in lines]

    return {"text": text, "sse": sse, "ndjson": ndjson}[fmt.key]


async def read_minimal(fmt: WireFormat, url: str) -> tuple[float, str]:
    decode = _minimal_text(fmt)
    pieces: list[str] = []
    async with aiohttp.ClientSession(trust_env=False) as session:
        started = time.perf_counter()
        async with session.post(url, json={"stream": True}) as response:
            async for chunk in response.content.iter_any():
                pieces += decode(chunk)
        pieces += decode(None)
        elapsed = time.perf_counter() - started
    return elapsed, "".join(pieces)


async def read_provider(fmt: WireFormat, base: str) -> tuple[float, str]:
    async with HttpClient(NetworkConfig()) as http:
        provider = make_provider(fmt, base, http)
        request = ChatRequest((Message(Role.USER, "benchmark"),), model=MODEL)
        pieces: list[str] = []
        started = time.perf_counter()
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    pieces.append(event.text)
        elapsed = time.perf_counter() - started
    return elapsed, "".join(pieces)


@dataclass
class Result:
    format: str
    provider: str
    wire_bytes: int
    text_chars: int
    text_bytes: int
    raw_seconds: float
    minimal_seconds: float
    provider_seconds: float
    raw_wire_mb_s: float
    minimal_wire_mb_s: float
    provider_wire_mb_s: float
    provider_text_mb_s: float
    provider_text_mchars_s: float
    ratio: float
    minimal_ratio: float
    goal: float
    met: bool


async def measure(fmt: WireFormat, base: str, wire: bytes, text: str, repeats: int) -> Result:
    url = base + fmt.path
    await read_raw(url)  # warm-up: imports, first connection
    await read_provider(fmt, base)
    raw_best = minimal_best = provider_best = float("inf")
    for _ in range(repeats):
        for _ in range(3):  # the raw read is short, so the most exposed to noise: sample it more
            raw_seconds, received = await read_raw(url)
            if received != len(wire):
                raise SystemExit(f"{fmt.label}: raw read got {received} bytes, expected {len(wire)}")
            raw_best = min(raw_best, raw_seconds)
        minimal_seconds, minimal_text = await read_minimal(fmt, url)
        provider_seconds, answer = await read_provider(fmt, base)
        if answer != text or minimal_text != text:
            raise SystemExit(f"{fmt.label}: the decoded text differs from the text sent")
        minimal_best = min(minimal_best, minimal_seconds)
        provider_best = min(provider_best, provider_seconds)
    ratio = raw_best / provider_best
    text_bytes = len(text.encode())
    return Result(
        format=fmt.key,
        provider=fmt.label,
        wire_bytes=len(wire),
        text_chars=len(text),
        text_bytes=text_bytes,
        raw_seconds=raw_best,
        minimal_seconds=minimal_best,
        provider_seconds=provider_best,
        raw_wire_mb_s=len(wire) / MB / raw_best,
        minimal_wire_mb_s=len(wire) / MB / minimal_best,
        provider_wire_mb_s=len(wire) / MB / provider_best,
        provider_text_mb_s=text_bytes / MB / provider_best,
        provider_text_mchars_s=len(text) / MB / provider_best,
        ratio=ratio,
        minimal_ratio=raw_best / minimal_best,
        goal=fmt.goal,
        met=ratio >= fmt.goal,
    )


def profile_provider(fmt: WireFormat, base: str, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(read_provider(fmt, base))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return f"--- profile: {fmt.label} (sorted by own time) ---\n" + out.getvalue()


def print_table(results: list[Result]) -> None:
    header = (
        f"{'format':<17} {'wire MB':>7} {'text MB':>7} {'raw MB/s':>8} {'min MB/s':>8} {'prov MB/s':>9} "
        f"{'text MB/s':>9} {'Mchar/s':>7} {'min/raw':>7} {'prov/min':>8} {'prov/raw':>8} {'goal':>5}  result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.provider:<17} {r.wire_bytes / MB:>7.1f} {r.text_bytes / MB:>7.1f} {r.raw_wire_mb_s:>8.0f} "
            f"{r.minimal_wire_mb_s:>8.0f} {r.provider_wire_mb_s:>9.1f} {r.provider_text_mb_s:>9.1f} "
            f"{r.provider_text_mchars_s:>7.2f} {r.minimal_ratio:>6.2f}x {r.ratio / r.minimal_ratio:>7.2f}x "
            f"{r.ratio:>7.2f}x {r.goal:>4.1f}x  "
            f"{'met' if r.met else 'MISSED'}"
        )
    print(
        "MB/s are wire bytes per second. raw: aiohttp iter_any() over the same bytes, no decoding; "
        "min: raw plus the least Python decoding that extracts the text (incremental UTF-8; split + "
        "json.loads per event); prov: the provider class, TextDelta events. x/y = y time / x time; "
        "the goal is on prov/raw."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="small answers, one round: a few seconds")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    parser.add_argument("--profile", action="store_true", help="profile each provider run with cProfile")
    parser.add_argument("--mb", type=float, help="wire megabytes per format (default 32, smoke 4)")
    parser.add_argument("--repeats", type=int, help="rounds per format, best kept (default 5, smoke 2)")
    parser.add_argument("--write-size", type=int, default=16 * 1024, help="server write size in bytes")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    wire_mb = args.mb if args.mb is not None else (4.0 if args.smoke else 32.0)
    repeats = args.repeats if args.repeats is not None else (2 if args.smoke else 5)
    wire_bytes = int(wire_mb * MB)

    # A separate process: the server must not share the client's core or event loop.
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    server = context.Process(target=serve, args=(child_end, wire_bytes, args.seed, args.write_size))
    server.start()
    try:
        if not parent_end.poll(60):
            raise SystemExit("the benchmark server did not start within 60 s")
        base = f"http://127.0.0.1:{parent_end.recv()}"
        results: list[Result] = []
        for fmt in FORMATS:
            wire, text = build_body(fmt, wire_bytes, args.seed)
            results.append(asyncio.run(measure(fmt, base, wire, text, repeats)))
        print(
            f"Stream throughput on loopback, best of {repeats}; Python {platform.python_version()}, "
            f"aiohttp {aiohttp.__version__}, write size {args.write_size} B"
        )
        print_table(results)
        if args.profile:
            for fmt in FORMATS:
                print(profile_provider(fmt, base, top=18))
    finally:
        parent_end.send("stop")
        server.join(10)
        if server.is_alive():
            server.terminate()
            server.join()
    if args.json:
        summary = {
            "benchmark": "stream_throughput",
            "smoke": args.smoke,
            "repeats": repeats,
            "python": platform.python_version(),
            "aiohttp": aiohttp.__version__,
            "results": [asdict(r) for r in results],
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
