"""`parley ask` as a real subprocess against real local servers (spec/cli.md): exact stdout bytes,
one-line failures, exit codes, stdin, a closed stdout, Ctrl+C, the API key and history.

The child never sees the developer's keychain (keyring's fail backend), proxies or API key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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

from desktop_app.cli import AnswerRecorder
from desktop_app.compose import Services, UnknownProviderError, build_services
from desktop_app.core.errors import HistoryError
from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, MessageStatus, Role
from desktop_app.core.preferences import Preferences, ProviderProfile, ProxyMode
from desktop_app.logs import Redactor, setup_logging
from desktop_app.storage.history import SqliteHistory
from desktop_app.storage.settings import Keys, Settings
from tests.support.proxies import HttpProxy
from tests.support.server import Handler, ScriptedServer, stream_chunks

WAIT = 20.0  # upper bound for a child run; passing runs take about a second
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


async def start(
    data_dir: Path,
    *args: str,
    stdin: int | None = asyncio.subprocess.DEVNULL,
    stdout: int | None = None,
    **env: str,
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "desktop_app",
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


def sse(*deltas: dict[str, object], done: bool = True) -> list[bytes]:
    events = [
        b"data: " + json.dumps({"choices": [{"index": 0, "delta": d}]}, ensure_ascii=False).encode() + b"\n\n"
        for d in deltas
    ]
    return [*events, b"data: [DONE]\n\n"] if done else events


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
    proc = await start(tmp_path, "--base-url", server.url("/y"), "hi")
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


class DictSecrets:
    """A keychain in a dict: the `SecretStore` protocol, for tests of what asks it."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self.items = dict(items or {})
        self.asked: list[str] = []

    async def get(self, key: str) -> str | None:
        self.asked.append(key)
        return self.items.get(key)

    async def set(self, key: str, value: str) -> None:
        self.items[key] = value

    async def delete(self, key: str) -> None:
        self.items.pop(key, None)


@contextlib.asynccontextmanager
async def services_in(tmp_path: Path, secrets: DictSecrets, **env: str) -> AsyncIterator[Services]:
    services = await build_services(tmp_path, secrets=secrets, env=env, open_history=False)
    try:
        yield services
    finally:
        await services.aclose()


async def test_provider_names_resolve_to_profiles(tmp_path: Path) -> None:
    local = ProviderProfile("local", "openai", "My Server", "http://127.0.0.1:8080/v1", "m")
    async with services_in(tmp_path, DictSecrets()) as services:
        assert services.resolve_profile(None).id == "yqcloud"  # nothing saved yet
        services.settings.save(Preferences(current_profile="local", profiles=(local,)))
        assert services.resolve_profile(None) == local
        assert services.resolve_profile("local") == local
        assert services.resolve_profile("my server") == local
        groq = services.resolve_profile("groq")
        assert (groq.kind, groq.base_url) == ("openai", "https://api.groq.com/openai/v1")
        assert services.resolve_profile("ollama").kind == "ollama"
        with pytest.raises(UnknownProviderError, match=r"'nope'.*local"):
            services.resolve_profile("nope")


