"""`parley ask` as a real subprocess against real local servers (spec/cli.md): exact stdout bytes,
one-line failures, exit codes, stdin, a closed stdout, Ctrl+C, the API key and history.

The child never sees the developer's keychain (keyring's fail backend), proxies or API key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from desktop_app.core.preferences import Preferences, ProviderProfile, ProxyMode
from desktop_app.storage.settings import Keys, Settings
from tests.support.proxies import HttpProxy
from tests.support.server import Handler, ScriptedServer, sse, stream_chunks

WAIT = 45.0  # upper bound for a child run; passing runs take about a second (busy: several)
KEY = "sk-parley-test-0123456789abcdef"
HELLO = "Привет, 世界! 😀"


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def error_line(self) -> str:
        text = self.stderr.decode("utf-8")
        assert text.endswith("\n"), f"not a line: {text!r}"
        assert text.count("\n") == 1, f"not one line: {text!r}"
        assert "Traceback" not in text
        return text


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PARLEY_API_KEY" and not k.lower().endswith("_proxy") and not k.startswith("PYTHON_KEYRING")
    }
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("PYTHONWARNINGS", None)
    env.update(extra)
    return env


# `python -m desktop_app` with Ctrl+C handled as in a terminal even when this test run was started
# with SIGINT ignored (a background job of a non-interactive shell: the ignored disposition is
# inherited through exec, and Python then leaves Ctrl+C ignored, as it should for such a job).
_INTERRUPTIBLE = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'parley'; runpy.run_module('desktop_app', run_name='__main__', alter_sys=True)"
)


async def start(
    data_dir: Path,
    *args: str,
    stdin: int | None = asyncio.subprocess.DEVNULL,
    stdout: int | None = None,
    interruptible: bool = False,
    **env: str,
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *(("-c", _INTERRUPTIBLE) if interruptible else ("-m", "desktop_app")),
        "ask",
        "--data-dir",
        str(data_dir),
        *args,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE if stdout is None else stdout,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(**env),
    )


async def ask(data_dir: Path, *args: str, stdin: bytes | None = None, **env: str) -> Run:
    proc = await start(data_dir, *args, stdin=asyncio.subprocess.PIPE if stdin is not None else None, **env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), WAIT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Run(proc.returncode, out, err)


def saved(data_dir: Path) -> list[tuple[str, str, str]]:
    """(role, content, status) of every stored message, read without opening the store (which
    would mark a still-streaming answer as interrupted)."""
    path = data_dir / "history.sqlite3"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return list(db.execute("SELECT role, content, status FROM messages ORDER BY id"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Answers -----------------------------------------------------------------------------------------


async def test_yqcloud_answer_is_printed_exactly_and_saved(server: ScriptedServer, tmp_path: Path) -> None:
    raw = HELLO.encode()
    parts = [raw[:1], raw[1:3], raw[3:15], raw[15:-2], raw[-2:]]  # splits inside characters

    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, parts, delay=0.01)

    server.handle = handle
    run = await ask(
        tmp_path, "--base-url", server.url("/api/generateStream"), "Как дела?", PARLEY_API_KEY=KEY
    )

    assert (run.returncode, run.stdout, run.stderr) == (0, HELLO.encode() + b"\n", b"")
    seen = server.requests[0]
    assert seen.path == "/api/generateStream"
    assert json.loads(seen.body)["prompt"] == "Как дела?"
    # The key belongs to keyed providers only: Yqcloud never sees it.
    assert KEY.encode() not in seen.body
    assert all(KEY not in value for _, value in seen.raw_headers)
    assert saved(tmp_path) == [("user", "Как дела?", "complete"), ("assistant", HELLO, "complete")]


async def test_openai_answer_key_and_reasoning(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        chunks = sse(
            {"reasoning_content": "thinking..."}, {"content": "Hel"}, {"content": "lo\n"}, {"content": " ✓"}
        )
        return await stream_chunks(request, chunks, content_type="text/event-stream")

    server.handle = handle
    run = await ask(
        tmp_path,
        "--provider",
        "openai",
        "--base-url",
        server.url("/v1"),
        "--model",
        "SmolLM2",
        "--system",
        "Be brief.",
        "hi",
        PARLEY_API_KEY=KEY,
    )
    assert (run.returncode, run.stderr) == (0, b"")
    assert run.stdout == "Hello\n ✓\n".encode()  # the answer as sent, then one newline; no reasoning
    seen = server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert ("Authorization", f"Bearer {KEY}") in seen.raw_headers
    body = json.loads(seen.body)
    assert body["model"] == "SmolLM2"
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


async def test_without_a_key_or_keychain_a_keyless_server_still_answers(
    server: ScriptedServer, tmp_path: Path
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, sse({"content": "ok"}), content_type="text/event-stream")

    server.handle = handle
    run = await ask(tmp_path, "--provider", "openai", "--base-url", server.url("/v1"), "hi")
    assert (run.returncode, run.stdout, run.stderr) == (0, b"ok\n", b"")
    assert not any(name.lower() == "authorization" for name, _ in server.requests[0].raw_headers)


async def test_the_saved_current_profile_is_the_default(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"from the profile"])

    server.handle = handle
    profile = ProviderProfile("mirror", "yqcloud", "Mirror", server.url("/mirror/generate"))
    Settings(tmp_path / "settings.ini").save(Preferences(current_profile="mirror", profiles=(profile,)))

    run = await ask(tmp_path, "hi")
    assert (run.returncode, run.stdout, run.stderr) == (0, b"from the profile\n", b"")
    assert server.requests[0].path == "/mirror/generate"


async def test_the_prompt_can_come_from_stdin(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"read it"])

    server.handle = handle
    prompt = "Line one — строка\nline two\n"
    run = await ask(tmp_path, "--base-url", server.url("/y"), "--no-save", "-", stdin=prompt.encode())
    assert (run.returncode, run.stdout, run.stderr) == (0, b"read it\n", b"")
    assert json.loads(server.requests[0].body)["prompt"] == prompt.rstrip("\n")


async def test_no_save_leaves_history_empty(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"not kept"])

    server.handle = handle
    run = await ask(tmp_path, "--base-url", server.url("/y"), "--no-save", "secret question")
    assert (run.returncode, run.stdout) == (0, b"not kept\n")
    assert saved(tmp_path) == []


# Failures: one line on stderr, exit 1 ------------------------------------------------------------


async def test_401_is_one_line_and_never_shows_the_key(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        # Like OpenAI, the server quotes the rejected key back.
        message = f"Incorrect API key provided: {request.headers['Authorization'].removeprefix('Bearer ')}"
        return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=401)

    server.handle = handle
    run = await ask(
        tmp_path, "--provider", "openai", "--base-url", server.url("/v1"), "hi", PARLEY_API_KEY=KEY
    )
    line = run.error_line
    assert (run.returncode, run.stdout) == (1, b"")
    assert "HTTP 401" in line
    assert "Incorrect API key provided" in line
    assert KEY not in line
    assert KEY[:12] not in line
    log = tmp_path / "parley.log"
    assert KEY not in (log.read_text(encoding="utf-8") if log.exists() else "")
    assert [(role, status) for role, _, status in saved(tmp_path)] == [
        ("user", "complete"),
        ("assistant", "error"),
    ]


async def test_connection_refused(tmp_path: Path) -> None:
    run = await ask(tmp_path, "--base-url", f"http://127.0.0.1:{closed_port()}/api", "hi")
    assert run.returncode == 1
    assert "connection refused" in run.error_line
    assert run.stdout == b""


async def test_an_html_page_is_an_error(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text="<!DOCTYPE html><html><title>Just a moment...</title></html>", content_type="text/html"
        )

    server.handle = handle
    run = await ask(tmp_path, "--base-url", server.url("/y"), "hi")
    assert run.returncode == 1
    assert "HTML page" in run.error_line
    assert run.stdout == b""


async def test_a_stalled_server_times_out(server: ScriptedServer, tmp_path: Path) -> None:
    release = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(b"partial")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), WAIT)
        return response

    server.handle = handle
    started = time.monotonic()
    run = await ask(tmp_path, "--base-url", server.url("/y"), "--timeout", "0.5", "hi")
    release.set()
    assert run.returncode == 1
    assert "timed out" in run.error_line
    assert run.stdout == b"partial\n"  # the partial line is ended before the error
    assert time.monotonic() - started < 10
    assert saved(tmp_path)[-1] == ("assistant", "partial", "error")


async def test_a_refused_proxy_is_one_line_without_its_password(tmp_path: Path) -> None:
    proxy = f"http://me:hunter2-secret@127.0.0.1:{closed_port()}"
    run = await ask(tmp_path, "--proxy", proxy, "--base-url", "http://127.0.0.1:9/y", "hi")
    assert run.returncode == 1
    line = run.error_line
    assert "proxy" in line
    assert "hunter2" not in line


# Proxies -----------------------------------------------------------------------------------------


@pytest.fixture
async def http_proxy() -> AsyncIterator[HttpProxy]:
    proxy = HttpProxy()
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


async def test_a_proxy_from_the_command_line_is_named_as_such_in_the_hint(tmp_path: Path) -> None:
    run = await ask(
        tmp_path, "--proxy", f"http://127.0.0.1:{closed_port()}", "--base-url", "http://127.0.0.1:9/y", "hi"
    )
    assert run.returncode == 1
    line = run.error_line
    assert line.endswith(" — Check the proxy address, port and credentials given with --proxy.\n"), line
    assert "Preferences" not in line


async def test_a_saved_proxy_is_named_as_the_setting_in_the_hint(tmp_path: Path) -> None:
    Settings(tmp_path / "settings.ini").update(
        {Keys.PROXY_MODE: ProxyMode.MANUAL, Keys.PROXY_HOST: "127.0.0.1", Keys.PROXY_PORT: closed_port()}
    )
    run = await ask(tmp_path, "--base-url", "http://example.invalid/y", "hi")
    assert run.returncode == 1
    line = run.error_line
    assert line.endswith(" — Check the proxy address, port and credentials in Preferences → Network.\n"), line
    assert "--proxy" not in line


async def test_a_dropped_connection_through_the_given_proxy_points_at_the_option(
    server: ScriptedServer, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()  # closed before any answer
        return web.Response()

    server.handle = handle
    run = await ask(tmp_path, "--proxy", http_proxy.url(), "--base-url", server.url("/y"), "hi")
    assert run.returncode == 1
    line = run.error_line
    assert line.endswith(" — Check the address, your network and the proxy given with --proxy.\n"), line


async def test_an_explicit_proxy_applies_even_to_loopback(
    server: ScriptedServer, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"via proxy"])

    server.handle = handle
    run = await ask(tmp_path, "--proxy", http_proxy.url(), "--base-url", server.url("/y"), "hi")
    assert (run.returncode, run.stdout, run.stderr) == (0, b"via proxy\n", b"")
    assert [(hit.host, hit.port) for hit in http_proxy.hits] == [("127.0.0.1", server.port)]


async def test_the_saved_proxy_is_used_and_no_proxy_skips_it(
    server: ScriptedServer, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"ok"])

    server.handle = handle
    Settings(tmp_path / "settings.ini").update(
        {
            Keys.PROXY_MODE: ProxyMode.MANUAL,
            Keys.PROXY_HOST: "127.0.0.1",
            Keys.PROXY_PORT: http_proxy.port,
            Keys.PROXY_LOOPBACK: True,  # the target is a local server
        }
    )
    run = await ask(tmp_path, "--base-url", server.url("/y"), "hi")
    assert (run.returncode, run.stdout) == (0, b"ok\n")
    assert len(http_proxy.hits) == 1

    run = await ask(tmp_path, "--no-proxy", "--base-url", server.url("/y"), "hi")
    assert (run.returncode, run.stdout) == (0, b"ok\n")
    assert len(http_proxy.hits) == 1  # went direct
    assert len(server.requests) == 2


async def test_system_proxy_mode_reads_the_environment(
    server: ScriptedServer, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"ok"])

    server.handle = handle
    Settings(tmp_path / "settings.ini").update({Keys.PROXY_MODE: ProxyMode.SYSTEM, Keys.PROXY_LOOPBACK: True})
    run = await ask(tmp_path, "--base-url", server.url("/y"), "hi", http_proxy=http_proxy.url())
    assert (run.returncode, run.stdout) == (0, b"ok\n")
    assert len(http_proxy.hits) == 1


async def test_a_proxy_password_the_keychain_cannot_give_is_one_line(tmp_path: Path) -> None:
    Settings(tmp_path / "settings.ini").update(
        {Keys.PROXY_MODE: ProxyMode.MANUAL, Keys.PROXY_HOST: "127.0.0.1", Keys.PROXY_USER: "me"}
    )
    run = await ask(tmp_path, "--base-url", "http://127.0.0.1:9/y", "hi")
    assert run.returncode == 1
    assert run.error_line == (
        "parley: The proxy password could not be read: No secure keychain is available "
        "(keyring's fail backend); the saved key could not be read.\n"
    )


# Usage errors: exit 2 ----------------------------------------------------------------------------


async def test_an_unknown_provider_is_a_usage_error(tmp_path: Path) -> None:
    run = await ask(tmp_path, "--provider", "nonesuch", "hi")
    assert run.returncode == 2
    assert run.error_line.startswith("parley: error: Unknown provider 'nonesuch'")


async def test_a_bad_proxy_url_is_a_usage_error(tmp_path: Path) -> None:
    run = await ask(tmp_path, "--proxy", "gopher://127.0.0.1:70", "hi")
    assert run.returncode == 2
    assert "--proxy" in run.error_line


# Closed stdout and Ctrl+C ------------------------------------------------------------------------


def slow_stream(first: bytes, release: asyncio.Event) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        await response.write(first)
        for _ in range(200):  # bounded: at most ~20 s of "more"
            if release.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), 0.1)
            await response.write(b" more")
        await response.write_eof()
        return response

    return handle


@contextlib.asynccontextmanager
async def read_pipe() -> AsyncIterator[tuple[int, asyncio.StreamReader, asyncio.ReadTransport]]:
    """A pipe whose read end is ours (asyncio) and whose write end becomes the child's stdout."""
    read_fd, write_fd = os.pipe()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
    )
    try:
        yield write_fd, reader, transport
    finally:
        transport.close()
        with contextlib.suppress(OSError):
            os.close(write_fd)


