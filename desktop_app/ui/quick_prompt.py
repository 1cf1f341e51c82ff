"""The quick prompt: a small frameless window over whatever the user is doing, opened by the global
shortcut, the tray icon or `parley --quick`.

One line to type in (it grows for longer text); Enter sends and the answer streams in place through
the same pieces as the main window: a `ChatController` saves the exchange to history as a normal
conversation, and a compact `ChatView` renders it with the shared markdown renderer. Esc stops a
running answer and hides the window; Copy takes the answer; "Open in Parley" shows the main window
with this conversation selected, where the exchange continues. Opening the quick prompt again starts
a new exchange.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QFontMetrics, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.chat.controller import ChatController, ChatOptions
from desktop_app.core.errors import ParleyError
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import ChatProvider, HistoryStore
from desktop_app.ui.chat_view import ChatView
from desktop_app.ui.composer import PromptEdit
from desktop_app.ui.conversations import entry_for
from desktop_app.ui.markdown import RENDERER_VERSION, MarkdownRenderer
from desktop_app.ui.tasks import OwnedTasks
from desktop_app.ui.theme import is_dark

log = logging.getLogger(__name__)

WIDTH = 640
ANSWER_HEIGHT = 340
SCREEN_MARGIN = 24
MAX_LINES = 6


@dataclass(frozen=True)
class QuickPromptBackend:
    """The quick prompt answers with the main window's provider and model and saves to its history."""

    history: HistoryStore
    provider: Callable[[], ChatProvider]
    provider_ready: Callable[[], Awaitable[None]]
    model: Callable[[], str]


