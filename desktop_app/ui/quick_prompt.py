"""The quick prompt: a small frameless window over whatever the user is doing, opened by the global
shortcut, the tray icon or `parley --quick`.

One line to type in (it grows for longer text); Enter sends and the answer streams in place through
the same pieces as the main window: the workspace saves the exchange to history as a normal
conversation, and a compact `ChatView` shows it through the same `AnswerBinding` as the window. Esc stops a
running answer and hides the window; Copy takes the answer; "Open in Parley" shows the main window
with this conversation selected, where the exchange continues — a running answer keeps growing
there. Opening the quick prompt again starts a new exchange.

Files pasted into the field, dropped on the window or picked with its paperclip button are
attached as in the main window: chips above the field, the same wait, refusal and budget question.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QFontMetrics, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.chat.workspace import ChatWorkspace
from desktop_app.core.attachments import Part
from desktop_app.ui.answer_binding import AnswerBinding, AnswerHooks
from desktop_app.ui.attachment_chips import ChipStrip
from desktop_app.ui.attachment_input import DropHighlight, FileDrops, Incoming, LastFolder, attach_dialog
from desktop_app.ui.attachment_send import parts_for_send, refusal
from desktop_app.ui.chat_view import ChatView
from desktop_app.ui.composer import PromptEdit
from desktop_app.ui.icons import palette_icon
from desktop_app.ui.markdown import MarkdownRenderer
from desktop_app.ui.theme import is_dark

log = logging.getLogger(__name__)

WIDTH = 640
ANSWER_HEIGHT = 340
SCREEN_MARGIN = 24
MAX_LINES = 6


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
    """Answers with the window's provider and model (the workspace's) and saves to its history."""

    open_requested = Signal(int)  # conversation id to continue in the main window

    def __init__(self, workspace: ChatWorkspace, renderer: MarkdownRenderer, *, dark: bool = False) -> None:
        # No parent: the quick prompt shows while the main window is hidden in the tray.
        super().__init__(
            None,
            Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setObjectName("quickPrompt")
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self._workspace = workspace
        self._conversation: int | None = None  # the exchange shown; None until its first message
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
        self.drafts = workspace.new_drafts(self)
        self.chips = ChipStrip(self.frame)
        self.chips.setObjectName("quickPromptChips")
        self.chips.focus_when_empty = self.edit
        self.chips.set_drafts(self.drafts)
        self.edit.accepts_attachments = True
        self.last_folder = LastFolder()
        self._attachment_hint = False  # the hint shows an attachment's line, not the keys
        self.dialog: QFileDialog | None = None
        self.attach_button = QToolButton(self.frame)
        self.attach_button.setObjectName("quickPromptAttach")
        self.attach_button.setAutoRaise(True)
        self.attach_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
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
        row.addWidget(self.attach_button)
        row.addWidget(self.hint, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.open_button)
        inner = QVBoxLayout(self.frame)
        inner.setContentsMargins(10, 10, 10, 8)
        inner.setSpacing(8)
        inner.addWidget(self.chips)
        inner.addWidget(self.edit)
        inner.addWidget(self.view)
        inner.addLayout(row)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.frame)
        # The window always has its layout's size: it grows with the text and when an answer shows.
        outer.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)

        self.edit.submitted.connect(self._submit)
        self.edit.attachments_pasted.connect(self.receive)
        self.attach_button.clicked.connect(self.open_attach_dialog)
        self.drafts.changed.connect(self._drafts_changed)
        self.chips.chips_changed.connect(self._order_tabs)
        self.drops = FileDrops(DropHighlight(self.frame), self.receive, self)
        self.drops.watch(self)
        self.drops.watch(self.edit.viewport())
        self.drops.watch(self.view.browser.viewport())
        self.escape_action.triggered.connect(self.dismiss)
        self.copy_button.clicked.connect(self.copy_answer)
        self.open_button.clicked.connect(self.open_in_parley)
        self.binding = AnswerBinding(
            workspace,
            self.view,
            AnswerHooks(
                answer_begun=self._answer_begun,
                text=self._answer_grew,
                reload=self._reload,
                edit=self._begin_edit,
                message=self.hint.setText,
            ),
            self,
        )
        self.setFocusProxy(self.edit)
        self.retranslate()

    # -- showing and hiding ----------------------------------------------------------------------

    @property
    def conversation_id(self) -> int | None:
        return self._conversation

    def is_streaming(self) -> bool:
        return self._workspace.is_streaming(self._conversation)

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
        self._workspace.stop(self._conversation)
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
        """What Enter does with the typed text (and the attachments above it)."""
        if self._sending is not None and not self._sending.done():
            return  # still waiting for attachments or the user's answer
        if text.strip() or self.drafts.drafts:
            self._sending = self._workspace.start(self._send(text), key="quick-send")

    def _submit(self) -> None:
        text = self.edit.toPlainText()
        line = refusal(self.drafts)
        if line:
            self.hint.setText(line)
            return
        if text.strip() or self.drafts.drafts:
            self.edit.clear()
            self.send(text)

    # -- attachments -----------------------------------------------------------------------------

    def receive(self, files: Incoming) -> None:
        """Attach pasted, dropped or picked files and images."""
        if files.paths:
            self.drafts.add_files(files.paths)
        for data in files.images:
            self.drafts.add_image_data(data)

    def open_attach_dialog(self) -> QFileDialog:
        self.dialog = attach_dialog(self, self.last_folder, self.receive)
        return self.dialog

    def _drafts_changed(self) -> None:
        """The hint says what holds a send back: an attachment to remove, or still preparing."""
        line = refusal(self.drafts)
        if not line and self.drafts.is_busy():
            line = self.tr("Preparing attachments… Enter sends once they are ready.")
        if line:
            self.hint.setText(line)
            self._attachment_hint = True
        elif self._attachment_hint:
            self._attachment_hint = False
            self.retranslate()

    def _order_tabs(self) -> None:
        chain: list[QWidget] = [*self.chips.chips(), self.edit, self.attach_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    async def _parts(self, text: str) -> tuple[Part, ...] | None:
        if not self.drafts.drafts or self._editing is not None:
            return ()
        parts = await parts_for_send(self._workspace, self.drafts, text, self)
        if parts is None:
            line = refusal(self.drafts)
            self.hint.setText(line or self.tr("Not sent: the message is too long for the model."))
        return parts

    async def _send(self, text: str) -> None:
        parts = await self._parts(text)
        if parts is None:
            self.edit.setPlainText(text)
            return
        editing, self._editing = self._editing, None
        if self._conversation is None:
            created = self._workspace.create_conversation()
            if created is None:
                self.edit.setPlainText(text)
                return
            self._conversation = self.binding.conversation_id = created
        if await self._workspace.send_to(self._conversation, text, parts, editing=editing) is None:
            self.edit.setPlainText(text)  # nothing was sent: the text and its chips stay
            return
        if parts:
            self.drafts.clear()
        self.view.show()
        self.open_button.setEnabled(True)

    def _answer_begun(self) -> None:
        self._answer = ""
        self.copy_button.setEnabled(False)

    def _answer_grew(self, text: str) -> None:
        self._answer = text
        self.copy_button.setEnabled(bool(text))

    def _reload(self, conversation_id: int) -> None:
        """Show the exchange as it is in history (after regenerate or edit)."""
        self.binding.show_rows(self._workspace.messages(conversation_id))

    def _begin_edit(self, message_id: int, text: str) -> None:
        if message_id >= 0:
            self._editing = message_id
            self.edit.setPlainText(text)
            self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

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
        """Start a new exchange; the previous conversation's answers are released once its
        answer has ended (unless the window shows it: then the window's answer goes on)."""
        previous, self._conversation = self._conversation, None
        self.binding.conversation_id = None
        self._answer, self._editing = "", None
        if previous is not None and previous != self._workspace.current:
            self._workspace.release_when_done(previous)
        self.view.set_messages([])
        self.view.hide()
        self.edit.clear()
        self.drafts.clear()
        self.copy_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.retranslate()

    async def aclose(self) -> None:
        """Stop the shown answer (saved as stopped); the workspace ends the rest at close."""
        self.hide()
        if self._sending is not None:
            self._sending.cancel()
        self._workspace.stop(self._conversation)
        self._conversation = None

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
        self.attach_button.setToolTip(self.tr("Attach files (or paste or drop them here)"))
        self.attach_button.setAccessibleName(self.tr("Attach files"))
        self.attach_button.setIcon(palette_icon("paperclip", self.palette()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self.view.set_dark(is_dark(self.palette()))
        super().changeEvent(event)
