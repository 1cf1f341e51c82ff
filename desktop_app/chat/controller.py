"""One conversation's answers: send, stop, regenerate, edit-and-resend and retry.

The controller owns the asyncio task that reads the provider's stream. It keeps the answer in a
buffer, hands the view the text at most once per frame, saves the growing answer at least every
500 ms, and ends every answer exactly once with a final status (`complete`, `stopped`, `error`).

Starting a new answer while one is streaming (send, regenerate, retry, edit) stops the running
one first: its partial text is kept with status `stopped`, as if the user had pressed Stop. Stop
takes effect at once — the partial answer is saved and `stream_finished("stopped")` is emitted
before `stop()` returns; the cancelled task closes the connection on its next step.

An answer that ends by itself shows its last frame first: the final save (which indexes the
answer for search) and the end signals follow after that frame's paint (`FrameClock.after_paint`).
Every action first lets the clock settle whatever waits for the paint, so they always come
before anything else this controller does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from PySide6.QtCore import QObject, Signal

from desktop_app.attachments import estimate_part_tokens
from desktop_app.chat.coalescer import StreamCoalescer
from desktop_app.chat.context_window import estimate_text_tokens, fit_to_context
from desktop_app.chat.frame_clock import FrameClock
from desktop_app.chat.save_pacing import SavePacer
from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import Part
from desktop_app.core.errors import ParleyError, shorten
from desktop_app.core.events import Finish, ReasoningDelta, StreamEvent, TextDelta, Usage
from desktop_app.core.history_types import ConversationSettings, TokenUsage
from desktop_app.core.messages import ChatRequest, Message, MessageStatus, Role
from desktop_app.core.ports import ChatProvider, HistoryStore
from desktop_app.core.vision import ImagesNotSupportedError, stream_with_image_fallback
from desktop_app.i18n import numerus

log = logging.getLogger(__name__)

STATS_INTERVAL_S = 0.25
# Room left for the answer when trimming history and the request sets no max_tokens.
DEFAULT_ANSWER_RESERVE = 1024

ProviderSource = ChatProvider | Callable[[], ChatProvider]


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """What goes into every request of this conversation."""

    model: str = ""
    system_prompt: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    context_tokens: int | None = None  # the model's context window; None: unknown, no trimming
    extra: Mapping[str, object] = field(default_factory=dict)  # provider-specific, never secrets


def options_for(settings: ConversationSettings, defaults: ChatOptions) -> ChatOptions:
    """A conversation's own settings over the application's defaults (`None` keeps the default)."""
    return replace(
        defaults,
        model=settings.model or defaults.model,
        system_prompt=settings.system_prompt or defaults.system_prompt,
        temperature=settings.temperature if settings.temperature is not None else defaults.temperature,
        max_tokens=settings.max_tokens if settings.max_tokens is not None else defaults.max_tokens,
    )


@dataclass(slots=True)
class _Entry:
    """A message of this conversation as the controller knows it."""

    id: int
    role: Role
    content: str
    status: MessageStatus
    parts: tuple[Part, ...] | None = ()  # None: attached in history, read when first needed


class _Answer:
    """Bookkeeping for the answer being streamed (its text is in the controller's coalescer)."""

    def __init__(self, message_id: int, started_at: float) -> None:
        self.message_id = message_id
        self.started_at = started_at
        self.last_stats_at = started_at
        self.first_text_at: float | None = None
        self.estimated_tokens = 0.0
        self.usage: Usage | None = None  # the server's token counts, when it sends them
        self.shown_text = 0  # characters of text and reasoning the view has been given
        self.shown_reasoning = 0
        self.saved_reasoning = 0  # characters of reasoning already in history
        self.finished = False
        self.cut_off = False  # the server stopped at its token limit

    def count_text(self, text: str, now: float) -> None:
        self.estimated_tokens += estimate_text_tokens(text)
        if self.first_text_at is None:
            self.first_text_at = now

    def rate(self, now: float) -> float:
        """Tokens per second since the first text arrived (the server's count when it gave one)."""
        reported = self.usage.completion_tokens if self.usage is not None else None
        tokens = reported if reported is not None else self.estimated_tokens
        if self.first_text_at is None or now <= self.first_text_at:
            return 0.0
        return tokens / (now - self.first_text_at)


class ChatController(QObject):
    """Send, stop, regenerate, edit and retry for one conversation; see the module docstring."""

    message_added = Signal(str, str, int)  # role, text, message id
    messages_removed = Signal(list)  # ids of messages taken away by regenerate, retry or edit
    message_edited = Signal(int, str)  # message id, new text
    stream_started = Signal(int)  # id of the assistant message being streamed
    stream_text = Signal(str)  # the whole answer so far; at most once per frame
    reasoning_text = Signal(str)  # the whole reasoning so far; at most once per frame
    stream_finished = Signal(str, int)  # final status ("complete", "stopped", "error"), message id
    error = Signal(str)  # one line for the user, shown inline with Retry
    stats = Signal(float, float)  # tokens per second, seconds since the request was sent
    notice = Signal(str)  # a one-line remark ("3 older messages were left out ...")
    images_refused = Signal(str)  # the model that refused images (text-only from now on)

    def __init__(
        self,
        history: HistoryStore,
        provider: ProviderSource,
        conversation_id: int,
        *,
        options: ChatOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        frames: FrameClock | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._provider_source = provider
        self.conversation_id = conversation_id
        self.options = options or ChatOptions()
        self._clock = clock
        self._entries = [
            _Entry(row.id, row.role, row.content, row.status, None if row.attachments else ())
            for row in history.messages(conversation_id)
            if row.role is not Role.SYSTEM
        ]
        self._answer: _Answer | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # every task not yet done, stopped ones too
        self._closed = False
        self._frames = frames if frames is not None else FrameClock(self)
        self._coalescer = StreamCoalescer(self, frames=self._frames)  # the answer's text so far
        self._coalescer.updated.connect(self._on_frame)
        self._pacer = SavePacer(self._save_progress, clock=clock)

    # -- public API -------------------------------------------------------------------------

    @property
    def is_streaming(self) -> bool:
        """From the start of an answer until its end is saved and signalled."""
        return self._answer is not None

    def send(self, text: str, parts: Sequence[Part] = ()) -> int | None:
        """Save `text` (with its attachments) as the user's message and stream the answer;
        returns the answer's id (None when there is neither text nor an attachment)."""
        self._check_open()
        self._frames.settle()
        parts = tuple(parts)
        if not text.strip() and not parts:
            return None
        self.stop()
        tokens = {attachment_key(p): estimate_part_tokens(p) for p in parts}  # for the chips
        message_id = self._history.append_message(
            self.conversation_id, Role.USER, text, parts=parts, tokens=tokens
        )
        self._entries.append(_Entry(message_id, Role.USER, text, MessageStatus.COMPLETE, parts))
        self.message_added.emit(Role.USER.value, text, message_id)
        return self._start_answer()

    def parts_of(self, message_id: int) -> tuple[Part, ...]:
        """The attachments of one of this conversation's messages (read from history once)."""
        entry = next((e for e in self._entries if e.id == message_id), None)
        return self._parts(entry) if entry is not None else ()

    def stop(self) -> None:
        """Stop the running answer, keeping its text with status `stopped`. Does nothing when
        nothing is streaming."""
        self._frames.settle()
        answer, task = self._answer, self._task
        if answer is None:
            return
        self._finish(answer, MessageStatus.STOPPED, None)
        if task is not None:
            task.cancel()

    def regenerate(self) -> int | None:
        """Replace the last answer with a new one for the same history; returns the new answer's
        id (None when there is no user message to answer)."""
        self._check_open()
        self._frames.settle()
        last_user = next(
            (i for i in reversed(range(len(self._entries))) if self._entries[i].role is Role.USER), None
        )
        if last_user is None:
            return None
        self.stop()
        self._remove_after(last_user)
        return self._start_answer()

    def retry(self) -> int | None:
        """Answer again after a failed answer (status error or interrupted), replacing it.
        Does nothing (returns None) when the last answer did not fail."""
        self._check_open()
        self._frames.settle()
        last = self._entries[-1] if self._entries else None
        failed = (MessageStatus.ERROR, MessageStatus.INTERRUPTED, MessageStatus.STREAMING)
        if last is None or (last.role is Role.ASSISTANT and last.status not in failed):
            return None
        if self._answer is not None:  # a Retry button left over while a new answer streams
            return None
        return self.regenerate()

    def edit_and_resend(self, message_id: int, new_text: str) -> int | None:
        """Replace the text of one of the user's messages, drop everything after it and stream a
        new answer; returns the answer's id (None when `new_text` is blank)."""
        self._check_open()
        self._frames.settle()
        index = next((i for i, e in enumerate(self._entries) if e.id == message_id), None)
        if index is None or self._entries[index].role is not Role.USER:
            raise ValueError(f"message {message_id} is not a user message of this conversation")
        if not new_text.strip():
            return None
        self.stop()
        self._remove_after(index)
        self._history.update_message(message_id, new_text, status=MessageStatus.COMPLETE)
        self._entries[index].content = new_text
        self.message_edited.emit(message_id, new_text)
        return self._start_answer()

    async def aclose(self) -> None:
        """Stop the running answer (saved as stopped) and wait until every task has ended.
        The controller refuses new work afterwards."""
        self._closed = True
        self.stop()
        self._pacer.cancel()
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)

    shutdown = aclose

    # -- starting an answer ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this chat controller has been closed")

    def _remove_after(self, index: int) -> None:
        """Delete the messages after `self._entries[index]`, here and in history."""
        removed, self._entries = self._entries[index + 1 :], self._entries[: index + 1]
        if removed:
            self._history.delete_messages_after(self._entries[index].id)
            self.messages_removed.emit([entry.id for entry in removed])

    def _resolve_provider(self) -> ChatProvider:
        source = self._provider_source
        return source if isinstance(source, ChatProvider) else source()

    def _start_answer(self) -> int:
        loop = asyncio.get_running_loop()  # before touching history: no loop is a programming error
        options = self.options
        provider: ChatProvider | None = None
        failure: Exception | None = None
        try:  # a provider that cannot be built (no API key, bad URL) fails this answer, visibly
            provider = self._resolve_provider()
        except Exception as exc:
            failure = exc
        request, left_out_notice = self._build_request(options)
        message_id = self._history.append_message(
            self.conversation_id,
            Role.ASSISTANT,
            "",
            status=MessageStatus.STREAMING,
            provider=provider.name if provider is not None else "",
            model=options.model,
        )
        self._entries.append(_Entry(message_id, Role.ASSISTANT, "", MessageStatus.STREAMING))
        answer = _Answer(message_id, self._clock())
        self._answer = answer
        self._coalescer.reset()
        self._pacer.start()  # the row was created (empty) just now
        task = loop.create_task(self._stream(answer, provider, failure, request))
        self._task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.message_added.emit(Role.ASSISTANT.value, "", message_id)
        if left_out_notice:
            self.notice.emit(left_out_notice)
        self.stream_started.emit(message_id)
        return message_id

    def _build_request(self, options: ChatOptions) -> tuple[ChatRequest, str]:
        """The request for an answer to the history so far, trimmed to the context window."""
        messages: list[Message] = []
        if options.system_prompt.strip():
            messages.append(Message(Role.SYSTEM, options.system_prompt))
        messages.extend(
            Message(entry.role, entry.content, self._parts(entry))
            for entry in self._entries
            if (entry.content or entry.parts != ()) and entry.status is not MessageStatus.STREAMING
        )
        reserve = options.max_tokens if options.max_tokens is not None else DEFAULT_ANSWER_RESERVE
        fitted = fit_to_context(messages, options.context_tokens, reserve)
        request = ChatRequest(
            messages=fitted.messages,
            model=options.model,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
            options=dict(options.extra),
        )
        if not fitted.left_out:
            return request, ""
        line = self.tr("%n older message(s) were left out to fit the model's context.", "", fitted.left_out)
        return request, numerus(line, fitted.left_out, english=fitted.notice())

    # -- the stream -----------------------------------------------------------------------

    async def _stream(
        self, answer: _Answer, provider: ChatProvider | None, failure: Exception | None, request: ChatRequest
    ) -> None:
        status, line = MessageStatus.STOPPED, None  # what a cancellation leaves
        try:
            if failure is not None:
                raise failure
            assert provider is not None
            stream = stream_with_image_fallback(provider, request, on_images_dropped=self._images_dropped)
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    if answer.finished:  # stopped while this event was on its way
                        break
                    self._on_event(answer, event)
            status = MessageStatus.COMPLETE
        except ParleyError as exc:  # provider and configuration errors carry one-line messages
            status, line = MessageStatus.ERROR, str(exc)
        except Exception as exc:
            log.exception("The answer stream failed unexpectedly")
            reason = shorten(str(exc) or repr(exc))
            status, line = (
                MessageStatus.ERROR,
                self.tr("Something went wrong: {reason}").format(reason=reason),
            )
        finally:
            # Cancelled (status still "stopped"): finish at once, the loop may be shutting down.
            self._finish(answer, status, line, after_paint=status is not MessageStatus.STOPPED)

    def _parts(self, entry: _Entry) -> tuple[Part, ...]:
        if entry.parts is None:
            try:
                entry.parts = self._history.attachment_parts(entry.id)
            except ParleyError as exc:  # the text still goes; the user is told what is missing
                log.warning("Could not read the attachments of message %s: %s", entry.id, exc)
                self.notice.emit(
                    self.tr("An earlier message's attachments could not be read: {error}").format(error=exc)
                )
                entry.parts = ()
        return entry.parts

    def _images_dropped(self, error: ImagesNotSupportedError) -> None:
        """The server refused images: the model is text-only from now on, and this request went
        again with each image named instead (the conversation goes on)."""
        self.images_refused.emit(error.model)
        line = self.tr("{model} does not take images: they were sent as their names.")
        model = error.model or self.tr("This model")
        self.notice.emit(line.format(model=model) + " " + self.tr("Pick a vision model to send images."))

    def _on_event(self, answer: _Answer, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            if event.text:
                answer.count_text(event.text, self._clock())
                self._coalescer.add_text(event.text)
                self._pacer.changed()
        elif isinstance(event, ReasoningDelta):
            if event.text:
                self._coalescer.add_reasoning(event.text)
                self._pacer.changed()
        elif isinstance(event, Usage):
            answer.usage = event
        elif isinstance(event, Finish):
            answer.cut_off = event.reason == "length"

    def _on_frame(self, text: str, reasoning: str) -> None:
        """The coalescer's once-a-frame update: pass on what changed, and stats when due."""
        answer = self._answer
        if answer is None:
            return
        self._show(answer, text, reasoning)
        if self._clock() - answer.last_stats_at >= STATS_INTERVAL_S:
            self._emit_stats(answer)

    def _show(self, answer: _Answer, text: str, reasoning: str) -> None:
        if len(text) != answer.shown_text:
            answer.shown_text = len(text)
            self.stream_text.emit(text)
        if len(reasoning) != answer.shown_reasoning:
            answer.shown_reasoning = len(reasoning)
            self.reasoning_text.emit(reasoning)

    def _emit_stats(self, answer: _Answer) -> None:
        now = answer.last_stats_at = self._clock()
        self.stats.emit(answer.rate(now), now - answer.started_at)

    def _save_progress(self) -> None:
        answer = self._answer
        if answer is None:
            return
        try:
            self._history.update_message(
                answer.message_id, self._coalescer.text, status=MessageStatus.STREAMING
            )
            self._save_reasoning(answer, self._coalescer.reasoning)
        except ParleyError as exc:  # keep streaming; the final save will try again
            log.warning("Could not save the streaming answer: %s", exc)

    def _save_reasoning(self, answer: _Answer, reasoning: str) -> None:
        if len(reasoning) != answer.saved_reasoning:
            self._history.set_reasoning(answer.message_id, reasoning)
            answer.saved_reasoning = len(reasoning)

    def _finish(
        self, answer: _Answer, status: MessageStatus, line: str | None, *, after_paint: bool = False
    ) -> None:
        """End `answer` once: last frame to the view, final save, then the signals. With
        `after_paint` the final save and the signals wait for that frame's paint (~2.5 ms of
        indexing a long answer for search); the text is saved at once, so history is never
        behind what the view shows."""
        if answer.finished:
            return
        answer.finished = True
        self._pacer.cancel()
        text, reasoning = self._coalescer.text, self._coalescer.reasoning
        self._coalescer.reset()  # its last frame is sent below
        if self._task is not None and self._answer is answer:
            self._task = None
        if not after_paint:
            self._show(answer, text, reasoning)  # the last frame
            self._settle(answer, status, line, text, reasoning)
            return
        try:
            self._history.update_message(answer.message_id, text)  # no status yet: not indexed
        except ParleyError as exc:  # the final save below tries again and reports it
            log.warning("Could not save the finished answer's text: %s", exc)
        self._frames.after_paint(partial(self._settle, answer, status, line, text, reasoning))
        self._show(answer, text, reasoning)  # the last frame

    def _settle(
        self, answer: _Answer, status: MessageStatus, line: str | None, text: str, reasoning: str
    ) -> None:
        """The final save of an ended answer, then its signals."""
        if self._answer is answer:
            self._answer = None
        try:
            self._history.update_message(answer.message_id, text, status=status, error=line)
            self._save_reasoning(answer, reasoning)
            if answer.usage is not None:
                usage = answer.usage
                self._history.set_usage(
                    answer.message_id, TokenUsage(usage.prompt_tokens, usage.completion_tokens)
                )
        except ParleyError as exc:
            log.error("Could not save the answer: %s", exc)
            line = line or str(exc)
        for entry in reversed(self._entries):
            if entry.id == answer.message_id:
                entry.content, entry.status = text, status
                break
        self._emit_stats(answer)
        if answer.cut_off and status is MessageStatus.COMPLETE:
            self.notice.emit(self.tr("The answer reached the maximum length set for this conversation."))
        if line:
            self.error.emit(line)
        self.stream_finished.emit(status.value, answer.message_id)
