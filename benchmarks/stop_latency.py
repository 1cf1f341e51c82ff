"""Stop latency: from Stop pressed to the server seeing the connection close.

The real app (offscreen, real services in a temporary folder) streams from a local
OpenAI-compatible server in a separate process that never ends the answer; a random 100-300 ms
after the first text shows, the benchmark clicks the composer's Stop button. The server notes the
moment its handler is cancelled by the disconnect (aiohttp handler cancellation), on the same
CLOCK_MONOTONIC as the click, so latency = server-side disconnect - click. Measured while the
answer streams at 500 tok/s (a typical fast API) and at 5,000 tok/s (the window busy rendering).

Baseline in the same run and process: a bare aiohttp reader task on the same loop, same server
and rate, cancelled after the same delay.

Goal: p99 < 100 ms (both rates).

    python benchmarks/stop_latency.py            # 25 stops per rate and reader (~40 s)
    python benchmarks/stop_latency.py --smoke    # 4 each (~10 s)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, Report, Summary, below, offscreen_environment, parser, run_main

RATES = (500, 5_000)
GOAL_MS = 100.0
ENDLESS = 10**9  # tokens: the server never ends the answer on its own


async def stop_in_window(window: Any, server: Any, tap: Any, rate: int, delay: float) -> float:
    """Send, wait for text on screen plus `delay`, click Stop; ms until the server saw the close."""
    from _app_driver import type_and_send
    from _qt_probes import wait_until
    from _stream_server import StreamPlan
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    server.drain()
    server.plan(StreamPlan(tokens=ENDLESS, rate=rate))
    tap.reset()
    type_and_send(window, "Tell me everything you know")
    await wait_until(lambda: window.composer.streaming and tap.chars > 0, 15)
    await asyncio.sleep(delay)
    clicked = time.monotonic_ns()
    QTest.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    record = await server.next_record_async(10)
    if record.disconnected_ns is None:
        raise RuntimeError("the server saw no disconnect after Stop")
    await wait_until(lambda: not window.composer.streaming, 5)
    return float(record.disconnected_ns - clicked) / 1e6


async def stop_bare(base_url: str, server: Any, rate: int, delay: float) -> float:
    """The same with a bare aiohttp reader task, cancelled."""
    import aiohttp
    from _stream_server import StreamPlan

    server.drain()
    server.plan(StreamPlan(tokens=ENDLESS, rate=rate))
    first = asyncio.Event()

    async def read() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(base_url + "/chat/completions", json={"stream": True}) as response,
        ):
            async for _chunk in response.content.iter_any():
                first.set()

    task = asyncio.get_running_loop().create_task(read())
    try:
        await asyncio.wait_for(first.wait(), 15)
        await asyncio.sleep(delay)
        cancelled = time.monotonic_ns()
        task.cancel()
        record = await server.next_record_async(10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if record.disconnected_ns is None:
        raise RuntimeError("the server saw no disconnect after the cancel")
    return float(record.disconnected_ns - cancelled) / 1e6


def main(args: Any, report: Report) -> None:
    offscreen_environment()
    from _app_driver import install_arrival_tap, prepare_data_dir, run_app
    from _stream_server import StreamServer

    count = 4 if args.smoke else 25
    rng = random.Random(args.seed)
    delays = [rng.uniform(0.1, 0.3) for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp, StreamServer(4_000, args.seed) as server:
        data_dir = Path(tmp)
        prepare_data_dir(data_dir, server.base_url)
        tap = install_arrival_tap()

        async def scenario(window: Any) -> dict[str, list[float]]:
            await asyncio.sleep(0.5)
            results: dict[str, list[float]] = {}
            for rate in RATES:
                ours, bare = [], []
                for index, delay in enumerate(delays):
                    if index % 10 == 0:
                        window.conversations.new_chat()  # keep the request small
                    ours.append(await stop_in_window(window, server, tap, rate, delay))
                    bare.append(await stop_bare(server.base_url, server, rate, delay))
                results[f"parley {rate}"], results[f"bare {rate}"] = ours, bare
            return results

        results = run_app(data_dir, scenario, limit_s=60 + count * 8)
    for rate in RATES:
        ours, bare = Summary.of(results[f"parley {rate}"]), Summary.of(results[f"bare {rate}"])
        at = f"@ {rate:,} tok/s"
        report.add(
            Figure(f"Stop -> server sees close, p50 {at}", ours.p50, "ms", bare.p50, "bare aiohttp cancel")
        )
        p99 = report.add(
            Figure(f"Stop -> server sees close, p99 {at}", ours.p99, "ms", bare.p99, "bare aiohttp cancel")
        )
        p99.goal, p99.met = f"< {GOAL_MS:.0f} ms", below(ours.p99, GOAL_MS)
        report.add(
            Figure(f"Stop -> server sees close, max {at}", ours.max, "ms", bare.max, "bare aiohttp cancel")
        )
    report.details = {"stops_per_rate": count, "latencies_ms": results}
    report.note(f"{count} stops per rate, 100-300 ms after the first text; the answer never ends by itself")


def entry(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    report = Report(
        "stop_latency", args.smoke, "Stop latency: Stop clicked -> the server sees the disconnect"
    )
    return run_main(main, args, report)


if __name__ == "__main__":
    sys.exit(entry())