async def test_a_closed_stdout_ends_quietly_and_drops_the_connection(
    server: ScriptedServer, tmp_path: Path
) -> None:
    release = asyncio.Event()
    server.handle = slow_stream(b"hello world", release)
    async with read_pipe() as (write_fd, reader, transport):
        proc = await start(tmp_path, "--base-url", server.url("/y"), "hi", stdout=write_fd)
        os.close(write_fd)  # the child holds the only write end now
        try:
            assert await asyncio.wait_for(reader.readexactly(5), WAIT) == b"hello"  # like `head -c 5`
            transport.close()
            stderr = await asyncio.wait_for(proc.stderr.read(), WAIT)  # type: ignore[union-attr]
            returncode = await asyncio.wait_for(proc.wait(), WAIT)
        finally:
            release.set()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert stderr == b""
    assert returncode == 0
    await asyncio.wait_for(server.disconnected.wait(), WAIT)
    role, content, status = saved(tmp_path)[-1]
    assert (role, status) == ("assistant", "stopped")
    assert content.startswith("hello world")


async def test_ctrl_c_stops_promptly_saves_the_partial_answer_and_exits_130(
    server: ScriptedServer, tmp_path: Path
) -> None:
    release = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        await response.write("partial ответ".encode())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), WAIT)  # stalls until the test ends
        return response

    server.handle = handle
    proc = await start(tmp_path, "--base-url", server.url("/y"), "hi", interruptible=True)
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = await asyncio.wait_for(proc.stdout.readexactly(len("partial ответ".encode())), WAIT)
        assert first == "partial ответ".encode()
        printed_at = time.monotonic()

        # The growing answer reaches the database within ~500 ms although the stream is stalled,
        # so a kill -9 now would lose nothing.
        for _ in range(100):  # bounded: 5 s
            if saved(tmp_path)[-1:] == [("assistant", "partial ответ", "streaming")]:
                break
            await asyncio.sleep(0.05)
        assert saved(tmp_path)[-1] == ("assistant", "partial ответ", "streaming")
        assert time.monotonic() - printed_at < 1.0

        proc.send_signal(signal.SIGINT)
        interrupted_at = time.monotonic()
        returncode = await asyncio.wait_for(proc.wait(), WAIT)
        exit_time = time.monotonic() - interrupted_at
        rest = await proc.stdout.read()
        stderr = await proc.stderr.read()
    finally:
        release.set()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert returncode == 130
    assert exit_time < 1.0, f"took {exit_time:.2f} s"
    assert rest == b"\n"
    assert stderr == b""
    await asyncio.wait_for(server.disconnected.wait(), WAIT)
    assert saved(tmp_path)[-1] == ("assistant", "partial ответ", "stopped")


# The composition root ---------------------------------------------------------------------------
