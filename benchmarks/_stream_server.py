"""An OpenAI-compatible server in a separate process on 127.0.0.1 that streams the benchmark answer
at a set rate, so the client's loop cannot disturb its pacing (and the server does not take the
measured loop's time). It reports every stream back with CLOCK_MONOTONIC timestamps (shared by all
processes): when the request came, the first and last write, and when the client went away.

    with StreamServer(answer_tokens=30_000) as server:
        server.plan(StreamPlan(tokens=30_000, rate=5_000))
        ... the client streams from server.base_url ...
        record = server.next_record(timeout=30)
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import threading
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

from _answer import MODEL, SSE_END, answer_tokens, sse_event
from aiohttp import web

SERVER_LIFETIME = 30 * 60.0  # the server stops by itself even if its parent vanished
START_LIMIT = 60.0
HOLD_LIMIT = 120.0  # longest a held-open stream waits for its client to leave
STREAM_LIMIT = 600.0  # longest any one stream sends (an endless answer whose client never stops)


@dataclass(frozen=True)
class StreamPlan:
    tokens: int  # tokens to send (the answer is repeated if this is more than its length)
    rate: float = 0.0  # tokens per second; 0: as fast as the socket takes them
    hold_open: bool = False  # after the tokens, keep the stream open (no [DONE]) until the client leaves
    first_token: int = 0  # start at this token of the answer


@dataclass(frozen=True)
class StreamRecord:
    path: str
    plan: StreamPlan
    requested_ns: int
    first_write_ns: int | None
    last_write_ns: int | None  # the last token's write (before the ending events)
    tokens_sent: int
    disconnected_ns: int | None  # the client went away before the end (aiohttp handler cancellation)
    completed: bool


class StreamServer:
    def __init__(self, answer_tokens: int, seed: int = 2026) -> None:
        self._answer = (answer_tokens, seed)
        context = multiprocessing.get_context("spawn")
        self._control, child_control = context.Pipe()
        self._reports, child_reports = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve, args=(child_control, child_reports, self._answer), daemon=True
        )
        self._children = (child_control, child_reports)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> StreamServer:
        self._process.start()
        for end in self._children:
            end.close()
        if not self._control.poll(START_LIMIT):
            raise RuntimeError(f"the stream server did not start within {START_LIMIT:.0f} s")
        self.port = int(self._control.recv())
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(OSError):
            self._control.send(("stop", None))
        self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def plan(self, plan: StreamPlan) -> None:
        """The plan for the next requests (until another plan is set)."""
        self._control.send(("plan", asdict(plan)))
        if not self._control.poll(10):
            raise RuntimeError("the stream server did not take the plan")
        self._control.recv()

    def drain(self) -> None:
        """Forget records not read yet."""
        while self._reports.poll(0):
            self._reports.recv()

    def next_record(self, timeout: float) -> StreamRecord:
        """The next finished stream (blocking; see `next_record_async` on a running loop)."""
        if not self._reports.poll(timeout):
            raise TimeoutError(f"no stream finished on the server within {timeout:.0f} s")
        data = self._reports.recv()
        data["plan"] = StreamPlan(**data["plan"])
        return StreamRecord(**data)

    async def next_record_async(self, timeout: float) -> StreamRecord:
        """The same without blocking the loop: a thread waits on the pipe."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.next_record, timeout)


# -- the server process ------------------------------------------------------------------------


def _serve(control: Connection, reports: Connection, answer: tuple[int, int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    asyncio.run(_main(control, reports, answer))


async def _main(control: Connection, reports: Connection, answer: tuple[int, int]) -> None:
    events = [sse_event(token) for token in answer_tokens(*answer)]
    state: dict[str, StreamPlan] = {"plan": StreamPlan(tokens=len(events))}
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def report(record: StreamRecord) -> None:
        with contextlib.suppress(OSError):
            reports.send({**asdict(record), "plan": asdict(record.plan)})

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        requested = time.monotonic_ns()
        await request.read()
        plan = state["plan"]
        first = last = None
        sent = 0
        try:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            started = time.monotonic()
            while sent < plan.tokens and time.monotonic() - started < STREAM_LIMIT:
                due = (
                    plan.tokens
                    if plan.rate <= 0
                    else min(plan.tokens, int((time.monotonic() - started) * plan.rate) + 1)
                )
                if due <= sent:
                    await asyncio.sleep(max(0.0, sent / plan.rate - (time.monotonic() - started)))
                    continue
                due = min(due, sent + 4096)  # one write carries at most 4096 events
                start = plan.first_token + sent
                batch = b"".join(events[i % len(events)] for i in range(start, start + due - sent))
                await response.write(batch)
                last = time.monotonic_ns()
                first = first or last
                sent = due
            if plan.hold_open:
                await asyncio.sleep(HOLD_LIMIT)
            await response.write(SSE_END)
            await response.write_eof()
        except (asyncio.CancelledError, ConnectionResetError):
            report(StreamRecord(request.path, plan, requested, first, last, sent, time.monotonic_ns(), False))
            raise
        report(StreamRecord(request.path, plan, requested, first, last, sent, None, True))
        return response

    def control_thread() -> None:
        with contextlib.suppress(EOFError, OSError):
            deadline = time.monotonic() + SERVER_LIFETIME
            while control.poll(max(0.0, deadline - time.monotonic())):
                kind, value = control.recv()
                if kind == "stop":
                    break
                if kind == "plan":
                    state["plan"] = StreamPlan(**value)  # one atomic store; requests read it
                    control.send("ok")
        loop.call_soon_threadsafe(stopped.set)

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    # handler_cancellation: a client that disconnects cancels the handler at once, so the record
    # says exactly when the connection dropped.
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        control.send(runner.addresses[0][1])
        threading.Thread(target=control_thread, daemon=True).start()
        await stopped.wait()
    finally:
        await runner.cleanup()
