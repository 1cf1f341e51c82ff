"""The application layer: every conversation's answers in one place, without widgets.

`ChatWorkspace` owns one `ChatController` per conversation that has answered since start-up,
which conversation the window shows (`current`) and which message is being edited there, the
active provider, and the app's one task owner. It re-emits each controller's events once, with
the conversation's id and typed payloads, so every view (the main window, the quick prompt, the
tray) listens here and filters by conversation — a new kind of event is wired once.

`answer_finished` fires for every answer that ends, shown or not, window visible or hidden: the
sidebar, the tray's notification and the status bar all follow it.

Widgets call the workspace and listen to it; they never build a controller or touch the history
store. Errors of the history store become one line on `problem`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.attachments import AttachmentLimits
from desktop_app.attachments.worker import ProcessPreparer
from desktop_app.chat.active_provider import ActiveProvider
from desktop_app.chat.budget import BudgetCheck, check_budget
from desktop_app.chat.chosen_model import ChosenModel
from desktop_app.chat.controller import DEFAULT_ANSWER_RESERVE, ChatController, ChatOptions
from desktop_app.chat.drafts import DraftAttachments
from desktop_app.chat.frame_clock import FrameClock
from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import ImagePart, Part
from desktop_app.core.errors import HistoryError, ParleyError
from desktop_app.core.history_types import ConversationRow, ConversationSettings, MessageRow, SearchHit
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import HistoryStore

log = logging.getLogger(__name__)

FAILED = (MessageStatus.ERROR, MessageStatus.INTERRUPTED)
FACTS_WAIT_S = 2.0  # how long a send with attachments waits for the server to say its context


@dataclass(frozen=True, slots=True)
class MessageAdded:
    conversation_id: int
    message_id: int
    role: Role
    text: str
    parts: tuple[Part, ...] = ()  # a user message's attachments


@dataclass(frozen=True, slots=True)
class AnswerStats:
    conversation_id: int
    tokens_per_second: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class AnswerFinished:
    """An answer ended: its final status, its text and the error line (if it failed)."""

    conversation_id: int
    message_id: int
    status: MessageStatus
    text: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class OpenedConversation:
    """What a view needs to show a conversation: its messages (the streaming answer, if any, is
    not among them but in `streaming_id` and `partial`) and a failed last answer's error."""

    conversation_id: int
    messages: list[MessageRow]
    streaming_id: int | None = None
    partial: str = ""
    failed_error: str = ""


