"""Stream throughput: does each provider keep up with a server streaming as fast as it can, and what
does its decoding cost per event? Compared in the same run with aiohttp reading the same bytes raw.

A server in a separate process on 127.0.0.1 (benchmarks/_servers.py) streams a long answer in each
wire format: Yqcloud's raw UTF-8 text, OpenAI-style server-sent events (a full
`chat.completion.chunk` per token of 4-20 characters) and Ollama's NDJSON. Two modes:

- live (the goal's figure): the server writes one event per token, as real servers do, as fast as
  it can. raw = aiohttp `iter_any()` reading the stream; prov = the real provider class. Ratio =
  provider wire bytes/s over raw wire bytes/s. Goals: >= 0.8 for text, >= 0.5 for SSE and NDJSON.
- cpu-bound: the answer is pre-built and written in 16 KiB slices, so the raw read is a memory copy
  and what is left is the client's decoding: µs per event and MB/s for raw, min (the least Python
  that gets the text out) and prov. No goal; it keeps decoder regressions visible.

Every reader's text is checked against the text sent. Column meanings and results:
benchmarks/README.md.

    python benchmarks/stream_throughput.py            # both modes, best of 5 (~75 s)
    python benchmarks/stream_throughput.py --smoke    # a few seconds (what CI runs)
    python benchmarks/stream_throughput.py --json     # the last stdout line is one JSON object
    python benchmarks/stream_throughput.py --profile  # where a provider's time goes (cProfile)
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
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import aiohttp
from _servers import FORMATS, MODEL, Answer, ServerPlan, WireFormat, build_answer, serve, tokens_for_wire

from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.base import AsyncGeneratorProvider
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.yqcloud import Yqcloud

MB = 1_000_000
READ_LIMIT = 120.0  # seconds any one read may take before the benchmark gives up
SERVER_START_LIMIT = 60.0
MODES = ("live", "cpu")


def make_provider(fmt: WireFormat, base: str, http: HttpClient) -> AsyncGeneratorProvider:
    if fmt.key == "text":
        return Yqcloud(api_endpoint=base + fmt.path, http=http)
    if fmt.key == "sse":
        return OpenAICompatible(base + "/v1", http=http)
    return Ollama(base, http=http)


async def read_raw(url: str) -> tuple[float, int]:
    async with aiohttp.ClientSession(trust_env=False) as session, asyncio.timeout(READ_LIMIT):
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
    async with aiohttp.ClientSession(trust_env=False) as session, asyncio.timeout(READ_LIMIT):
        started = time.perf_counter()
        async with session.post(url, json={"stream": True}) as response:
            async for chunk in response.content.iter_any():
                pieces += decode(chunk)
        pieces += decode(None)
        elapsed = time.perf_counter() - started
    return elapsed, "".join(pieces)


async def read_provider(fmt: WireFormat, base: str) -> tuple[float, str]:
    async with HttpClient(NetworkConfig()) as http, asyncio.timeout(READ_LIMIT):
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
    mode: str
    format: str
    provider: str
    events: int
    wire_bytes: int
    text_bytes: int
    raw_seconds: float
    minimal_seconds: float
    provider_seconds: float
    raw_wire_mb_s: float
    minimal_wire_mb_s: float
    provider_wire_mb_s: float
    raw_events_s: float
    minimal_us_per_event: float
    provider_us_per_event: float
    ratio: float  # provider wire bytes/s over raw wire bytes/s
    minimal_ratio: float
    goal: float | None  # live mode only
    met: bool | None


async def measure(mode: str, fmt: WireFormat, server: str, answer: Answer, repeats: int) -> Result:
    base = f"{server}/{'live' if mode == 'live' else 'bulk'}"
    url = base + fmt.path
    wire = len(answer.wire)
    await read_raw(url)  # warm-up: imports, first connection, the server's first answer
    await read_provider(fmt, base)
    raw_best = minimal_best = provider_best = float("inf")
    for _ in range(repeats):  # interleaved, so a burst of other load hits all readers alike
        raw_seconds, received = await read_raw(url)
        if received != wire:
            raise SystemExit(f"{fmt.label}: raw read got {received} bytes, expected {wire}")
        minimal_seconds, minimal_text = await read_minimal(fmt, url)
        provider_seconds, provider_text = await read_provider(fmt, base)
        if provider_text != answer.text or minimal_text != answer.text:
            raise SystemExit(f"{fmt.label} ({mode}): the decoded text differs from the text sent")
        raw_best = min(raw_best, raw_seconds)
        minimal_best = min(minimal_best, minimal_seconds)
        provider_best = min(provider_best, provider_seconds)
    ratio = raw_best / provider_best
    goal = fmt.goal if mode == "live" else None
    return Result(
        mode=mode,
        format=fmt.key,
        provider=fmt.label,
        events=answer.events,
        wire_bytes=wire,
        text_bytes=len(answer.text.encode()),
        raw_seconds=raw_best,
        minimal_seconds=minimal_best,
        provider_seconds=provider_best,
        raw_wire_mb_s=wire / MB / raw_best,
        minimal_wire_mb_s=wire / MB / minimal_best,
        provider_wire_mb_s=wire / MB / provider_best,
        raw_events_s=answer.events / raw_best,
        minimal_us_per_event=minimal_best / answer.events * 1e6,
        provider_us_per_event=provider_best / answer.events * 1e6,
        ratio=ratio,
        minimal_ratio=raw_best / minimal_best,
        goal=goal,
        met=None if goal is None else ratio >= goal,
    )


def print_live(results: list[Result]) -> None:
    header = (
        f"{'live server':<17} {'events':>7} {'wire MB':>7} {'raw MB/s':>8} {'raw ev/s':>9} "
        f"{'min MB/s':>8} {'prov MB/s':>9} {'min/raw':>7} {'prov/raw':>8} {'goal':>5}  result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.provider:<17} {r.events:>7} {r.wire_bytes / MB:>7.1f} {r.raw_wire_mb_s:>8.1f} "
            f"{r.raw_events_s:>9.0f} {r.minimal_wire_mb_s:>8.1f} {r.provider_wire_mb_s:>9.1f} "
            f"{r.minimal_ratio:>6.2f}x {r.ratio:>7.2f}x {r.goal or 0:>4.1f}x  {'met' if r.met else 'MISSED'}"
        )


def print_cpu(results: list[Result]) -> None:
    header = (
        f"{'cpu-bound':<17} {'events':>7} {'wire MB':>7} {'raw MB/s':>8} {'min MB/s':>8} {'prov MB/s':>9} "
        f"{'min µs/ev':>9} {'prov µs/ev':>10} {'prov/min':>8} {'prov/raw':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.provider:<17} {r.events:>7} {r.wire_bytes / MB:>7.1f} {r.raw_wire_mb_s:>8.0f} "
            f"{r.minimal_wire_mb_s:>8.1f} {r.provider_wire_mb_s:>9.1f} {r.minimal_us_per_event:>9.3f} "
            f"{r.provider_us_per_event:>10.3f} {r.ratio / r.minimal_ratio:>7.2f}x {r.ratio:>7.2f}x"
        )


def profile_provider(fmt: WireFormat, base: str, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(read_provider(fmt, base))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return f"--- profile: {fmt.label}, {base.rsplit('/', 1)[-1]} (sorted by own time) ---\n" + out.getvalue()


def run(args: argparse.Namespace, plan: ServerPlan, server: str) -> list[Result]:
    results: list[Result] = []
    for mode in args.modes:
        for fmt in FORMATS:
            if mode == "live":
                answer = build_answer(fmt, plan.live_tokens, plan.seed)
            else:
                answer = build_answer(fmt, tokens_for_wire(fmt, plan.bulk_bytes, plan.seed), plan.seed)
            results.append(asyncio.run(measure(mode, fmt, server, answer, args.repeats)))
    print(
        f"Stream throughput on loopback, best of {args.repeats}; Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}; the server is a separate process"
    )
    if "live" in args.modes:
        print_live([r for r in results if r.mode == "live"])
        print(
            "live: one server write per event, as fast as the server can. raw = aiohttp iter_any(), no "
            "decoding; min = raw + the least decoding; prov = the provider class. MB/s are wire bytes; "
            "x/raw = raw time / x time (1.00x: keeps up with the server)."
        )
    if "cpu" in args.modes:
        print_cpu([r for r in results if r.mode == "cpu"])
        print(
            "cpu-bound: the answer written in 16 KiB slices, so raw is a memory copy; µs/ev = client time "
            "per event (token); prov/min = the provider's overhead over the least decoding."
        )
    if args.profile:
        for mode in args.modes:
            for fmt in FORMATS:
                print(profile_provider(fmt, f"{server}/{'live' if mode == 'live' else 'bulk'}", top=18))
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="small answers, two rounds: a few seconds")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    parser.add_argument("--profile", action="store_true", help="profile each provider run with cProfile")
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both", help="which measurements")
    parser.add_argument("--live-tokens", type=int, help="tokens per live answer (default 131072, smoke 8192)")
    parser.add_argument("--mb", type=float, help="wire megabytes per cpu-bound answer (default 32, smoke 4)")
    parser.add_argument("--repeats", type=int, help="rounds per format, best kept (default 5, smoke 2)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    args.modes = MODES if args.mode == "both" else (args.mode,)
    if args.repeats is None:
        args.repeats = 2 if args.smoke else 5
    args.repeats = max(1, min(args.repeats, 50))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = ServerPlan(
        live_tokens=args.live_tokens or (8192 if args.smoke else 131072),
        bulk_bytes=int((args.mb if args.mb is not None else (4.0 if args.smoke else 32.0)) * MB),
        seed=args.seed,
    )
    # A separate process: the server must not share the client's core or event loop.
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    server = context.Process(target=serve, args=(child_end, plan), daemon=True)
    server.start()
    child_end.close()
    try:
        if not parent_end.poll(SERVER_START_LIMIT):
            raise SystemExit(f"the benchmark server did not start within {SERVER_START_LIMIT:.0f} s")
        results = run(args, plan, f"http://127.0.0.1:{parent_end.recv()}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(OSError):
            parent_end.send("stop")
        server.join(5)
        if server.is_alive():
            server.terminate()
            server.join(5)
        if server.is_alive():
            server.kill()
            server.join()
    if args.json:
        summary = {
            "benchmark": "stream_throughput",
            "smoke": args.smoke,
            "repeats": args.repeats,
            "live_tokens": plan.live_tokens,
            "python": platform.python_version(),
            "aiohttp": aiohttp.__version__,
            "results": [asdict(r) for r in results],
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
