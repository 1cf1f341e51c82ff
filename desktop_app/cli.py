"""`parley ask`: one answer streamed to stdout, no window (contract: shared/spec/cli.md).

    parley ask [--provider NAME] [--base-url URL] [--model M] [--system TEXT] [--timeout S]
               [--proxy URL | --no-proxy] [--attach PATH]... [--no-save] [--data-dir PATH] PROMPT|-

`__main__.py` reads the command line (with `add_ask_options` for this command) and calls
`run_ask`. The answer goes to stdout exactly as received, flushed as it arrives, then one newline.
Exit codes: 0 done (also when stdout was closed by the reader, e.g. `| head`); 1 failure, one line
on stderr; 2 usage error (bad option values, including a malformed `--proxy` or `--base-url`, an
unknown provider or an empty prompt); 130 interrupted (Ctrl+C), the partial answer saved as
stopped. Services come from `compose.py`; nothing here reaches widgets (an import contract in
pyproject.toml checks it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final
from urllib.parse import urlsplit

from desktop_app.chat.save_pacing import SAVE_INTERVAL_S, SavePacer
from desktop_app.compose import API_KEY_ENV, NetworkOverrides, UnknownProviderError, build_services
from desktop_app.core.attachments import ImagePart, Part
from desktop_app.core.errors import ConfigurationError, HistoryError, ParleyError, ProviderError
from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, MessageStatus, Role
from desktop_app.core.ports import ChatProvider, HistoryStore
from desktop_app.logs import Redactor, report, setup_logging
from desktop_app.net.proxy import parse_proxy
from desktop_app.storage.paths import resolve_paths

if TYPE_CHECKING:
    from desktop_app.attachments import AttachmentLimits

log = logging.getLogger(__name__)

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2  # as for the errors argparse finds in __main__
EXIT_INTERRUPTED: Final = 130
PROXY_OPTION: Final = "given with --proxy"  # where hints say the proxy is, when it came from there


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 86_400):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0, e.g. 30")
    return value


def _proxy_url(text: str) -> str:
    try:
        parse_proxy(text)
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// address")
    return text


def add_ask_options(parser: argparse.ArgumentParser) -> None:
    """`parley ask`'s description, options and PROMPT, on the parser `__main__` made for it
    (which also gives it the global `--data-dir`)."""
    parser.description = "Stream one answer to stdout. Exit 0 done, 1 failure, 2 usage error, 130 Ctrl+C."
    parser.add_argument(
        "--provider",
        metavar="NAME",
        help="yqcloud, openai, ollama, a preset or a saved profile (default: the saved one, else yqcloud)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        type=_base_url,
        help="openai: the API base incl. /v1; ollama: the server root; yqcloud: the endpoint URL",
    )
    parser.add_argument("--model", metavar="NAME", help="model id (yqcloud has one model)")
    parser.add_argument("--system", metavar="TEXT", help="system message")
    parser.add_argument("--timeout", metavar="SECONDS", type=_seconds, help="connect and idle timeout")
    proxy = parser.add_mutually_exclusive_group()
    proxy.add_argument("--proxy", metavar="URL", type=_proxy_url, help="proxy for every request")
    proxy.add_argument("--no-proxy", action="store_true", help="ignore the saved proxy")
    parser.add_argument(
        "--attach",
        metavar="PATH",
        action="append",
        type=Path,
        default=[],
        help="send a file with the prompt: image, text or code, PDF, DOCX, XLSX, CSV (repeatable)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not save this exchange to history")
    parser.add_argument("prompt", metavar="PROMPT", help="the question, or - to read it from stdin")


def run_ask(args: argparse.Namespace) -> int:
    try:
        prompt = _read_prompt(args.prompt)
        if not prompt.strip():
            report("error: the prompt is empty (see parley ask --help)")
            return EXIT_USAGE
        return asyncio.run(_ask(args, prompt))
    except KeyboardInterrupt:  # asyncio.run turns Ctrl+C into this after the stream was stopped
        return EXIT_INTERRUPTED


def _read_prompt(argument: str) -> str:
    if argument != "-":
        return argument
    if sys.stdin is None:
        return ""
    # Bytes, decoded as UTF-8 whatever the locale; the final newline of a piped file is not prose.
    return sys.stdin.buffer.read().decode("utf-8", errors="replace").rstrip("\r\n")


async def _ask(args: argparse.Namespace, prompt: str) -> int:
    redactor = Redactor([os.environ.get(API_KEY_ENV, "")])
    data_dir: Path | None = args.data_dir
    try:
        log_file = resolve_paths(data_dir).log_file
    except OSError as exc:
        report(str(exc), redactor)
        return EXIT_FAILURE
    handler = setup_logging(log_file, redactor)
    try:
        return await _ask_logged(args, prompt, redactor)
    except Exception as exc:  # a bug: the traceback goes to the log, the user gets one line
        log.exception("parley ask failed")
        report(f"unexpected error ({type(exc).__name__}); details in {log_file}", redactor)
        return EXIT_FAILURE
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


async def _ask_logged(args: argparse.Namespace, prompt: str, redactor: Redactor) -> int:
    overrides = NetworkOverrides(proxy=args.proxy, no_proxy=args.no_proxy, timeout=args.timeout)
    try:
        services = await build_services(
            args.data_dir, network=overrides, open_history=not args.no_save, redactor=redactor
        )
    except HistoryError as exc:
        report(f"{exc}; use --no-save to answer without saving", redactor)
        return EXIT_FAILURE
    except ParleyError as exc:
        report(str(exc), redactor)
        return EXIT_FAILURE
    try:
        try:
            profile = services.resolve_profile(args.provider)
        except UnknownProviderError as exc:
            report(f"error: {exc}", redactor)
            return EXIT_USAGE
        try:
            provider = await services.provider_for(profile, base_url=args.base_url)
        except ParleyError as exc:
            report(str(exc), redactor)
            return EXIT_FAILURE
        try:
            parts = await _prepared(args.attach, services.attachment_limits)
            model = args.model or profile.model
            if any(isinstance(part, ImagePart) for part in parts):
                await _check_takes_images(provider, model)
        except ParleyError as exc:  # one line naming the file or the model; nothing was sent
            report(str(exc), redactor)
            return EXIT_FAILURE
        system = args.system or ""
        question = Message(Role.USER, prompt, parts)
        messages = ((Message(Role.SYSTEM, system),) if system else ()) + (question,)
        request = ChatRequest(messages, model=model)
        recorder = None
        if services.history is not None:
            recorder = AnswerRecorder(services.history)
            try:
                recorder.start(question, system=system, provider=provider.name, model=request.model)
            except HistoryError as exc:
                report(f"{exc}; use --no-save to answer without saving", redactor)
                return EXIT_FAILURE
        proxy_setting = PROXY_OPTION if args.proxy else None
        sink = StdoutSink(_stdout())
        status = await _stream_answer(
            provider, request, sink, recorder, redactor, proxy_setting=proxy_setting
        )
        if recorder is not None and recorder.failure is not None and status == EXIT_OK:
            report(f"the answer was printed but not saved to history: {recorder.failure}", redactor)
            return EXIT_FAILURE
        return status
    finally:
        await services.aclose()


async def _stream_answer(
    provider: ChatProvider,
    request: ChatRequest,
    sink: StdoutSink,
    recorder: AnswerRecorder | None,
    redactor: Redactor,
    *,
    proxy_setting: str | None = None,
) -> int:
    """Stream the answer to `sink`; returns the exit code. `proxy_setting` says where the proxy
    came from when hints should not point at the saved settings (`--proxy`)."""

    def finish(status: MessageStatus, error: str | None = None) -> None:
        if recorder is not None:
            recorder.finish(status, error)

    try:
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta) and event.text:
                    if recorder is not None:
                        recorder.add(event.text)
                    sink.write(event.text)
    except StdoutClosedError:
        # The reader went away (`| head`): leaving the block closed the connection.
        finish(MessageStatus.STOPPED)
        return EXIT_OK
    except asyncio.CancelledError:  # Ctrl+C: asyncio.run cancels this task
        finish(MessageStatus.STOPPED)
        sink.end_line()
        raise
    except ProviderError as exc:
        if proxy_setting is not None:
            exc.proxy_set(proxy_setting)
        message = redactor(str(exc))
        finish(MessageStatus.ERROR, message)
        sink.end_line()
        report(message, redactor)
        return EXIT_FAILURE
    finish(MessageStatus.COMPLETE)
    sink.finish()
    return EXIT_OK


async def _prepared(paths: list[Path], limits: Callable[[], AttachmentLimits]) -> tuple[Part, ...]:
    """Every `--attach` file made ready to send, in order, off the loop; the first refusal (a
    missing, unsupported or oversized file) raises its one-line AttachmentError."""
    if not paths:
        return ()
    from desktop_app.attachments import prepare_file  # only a run with --attach pays for it

    parts = []
    for path in paths:
        prepared = await asyncio.to_thread(prepare_file, path, limits())
        parts.append(prepared.part)
    return tuple(parts)


async def _check_takes_images(provider: ChatProvider, model: str) -> None:
    """Refuse images for a model known to take none, before anything is sent. A provider that
    cannot tell (or a server that has not said) gets the images, and refuses them itself."""
    from desktop_app.core.vision import ImagesNotSupportedError, KnowsModels

    if isinstance(provider, KnowsModels):
        support = await provider.vision_support(model)
        if not support.sends_images:
            raise ImagesNotSupportedError(model, support=support, provider=provider.name)


def _stdout() -> BinaryIO | None:
    return sys.stdout.buffer if sys.stdout is not None else None  # None: a windowed executable


class StdoutClosedError(Exception):
    """The reader closed stdout (EPIPE)."""


class StdoutSink:
    """Answer text to stdout as UTF-8, flushed per piece. A closed pipe raises `StdoutClosedError`
    once; stdout is then pointed at the null device so the interpreter's own final flush cannot
    print "Exception ignored ... BrokenPipeError" on stderr."""

    def __init__(self, out: BinaryIO | None) -> None:
        self._out = out
        self._wrote = False

    def write(self, text: str) -> None:
        if self._out is None:
            return
        try:
            self._out.write(text.encode("utf-8", errors="replace"))
            self._out.flush()
        except OSError as exc:
            # EPIPE on POSIX; Windows reports a closed pipe as EINVAL.
            if not isinstance(exc, BrokenPipeError) and exc.errno not in (errno.EPIPE, errno.EINVAL):
                raise
            self._out = None
            _silence_stdout()
            raise StdoutClosedError from None
        self._wrote = self._wrote or bool(text)

    def finish(self) -> None:
        """The one trailing newline after a complete answer."""
        with contextlib.suppress(StdoutClosedError):
            self.write("\n")

    def end_line(self) -> None:
        """After a cut answer: end the partial line so the shell prompt starts on its own line."""
        if self._wrote:
            self.finish()


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class AnswerRecorder:
    """Saves the exchange to history while it streams: the growing answer when `SavePacer` says
    it is due (at least every `interval` seconds, so a stalled stream still has its last text
    saved), and its final status at the end. A history failure does not stop the answer; it is
    kept in `failure`."""

    def __init__(self, history: HistoryStore, *, interval: float = SAVE_INTERVAL_S) -> None:
        self._history = history
        self._message_id: int | None = None
        self._parts: list[str] = []
        self._pacer = SavePacer(lambda: self._write(None, None), interval=interval)
        self.failure: HistoryError | None = None

    def start(self, question: Message, *, system: str, provider: str, model: str) -> None:
        conversation = self._history.new_conversation(system_prompt=system)
        self._history.append_message(conversation, Role.USER, question.content, parts=question.parts)
        self._message_id = self._history.append_message(
            conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING, provider=provider, model=model
        )
        self._pacer.start()

    def add(self, text: str) -> None:
        self._parts.append(text)
        self._pacer.changed()

    def finish(self, status: MessageStatus, error: str | None = None) -> None:
        self._pacer.saved()
        self._write(status, error)

    def _write(self, status: MessageStatus | None, error: str | None) -> None:
        if self._message_id is None:
            return
        text = "".join(self._parts)
        self._parts = [text]
        try:
            self._history.update_message(self._message_id, text, status=status, error=error)
        except HistoryError as exc:
            log.warning("Saving the answer failed: %s", exc)
            self.failure = self.failure or exc