class ChatWorkspace(QObject):
    """See the module docstring. Signals carry the conversation id first."""

    message_added = Signal(object)  # MessageAdded
    answer_started = Signal(int, int)  # conversation id, id of the answer being streamed
    answer_text = Signal(int, str)  # conversation id, the whole answer so far (at most once per frame)
    reasoning_text = Signal(int, str)  # conversation id, the whole reasoning so far
    answer_error = Signal(int, str)  # conversation id, one line (shown with Retry)
    answer_finished = Signal(object)  # AnswerFinished
    notice = Signal(int, str)  # conversation id, a one-line remark
    stats = Signal(object)  # AnswerStats
    messages_changed = Signal(int)  # conversation id: messages were removed or edited; show it anew
    conversations_changed = Signal()  # the list of conversations changed (new, renamed, deleted)
    current_changed = Signal()  # another conversation (or a new chat) is the window's now
    problem = Signal(str)  # one line for the user: the history could not be read or written
    text_only_model = Signal(str)  # a server refused this model's images: remember it text-only

    def __init__(
        self,
        history: HistoryStore,
        provider: ActiveProvider,
        *,
        renderer_key: Callable[[], str] = str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._renderer_key = renderer_key  # what cached HTML was made with (pipeline, language)
        self.provider = provider
        provider.setParent(self)
        self.tasks = OwnedTasks()
        # The app's one frame clock: every controller's stream and every view showing one.
        self.frames = FrameClock(self)
        # Where the chosen model is read at each request (the window's model picker).
        self.model: Callable[[], str] = str
        self._controllers: dict[int, ChatController] = {}
        self._current: int | None = None
        self._pending_settings = ConversationSettings()  # for a new chat not saved yet
        self.editing: int | None = None  # the user message of `current` being edited
        self._last_user: dict[int, tuple[int, str]] = {}  # conversation -> (message id, text)
        self._streaming: dict[int, int] = {}  # conversation -> id of the answer it streams
        self._text: dict[int, str] = {}  # conversation -> the streaming answer's text so far
        self._error: dict[int, str] = {}  # conversation -> the error line of the ending answer
        self._release_when_done: set[int] = set()
        # Attachments: the limits and the per-model context setting come from Preferences (app.py).
        self.attachment_limits: Callable[[], AttachmentLimits] = AttachmentLimits
        # The chosen model's context window and whether it takes images.
        self.chosen = ChosenModel(provider, lambda: self.model(), self.tasks)
        self._preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-attach")
        # Heavy documents go from that thread to a worker process (started on first use).
        self._process = ProcessPreparer()

    @property
    def context_setting(self) -> Callable[[str], int | None]:
        """The user's context window for a model (Preferences → Models); None: as its server says."""
        return self.chosen.context_setting

    @context_setting.setter
    def context_setting(self, setting: Callable[[str], int | None]) -> None:
        self.chosen.context_setting = setting

    # -- the window's conversation -----------------------------------------------------------------

    @property
    def current(self) -> int | None:
        return self._current

    def new_chat(self) -> None:
        """The window shows a new chat, saved with its first message."""
        self._current = None
        self._pending_settings = ConversationSettings()
        self.editing = None
        self.current_changed.emit()

    def open(self, conversation_id: int) -> OpenedConversation | None:
        """Make `conversation_id` the window's conversation; None (and `problem`) on an error."""
        self.frames.settle()  # an answer that just ended is saved and signalled first
        try:
            rows = self._history.messages(conversation_id)
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return None
        self._current = conversation_id
        self.editing = None
        self._remember_last_user(conversation_id, rows)
        streaming_id = self._streaming.get(conversation_id)
        shown = [r for r in rows if r.role is not Role.SYSTEM and r.id != streaming_id]
        partial = self._text.get(conversation_id, "") if streaming_id is not None else ""
        last = shown[-1] if shown else None
        failed = ""
        if (
            streaming_id is None
            and last is not None
            and last.role is Role.ASSISTANT
            and last.status in FAILED
        ):
            failed = last.error or ""
        self.current_changed.emit()
        return OpenedConversation(conversation_id, shown, streaming_id, partial, failed)

    def messages(self, conversation_id: int) -> list[MessageRow]:
        """A conversation's messages as saved (without the system prompt); [] on an error."""
        try:
            return [r for r in self._history.messages(conversation_id) if r.role is not Role.SYSTEM]
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return []

    def settings(self) -> ConversationSettings:
        if self._current is None:
            return self._pending_settings
        try:
            row = self._history.get_conversation(self._current)
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return ConversationSettings()
        return row.settings if row is not None else ConversationSettings()

    def set_settings(self, settings: ConversationSettings) -> None:
        if self._current is None:
            self._pending_settings = settings
            return
        try:
            self._history.update_conversation_settings(self._current, settings)
        except HistoryError as exc:
            self.problem.emit(str(exc))

    def last_user_message(self) -> tuple[int, str] | None:
        """The window's conversation's last message from the user: (id, text)."""
        return self._last_user.get(self._current) if self._current is not None else None

    # -- the list of conversations -----------------------------------------------------------------

    def conversations(self) -> list[ConversationRow]:
        try:
            return self._history.list_conversations()
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return []

    def title(self, conversation_id: int) -> str:
        try:
            row = self._history.get_conversation(conversation_id)
        except HistoryError:
            return ""
        return row.title if row is not None else ""

    def search(self, query: str) -> list[SearchHit]:
        try:
            return self._history.search(query)
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return []

    def rename(self, conversation_id: int, title: str) -> None:
        try:
            self._history.rename_conversation(conversation_id, title)
        except HistoryError as exc:
            self.problem.emit(str(exc))
        self.conversations_changed.emit()

    async def delete(self, conversation_id: int) -> None:
        """Stop its answer, delete it; a deleted window conversation becomes a new chat."""
        await self.release(conversation_id)
        try:
            self._history.delete_conversation(conversation_id)
        except HistoryError as exc:
            self.problem.emit(str(exc))
        if conversation_id == self._current:
            self.new_chat()
        self.conversations_changed.emit()

    def cache_html(self, message_id: int, html: str) -> None:
        """A view rendered a finished answer: keep its HTML, so reopening never re-parses it."""
        if message_id < 0 or not html:
            return
        try:
            self._history.set_rendered_html(message_id, html, renderer_key=self._renderer_key())
        except ParleyError as exc:
            log.info("Could not cache the rendered answer: %s", exc)

    # -- answers -----------------------------------------------------------------------------------

    def is_streaming(self, conversation_id: int | None) -> bool:
        controller = self._controllers.get(conversation_id) if conversation_id is not None else None
        return controller is not None and controller.is_streaming

    # -- attachments and the model's context -------------------------------------------------------

    def new_drafts(self, parent: QObject | None = None) -> DraftAttachments:
        """The attachments of one composer, prepared on the workspace's worker thread."""
        return DraftAttachments(
            self.tasks,
            self._preparer,
            self.attachment_limits,
            parent,
            takes_images=self.takes_images,
            prepare=self._process.prepare,
        )

    async def takes_images(self) -> bool | None:
        """Does the chosen model take images (None: unknown)."""
        return await self.chosen.takes_images()

    def thumbnail(self, key: str) -> bytes | None:
        """An image attachment's small preview, for a message shown from history. One missing
        (an image sent by `parley ask`, or imported) is made on the worker thread and kept; until
        then the image itself is returned (the view scales it)."""
        try:
            stored = self._history.thumbnail(key)
            part = self._history.attachment_part(key) if stored is None else None
        except HistoryError as exc:
            log.info("No thumbnail for attachment %s: %s", key, exc)
            return None
        if stored is not None or not isinstance(part, ImagePart):
            return stored
        self.tasks.start(self._keep_thumbnail(key, part), key=f"thumbnail-{key}")
        return part.data

    def attachment_part(self, key: str) -> Part | None:
        """A stored attachment in full (the viewer: the image, or a document's text)."""
        try:
            return self._history.attachment_part(key)
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return None

    async def _keep_thumbnail(self, key: str, image: ImagePart) -> None:
        from desktop_app.attachments.images import make_thumbnail  # Pillow, when first needed

        try:
            data = await asyncio.wrap_future(self._preparer.submit(make_thumbnail, image))
            self._history.set_thumbnail(key, data)
        except (ParleyError, OSError, ValueError) as exc:  # a preview is a nicety: log, go on
            log.info("Could not keep a thumbnail for %s: %s", image.name, exc)

    async def context_tokens(self, *, wait_s: float = FACTS_WAIT_S) -> int | None:
        """The chosen model's context window (None: unknown); see `ChosenModel`."""
        return await self.chosen.context_tokens(wait_s=wait_s)

    async def check_budget(self, text: str, parts: Sequence[Part]) -> BudgetCheck:
        """Whether a message with these attachments fits the model's context (never silent: the
        window asks the user to cut or cancel when it does not)."""
        return check_budget(text, parts, await self.context_tokens(), DEFAULT_ANSWER_RESERVE)

    async def send(self, text: str, parts: Sequence[Part] = ()) -> int | None:
        """Send `text` in the window's conversation (saving a new chat first, which becomes
        `current` before anything of it is shown) or, while a message is being edited, replace
        it; returns the conversation's id (None: the history refused, said on `problem`)."""
        editing, self.editing = self.editing, None
        if self._current is None:
            await self.provider.ready()
            created = self.create_conversation(self._pending_settings)
            if created is None:
                return None
            self._current, self._pending_settings = created, ConversationSettings()
            self.current_changed.emit()
        return await self.send_to(self._current, text, parts, editing=editing)

    def create_conversation(self, settings: ConversationSettings | None = None) -> int | None:
        """Save a new conversation (with the settings chosen before its first message)."""
        settings = settings or ConversationSettings()
        try:
            conversation_id = self._history.new_conversation(system_prompt=settings.system_prompt)
            if settings != ConversationSettings(system_prompt=settings.system_prompt):
                self._history.update_conversation_settings(conversation_id, settings)
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return None
        self.conversations_changed.emit()
        return conversation_id

    async def send_to(
        self, conversation_id: int, text: str, parts: Sequence[Part] = (), *, editing: int | None = None
    ) -> int | None:
        """Send `text` (with its attachments) in `conversation_id`, or replace the message
        `editing` with it; returns the conversation's id, or None when the history refused
        (said on `problem`)."""
        await self.provider.ready()
        # Known from an earlier ask, or asked now only when attachments make it matter.
        await self.context_tokens(wait_s=FACTS_WAIT_S if parts else 0)
        try:
            controller = self._prepared(conversation_id)
            if editing is not None:
                controller.edit_and_resend(editing, text)
            else:
                controller.send(text, parts)
            for image in (p for p in parts if isinstance(p, ImagePart)):  # kept for history's view
                key = attachment_key(image)
                self.tasks.start(self._keep_thumbnail(key, image), key=f"thumbnail-{key}")
        except HistoryError as exc:
            self.problem.emit(str(exc))
            return None
        self.conversations_changed.emit()
        return conversation_id

    def stop(self, conversation_id: int | None) -> None:
        controller = self._controllers.get(conversation_id) if conversation_id is not None else None
        if controller is not None:
            controller.stop()

    def regenerate(self, conversation_id: int | None) -> bool:
        """A new answer for the last question; False when there is none to answer yet."""
        if conversation_id is None:
            return False
        return self._prepared(conversation_id).regenerate() is not None

    def retry(self, conversation_id: int | None) -> None:
        if conversation_id is not None:
            self._prepared(conversation_id).retry()

    async def release(self, conversation_id: int) -> None:
        """Stop the conversation's answer (saved as stopped) and close its controller."""
        self._release_when_done.discard(conversation_id)
        controller = self._controllers.pop(conversation_id, None)
        if controller is not None:
            await controller.aclose()
            controller.deleteLater()

    def release_when_done(self, conversation_id: int) -> None:
        """Close the conversation's controller once its answer has ended (or now, if idle)."""
        if self.is_streaming(conversation_id):
            self._release_when_done.add(conversation_id)
        else:
            self.start(self.release(conversation_id))

    def start(self, work: Coroutine[Any, Any, None], *, key: str | None = None) -> asyncio.Task[None]:
        """Run `work` as a task of the app's one task owner (cancelled and awaited at close)."""
        return self.tasks.start(work, key=key)

    async def aclose(self) -> None:
        """Stop every answer (each saved as stopped), end every task, close the provider."""
        controllers, self._controllers = list(self._controllers.values()), {}
        await asyncio.gather(*(c.aclose() for c in controllers))
        for controller in controllers:
            controller.deleteLater()
        self.tasks.cancel_all()
        await self.tasks.wait_all()
        self._preparer.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._process.close)
        await self.provider.aclose()

    # -- controllers -------------------------------------------------------------------------------

    def _prepared(self, conversation_id: int) -> ChatController:
        """The conversation's controller, with the options its next request must use (the model
        chosen now, the conversation's own settings as they are now)."""
        controller = self._controller(conversation_id)
        controller.options = self._options(conversation_id)
        return controller

    def _options(self, conversation_id: int) -> ChatOptions:
        row = self._history.get_conversation(conversation_id)
        settings = row.settings if row is not None else ConversationSettings()
        return ChatOptions(
            model=self.model(),
            system_prompt=settings.system_prompt,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            context_tokens=self.chosen.known_context(),
        )

    def _controller(self, conversation_id: int) -> ChatController:
        controller = self._controllers.get(conversation_id)
        if controller is None:
            controller = ChatController(
                self._history, self.provider.now, conversation_id, frames=self.frames, parent=self
            )
            self._connect(controller)
            self._controllers[conversation_id] = controller
        return controller

    def _connect(self, controller: ChatController) -> None:
        """The controller's events, once, with its conversation's id and typed payloads."""
        cid = controller.conversation_id
        on: Callable[..., None]

        def added(role: str, text: str, message_id: int) -> None:
            kind = Role(role)
            parts: tuple[Part, ...] = ()
            if kind is Role.USER:
                self._last_user[cid] = (message_id, text)
                parts = controller.parts_of(message_id)
            self.message_added.emit(MessageAdded(cid, message_id, kind, text, parts))

        def started(message_id: int) -> None:
            self._streaming[cid] = message_id
            self._text[cid] = ""
            self._error.pop(cid, None)
            self.answer_started.emit(cid, message_id)

        def text(value: str) -> None:
            self._text[cid] = value
            self.answer_text.emit(cid, value)

        def error(line: str) -> None:
            self._error[cid] = line
            self.answer_error.emit(cid, line)

        def finished(status: str, message_id: int) -> None:
            self._streaming.pop(cid, None)
            ended = AnswerFinished(
                cid, message_id, MessageStatus(status), self._text.pop(cid, ""), self._error.pop(cid, "")
            )
            self.answer_finished.emit(ended)
            self.conversations_changed.emit()
            if cid in self._release_when_done:
                self.start(self.release(cid))

        def changed(*_args: object) -> None:
            self.messages_changed.emit(cid)

        for signal, on in (
            (controller.message_added, added),
            (controller.stream_started, started),
            (controller.stream_text, text),
            (controller.reasoning_text, lambda value: self.reasoning_text.emit(cid, value)),
            (controller.error, error),
            (controller.stream_finished, finished),
            (controller.notice, lambda line: self.notice.emit(cid, line)),
            (controller.stats, lambda rate, elapsed: self.stats.emit(AnswerStats(cid, rate, elapsed))),
            (controller.images_refused, self._text_only),
            (controller.messages_removed, changed),
            (controller.message_edited, changed),
        ):
            signal.connect(on)

    def _text_only(self, model: str) -> None:
        """A server refused images from `model`: from now on it is sent text only (Preferences
        keeps it, through `text_only_model`)."""
        self.text_only_model.emit(model)

    def _remember_last_user(self, conversation_id: int, rows: list[MessageRow]) -> None:
        last = next((r for r in reversed(rows) if r.role is Role.USER), None)
        if last is None:
            self._last_user.pop(conversation_id, None)
        else:
            self._last_user[conversation_id] = (last.id, last.content)