class QuickEdit(PromptEdit):
    """The prompt field: one line high, growing to `MAX_LINES` for longer text."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        metrics = QFontMetrics(self.font())
        lines = max(1, min(MAX_LINES, round(self.document().size().height())))
        margins = self.contentsMargins()
        frame = 2 * self.frameWidth() + margins.top() + margins.bottom()
        height = lines * metrics.lineSpacing() + frame + 2 * int(self.document().documentMargin())
        return QSize(WIDTH, height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.updateGeometry()  # wrapped lines change with the width


class QuickPrompt(QWidget):
    open_requested = Signal(int)  # conversation id to continue in the main window
    answer_finished = Signal(int)  # history id of an answer of the quick prompt that ended

    def __init__(
        self, backend: QuickPromptBackend, renderer: MarkdownRenderer, *, dark: bool = False
    ) -> None:
        # No parent: the quick prompt shows while the main window is hidden in the tray.
        super().__init__(
            None,
            Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setObjectName("quickPrompt")
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self._backend = backend
        self._tasks = OwnedTasks()
        self._controller: ChatController | None = None
        self._controllers: list[ChatController] = []  # every one not closed yet, detached ones too
        self._answer = ""
        self._editing: int | None = None
        self._sending: asyncio.Task[None] | None = None  # waits for the provider, then sends

        self.frame = QFrame(self)
        self.frame.setObjectName("quickPromptFrame")
        self.frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.frame.setAutoFillBackground(True)
        self.frame.setFixedWidth(WIDTH)
        self.edit = QuickEdit(self.frame)
        self.edit.setObjectName("quickPromptEdit")
        self.edit.document().setDocumentMargin(6)
        self.edit.setLineWrapMode(PromptEdit.LineWrapMode.WidgetWidth)
        self.view = ChatView(self.frame, renderer=renderer, dark=dark)
        self.view.setObjectName("quickPromptAnswer")
        self.view.setFixedHeight(ANSWER_HEIGHT)
        self.view.hide()
        self.hint = QLabel(self.frame)
        self.hint.setObjectName("quickPromptHint")
        self.hint.setWordWrap(True)
        self.copy_button = QPushButton(self.frame)
        self.copy_button.setObjectName("quickPromptCopy")
        self.open_button = QPushButton(self.frame)
        self.open_button.setObjectName("quickPromptOpen")
        for button in (self.copy_button, self.open_button):
            button.setEnabled(False)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.escape_action = QAction(self)
        self.escape_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.escape_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.escape_action)

        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.open_button)
        inner = QVBoxLayout(self.frame)
        inner.setContentsMargins(10, 10, 10, 8)
        inner.setSpacing(8)
        inner.addWidget(self.edit)
        inner.addWidget(self.view)
        inner.addLayout(row)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.frame)
        # The window always has its layout's size: it grows with the text and when an answer shows.
        outer.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)

        self.edit.submitted.connect(self._submit)
        self.escape_action.triggered.connect(self.dismiss)
        self.copy_button.clicked.connect(self.copy_answer)
        self.open_button.clicked.connect(self.open_in_parley)
        self.view.answer_finished.connect(self._cache_html)
        self.view.regenerate_requested.connect(self._regenerate)
        self.view.edit_requested.connect(self._begin_edit)
        self.setFocusProxy(self.edit)
        self.retranslate()

    # -- showing and hiding ----------------------------------------------------------------------

    @property
    def conversation_id(self) -> int | None:
        return self._controller.conversation_id if self._controller is not None else None

    def is_streaming(self) -> bool:
        return self._controller is not None and self._controller.is_streaming

    def show_at_pointer(self) -> None:
        """Show a new exchange centred on the screen that holds the mouse pointer, or bring the
        open one to the front."""
        if not self.isVisible():
            self._detach()
            self.move(self._position(QCursor.pos()))
            self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def toggle(self) -> None:
        """The global shortcut: open, or put away when shown. (It stays on top, so shown means
        seen; asking whether it is the active window would race with a quick second press.)"""
        if self.isVisible():
            self.dismiss()
        else:
            self.show_at_pointer()

    def dismiss(self) -> None:
        """Esc: stop a running answer (saved as stopped), or one about to start, and hide."""
        if self._sending is not None:
            self._sending.cancel()
        if self._controller is not None:
            self._controller.stop()
        self.hide()

    def _position(self, pointer: QPoint) -> QPoint:
        """Top-left so the window, once an answer shows, is centred on the pointer's screen."""
        screen = QGuiApplication.screenAt(pointer) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        full_height = min(self._full_height(), area.height() - 2 * SCREEN_MARGIN)
        x = area.x() + max(0, (area.width() - WIDTH) // 2)
        y = area.y() + max(SCREEN_MARGIN, (area.height() - full_height) // 2)
        return QPoint(x, y)

    def _full_height(self) -> int:
        answer_hidden = self.view.isHidden()
        return self.sizeHint().height() + (ANSWER_HEIGHT if answer_hidden else 0)

    # -- sending ---------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """What Enter does with the typed text."""
        if text.strip():
            self._sending = self._tasks.start(self._send(text), key="send")

    def _submit(self) -> None:
        text = self.edit.toPlainText()
        if text.strip():
            self.edit.clear()
            self.send(text)

    async def _send(self, text: str) -> None:
        await self._backend.provider_ready()
        try:
            controller = self._controller or self._start_conversation()
            controller.options = ChatOptions(model=self._backend.model())
            editing, self._editing = self._editing, None
            if editing is not None:
                controller.edit_and_resend(editing, text)
            else:
                controller.send(text)
        except ParleyError as exc:
            self.edit.setPlainText(text)
            self.hint.setText(str(exc))
            return
        self.view.show()
        self.open_button.setEnabled(True)

    def _start_conversation(self) -> ChatController:
        history = self._backend.history
        controller = ChatController(history, self._backend.provider, history.new_conversation(), parent=self)
        self._connect(controller)
        self._controller = controller
        self._controllers.append(controller)
        return controller

    def _connect(self, controller: ChatController) -> None:
        def shown() -> bool:
            return controller is self._controller

        def added(role: str, text: str, message_id: int) -> None:
            if not shown():
                return
            if role == Role.USER.value:
                self.view.append_user_message(text, message_id)
            elif role == Role.ASSISTANT.value:
                self._answer = ""
                self.copy_button.setEnabled(False)
                self.view.begin_assistant_message(message_id)

        def text(value: str) -> None:
            if shown():
                self._answer = value
                self.copy_button.setEnabled(bool(value))
                self.view.update_streaming(value)

        def finished(status: str, message_id: int) -> None:
            if shown():
                self.view.finish_streaming(MessageStatus(status))
            self.answer_finished.emit(message_id)
            if not shown():
                self._tasks.start(self._close(controller))

        def reasoning(value: str) -> None:
            if shown():
                self.view.update_reasoning(value)

        def retry() -> None:
            controller.retry()

        def error(line: str) -> None:
            if shown():
                self.view.show_error(line, retry)

        def notice(line: str) -> None:
            if shown():
                self.view.show_notice(line)

        def reload(*_args: object) -> None:
            if shown():
                self._reload()

        controller.message_added.connect(added)
        controller.stream_text.connect(text)
        controller.reasoning_text.connect(reasoning)
        controller.stream_finished.connect(finished)
        controller.error.connect(error)
        controller.notice.connect(notice)
        controller.messages_removed.connect(reload)
        controller.message_edited.connect(reload)

    def _reload(self) -> None:
        """After regenerate or edit: show the conversation as it now is in history."""
        if self._controller is None:
            return
        try:
            rows = self._backend.history.messages(self._controller.conversation_id)
        except ParleyError as exc:
            self.hint.setText(str(exc))
            return
        self.view.set_messages([entry_for(r) for r in rows if r.role is not Role.SYSTEM])

    def _regenerate(self) -> None:
        if self._controller is not None:
            self._controller.regenerate()

    def _begin_edit(self, message_id: int, text: str) -> None:
        if message_id >= 0:
            self._editing = message_id
            self.edit.setPlainText(text)
            self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _cache_html(self, message_id: int, html: str) -> None:
        if message_id < 0 or not html:
            return
        try:
            self._backend.history.set_rendered_html(message_id, html, renderer_key=RENDERER_VERSION)
        except ParleyError as exc:
            log.info("Could not cache the rendered answer: %s", exc)

    # -- the buttons -----------------------------------------------------------------------------

    def copy_answer(self) -> str:
        if self._answer:
            QGuiApplication.clipboard().setText(self._answer)
            self.hint.setText(self.tr("Answer copied."))
        return self._answer

    def open_in_parley(self) -> None:
        """Continue in the main window: this conversation is shown there, the quick prompt hides
        and starts a new exchange next time (a running answer keeps going and is saved)."""
        conversation = self.conversation_id
        if conversation is None:
            return
        self.hide()
        self._detach()
        self.open_requested.emit(conversation)

    def _detach(self) -> None:
        """Start a new exchange; the previous conversation is closed once its answer has ended."""
        previous, self._controller = self._controller, None
        self._answer, self._editing = "", None
        if previous is not None and not previous.is_streaming:
            self._tasks.start(self._close(previous))
        self.view.set_messages([])
        self.view.hide()
        self.edit.clear()
        self.copy_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.retranslate()

    async def _close(self, controller: ChatController) -> None:
        if controller in self._controllers:
            self._controllers.remove(controller)
            await controller.aclose()
            controller.deleteLater()

    async def aclose(self) -> None:
        """Stop every answer (saved as stopped) and end every task of the quick prompt."""
        self.hide()
        self._controller = None
        controllers, self._controllers = self._controllers, []
        for controller in controllers:
            await controller.aclose()
        self._tasks.cancel_all()
        await self._tasks.wait_all()

    # -- text ------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Parley — Quick prompt"))
        self.edit.setPlaceholderText(self.tr("Ask anything…"))
        self.edit.setAccessibleName(self.tr("Quick prompt"))
        self.hint.setText(self.tr("Enter sends · Shift+Enter adds a line · Esc closes"))
        self.copy_button.setText(self.tr("&Copy"))
        self.copy_button.setToolTip(self.tr("Copy the answer"))
        self.open_button.setText(self.tr("&Open in Parley"))
        self.open_button.setToolTip(self.tr("Continue this conversation in the main window"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self.view.set_dark(is_dark(self.palette()))
        super().changeEvent(event)