async def test_the_keychain_key_goes_only_to_its_own_provider(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/chat/completions"):
            return await stream_chunks(request, sse({"content": "ok"}), content_type="text/event-stream")
        return await stream_chunks(request, [b"ok"])

    server.handle = handle
    local = ProviderProfile("local", "openai", "Local", server.url("/v1"), "m")
    secrets = DictSecrets({"api_key/local": "sk-from-keychain-123456"})
    async with services_in(tmp_path, secrets) as services:
        services.settings.save(Preferences(profiles=(local,)))
        request = ChatRequest((Message(Role.USER, "hi"),), model="m")
        for provider in (
            await services.provider_for("local"),
            await services.provider_for("yqcloud", base_url=server.url("/y")),
        ):
            async with contextlib.aclosing(provider.stream(request)) as events:
                assert [e async for e in events if isinstance(e, TextDelta)] == [TextDelta("ok")]
    assert secrets.asked == ["api_key/local"]  # Yqcloud takes no key: the keychain was not asked
    openai_seen, yqcloud_seen = server.requests
    assert ("Authorization", "Bearer sk-from-keychain-123456") in openai_seen.raw_headers
    assert not any(name.lower() == "authorization" for name, _ in yqcloud_seen.raw_headers)
    assert b"sk-from-keychain" not in yqcloud_seen.body


async def test_the_environment_key_comes_before_the_keychain(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, sse({"content": "ok"}), content_type="text/event-stream")

    server.handle = handle
    secrets = DictSecrets({"api_key/openai": "sk-from-keychain-123456"})
    async with services_in(tmp_path, secrets, PARLEY_API_KEY=KEY) as services:
        provider = await services.provider_for("openai", base_url=server.url("/v1"))
        request = ChatRequest((Message(Role.USER, "hi"),), model="m")
        async with contextlib.aclosing(provider.stream(request)) as events:
            _ = [e async for e in events]
        assert services.redactor(f"key {KEY}") == "key ***"
    assert secrets.asked == []
    assert ("Authorization", f"Bearer {KEY}") in server.requests[0].raw_headers


async def test_changed_network_settings_apply_to_new_providers(tmp_path: Path) -> None:
    async with services_in(tmp_path, DictSecrets()) as services:
        first = services.http
        assert first.config.timeout == 120
        services.settings.update({Keys.TIMEOUT: 7, Keys.TOTAL_TIMEOUT: 600})
        await services.reload_network()
        assert services.http is not first
        assert (services.http.config.timeout, services.http.config.total_timeout) == (7, 600)


# The log ------------------------------------------------------------------------------------------


def test_the_log_file_masks_secrets(tmp_path: Path) -> None:
    log_file = tmp_path / "parley.log"
    handler = setup_logging(log_file, Redactor([KEY]))
    logger = logging.getLogger("desktop_app.test")
    try:
        logger.warning("server said: Incorrect API key provided: %s", KEY)
        logger.warning("headers {'Authorization': 'Bearer abcdef0123456789'}")
        logger.warning("proxy socks5://bob:hunter2@127.0.0.1:1080 refused")
        logger.warning('body {"api_key": "zz-secret-zz", "model": "m"} and ?token=tok-secret-1&x=1')
        logger.warning("a key shaped like a key: sk-proj-AbCdEf0123456789")
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            logger.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    for secret in (KEY, "abcdef0123456789", "hunter2", "zz-secret-zz", "tok-secret-1", "AbCdEf0123456789"):
        assert secret not in text
    assert "socks5://bob:***@127.0.0.1:1080" in text
    assert "Bearer ***" in text
    assert '"model": "m"' in text
    assert "ValueError: bad key ***" in text  # the traceback is there, redacted


# The recorder that saves while streaming ---------------------------------------------------------


class TimedHistory(SqliteHistory):
    """The real store, also noting when each answer update arrived."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.updates: list[tuple[float, str, MessageStatus | None]] = []
        self.updated = asyncio.Event()

    def update_message(
        self, message_id: int, content: str, *, status: MessageStatus | None = None, error: str | None = None
    ) -> None:
        super().update_message(message_id, content, status=status, error=error)
        self.updates.append((asyncio.get_running_loop().time(), content, status))
        self.updated.set()


async def test_the_recorder_saves_a_stalled_answer_within_half_a_second(tmp_path: Path) -> None:
    with TimedHistory(tmp_path / "h.sqlite3") as history:
        recorder = AnswerRecorder(history, interval=0.5)
        recorder.start("q", system="", provider="Test", model="m")
        loop = asyncio.get_running_loop()
        started = loop.time()
        recorder.add("a")
        recorder.add("b")  # several pieces, one save
        await asyncio.wait_for(history.updated.wait(), 2)
        when, content, status = history.updates[0]
        assert (content, status) == ("ab", None)
        assert 0.4 <= when - started < 0.8

        history.updated.clear()
        recorder.add("c")
        await asyncio.wait_for(history.updated.wait(), 2)
        assert history.updates[1][1] == "abc"
        assert 0.4 <= history.updates[1][0] - history.updates[0][0] < 0.8

        recorder.add("d")
        recorder.finish(MessageStatus.STOPPED)  # at once, with everything received
        assert history.updates[-1][1:] == ("abcd", MessageStatus.STOPPED)
        assert len(history.updates) == 3
        conversation = history.list_conversations()[0]
        assert [(m.role, m.content, m.status) for m in history.messages(conversation.id)] == [
            (Role.USER, "q", MessageStatus.COMPLETE),
            (Role.ASSISTANT, "abcd", MessageStatus.STOPPED),
        ]


async def test_the_recorder_keeps_going_when_history_fails(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / "h.sqlite3")
    recorder = AnswerRecorder(history, interval=0.5)
    recorder.start("q", system="", provider="Test", model="m")
    history.close()  # every later write fails
    recorder.add("text")
    recorder.finish(MessageStatus.COMPLETE)
    assert isinstance(recorder.failure, HistoryError)
