"""The message composer: a multi-line prompt field with Attach, Send and Stop, and the message's
attachments as chips above it.

Enter sends and Shift+Enter adds a line, or (with the Ctrl+Enter preference) Ctrl+Enter sends and
Enter adds a line. Send is disabled while there is neither text nor an attachment, while an
attachment cannot be sent (a red line says which to remove) and while an answer is streaming;
Stop shows instead of Send while streaming. Sending while attachments are being prepared waits
for them (the Send button says so) and then sends. Files come by the Attach button (Ctrl+U),
by pasting (an image, or files copied in a file manager) and by dropping them.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFontMetrics, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import SendKey
from desktop_app.ui.attachment_chips import ChipStrip
from desktop_app.ui.attachment_input import Incoming, LastFolder, attach_dialog, has_attachments, incoming
from desktop_app.ui.chat_colors import chat_colors
from desktop_app.ui.icons import palette_icon
from desktop_app.ui.theme import is_dark

if TYPE_CHECKING:
    from desktop_app.chat.drafts import DraftAttachments

ATTACH_SHORTCUT = "Ctrl+U"

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MIN_LINES = 2
_MAX_LINES = 10


class PromptEdit(QPlainTextEdit):
    """A plain-text field that turns the send chord into `submitted` and grows with its text."""

    submitted = Signal()
    attachments_pasted = Signal(object)  # Incoming: files or an image from the clipboard

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accepts_attachments = False  # set once there is somewhere to put them
        self._send_key = SendKey.ENTER
        self.setTabChangesFocus(True)  # Tab moves on to Send, so the keyboard can reach everything
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self.updateGeometry)

    @property
    def send_key(self) -> SendKey:
        return self._send_key

    def set_send_key(self, send_key: SendKey) -> None:
        self._send_key = send_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in _ENTER_KEYS:
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            chord = _chord(modifiers)
            if chord == self._send_chord():
                event.accept()
                self.submitted.emit()
                return
            if chord in ("plain", "shift", "ctrl"):
                # Every other Enter chord adds a real newline (Shift+Enter would otherwise insert
                # a Unicode line separator, and Ctrl+Enter nothing at all).
                event.accept()
                self.insertPlainText("\n")
                return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802 - Qt's name
        return (self.accepts_attachments and has_attachments(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt's name
        """Ctrl+V: an image or copied files become attachments; text is pasted as text."""
        if self.accepts_attachments and has_attachments(source):
            pasted = incoming(source)
            if pasted:
                self.attachments_pasted.emit(pasted)
                return
        super().insertFromMimeData(source)

    def _send_chord(self) -> str:
        return "ctrl" if self._send_key is SendKey.CTRL_ENTER else "plain"

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        metrics = QFontMetrics(self.font())
        lines = max(_MIN_LINES, min(_MAX_LINES, self.document().blockCount()))
        margins = self.contentsMargins()
        frame = 2 * self.frameWidth() + margins.top() + margins.bottom()
        height = lines * metrics.lineSpacing() + frame + 2 * int(self.document().documentMargin())
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # As high as the text needs; as narrow as Qt allows (the Attach button sits beside it).
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())


def _chord(modifiers: Qt.KeyboardModifier) -> str:
    if modifiers == Qt.KeyboardModifier.NoModifier:
        return "plain"
    if modifiers == Qt.KeyboardModifier.ShiftModifier:
        return "shift"
    if modifiers == Qt.KeyboardModifier.ControlModifier:
        return "ctrl"
    return "other"


class Composer(QWidget):
    """Emits `send_requested(text)` and `stop_requested()`; the window decides what they do."""

    send_requested = Signal(str)
    stop_requested = Signal()
    edit_cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._streaming = False
        self._editing = False
        self._waiting = False  # Send was asked for while attachments are being prepared
        self.last_folder = LastFolder()  # where the attach dialog opens
        self.dialog: QFileDialog | None = None  # the attach dialog opened last (tests look)
        self.chips = ChipStrip(self)
        self.edit = PromptEdit(self)
        self.edit.setObjectName("composerEdit")
        self.chips.focus_when_empty = self.edit
        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setAutoRaise(True)
        self.attach_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.attach_button.setIconSize(QSize(18, 18))
        self.attach_button.setEnabled(False)  # until `set_drafts`
        self.attach_action = QAction(self)
        self.attach_action.setShortcut(QKeySequence(ATTACH_SHORTCUT))
        self.attach_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.attach_action.setEnabled(False)
        self.addAction(self.attach_action)
        self.problem = QLabel(self)
        self.problem.setObjectName("composerProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.send_button = QToolButton(self)
        self.send_button.setObjectName("sendButton")
        self.stop_button = QToolButton(self)
        self.stop_button.setObjectName("stopButton")
        for button in (self.send_button, self.stop_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setIconSize(QSize(18, 18))
            button.setMinimumHeight(32)
        self.hint = QLabel(self)
        self.hint.setObjectName("composerHint")
        self.edit_banner = QLabel(self)
        self.edit_banner.setObjectName("composerEditBanner")
        self.edit_banner.hide()

        attach = QVBoxLayout()
        attach.addStretch(1)
        attach.addWidget(self.attach_button)
        buttons = QVBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(attach)
        row.addWidget(self.edit, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 6)
        column.setSpacing(3)
        column.addWidget(self.edit_banner)
        column.addWidget(self.chips)
        column.addLayout(row)
        column.addWidget(self.problem)
        column.addWidget(self.hint)

        self.edit.submitted.connect(self._submit)
        self.edit.textChanged.connect(self._update_buttons)
        self.edit.attachments_pasted.connect(self.receive)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop_requested)
        self.attach_button.clicked.connect(self.open_attach_dialog)
        self.attach_action.triggered.connect(self.open_attach_dialog)
        self.chips.chips_changed.connect(self._order_tabs)
        self.setFocusProxy(self.edit)
        self._update_icons()
        self.retranslate()
        self._update_buttons()

    # -- attachments ---------------------------------------------------------------------------

    def set_drafts(self, drafts: DraftAttachments) -> None:
        """Where this composer's attachments go (the workspace's, once the window is attached)."""
        self.chips.set_drafts(drafts)
        drafts.changed.connect(self._drafts_changed)
        self.edit.accepts_attachments = True
        self.attach_button.setEnabled(True)
        self.attach_action.setEnabled(True)
        self._drafts_changed()

    @property
    def drafts(self) -> DraftAttachments | None:
        return self.chips.drafts

    def receive(self, files: Incoming) -> None:
        """Attach pasted, dropped or picked files and images."""
        drafts = self.drafts
        if drafts is None:
            return
        if files.paths:
            drafts.add_files(files.paths)
        for data in files.images:
            drafts.add_image_data(data)

    def open_attach_dialog(self) -> QFileDialog | None:
        if self.drafts is None:
            return None
        self.dialog = attach_dialog(self.window(), self.last_folder, self.receive)
        return self.dialog

    def _drafts_changed(self) -> None:
        drafts = self.drafts
        line = ""
        if drafts is not None and drafts.failed():
            from desktop_app.ui.attachment_send import refusal

            line = refusal(drafts)
        self.problem.setText(line)
        self.problem.setVisible(bool(line))
        if self._waiting and (drafts is None or not drafts.is_busy()):
            self._waiting = False
            self._submit()
        self._update_buttons()

    def _order_tabs(self) -> None:
        """Tab goes through the chips, then the field, Attach and Send."""
        chain: list[QWidget] = [*self.chips.chips(), self.edit, self.attach_button, self.send_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- state the window drives -------------------------------------------------------------

    def set_send_key(self, send_key: SendKey) -> None:
        self.edit.set_send_key(send_key)
        self.retranslate()

    def set_streaming(self, streaming: bool) -> None:
        self._streaming = streaming
        self._update_buttons()

    @property
    def streaming(self) -> bool:
        return self._streaming

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    def begin_edit(self, text: str) -> None:
        """Put a sent message back in the field; sending it replaces that message."""
        self._editing = True
        self.set_text(text)
        self.edit_banner.show()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def cancel_edit(self) -> None:
        if self._editing:
            self._end_edit()
            self.edit.clear()
            self.edit_cancelled.emit()

    @property
    def editing(self) -> bool:
        return self._editing

    def _end_edit(self) -> None:
        self._editing = False
        self.edit_banner.hide()

    # -- internals ---------------------------------------------------------------------------

    def _has_attachments(self) -> bool:
        return self.drafts is not None and bool(self.drafts.drafts)

    def _preparing(self) -> bool:
        return self.drafts is not None and self.drafts.is_busy()

    def _refused(self) -> bool:
        return self.drafts is not None and bool(self.drafts.failed())

    def _can_send(self) -> bool:
        has_content = bool(self.text().strip()) or self._has_attachments()
        return not self._streaming and not self._waiting and not self._refused() and has_content

    def _submit(self) -> None:
        if not self._can_send():
            return
        if self._preparing():  # sent once the attachments are ready (or one fails)
            self._waiting = True
            self._update_buttons()
            return
        text = self.text()
        self.edit.clear()
        self._end_edit()
        self.send_requested.emit(text)

    def _update_buttons(self) -> None:
        self.send_button.setEnabled(self._can_send())
        self.send_button.setVisible(not self._streaming)
        self.stop_button.setVisible(self._streaming)
        if self._waiting:
            self.send_button.setText(self.tr("Waiting for attachments…"))
        elif self._preparing():
            self.send_button.setText(self.tr("Preparing…"))
        else:
            self.send_button.setText(self.tr("Send"))
        preparing = self._waiting or self._preparing()
        tip = self.tr("Sends once the attachments are ready") if preparing else self.hint.text()
        self.send_button.setToolTip(tip)

    def _update_icons(self) -> None:
        palette = self.palette()
        self.send_button.setIcon(palette_icon("send", palette))
        self.stop_button.setIcon(palette_icon("stop", palette))
        self.attach_button.setIcon(palette_icon("paperclip", palette))
        self.problem.setStyleSheet(f"color: {chat_colors(is_dark(palette)).error_text};")

    def retranslate(self) -> None:
        self._update_buttons()
        self.stop_button.setText(self.tr("Stop"))
        attach = self.tr("Attach files (Ctrl+U)")
        self.attach_button.setToolTip(attach)
        self.attach_button.setAccessibleName(self.tr("Attach files"))
        self.attach_action.setText(self.tr("Attach files…"))
        if self.drafts is not None:
            self._drafts_changed()
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.edit.setAccessibleName(self.tr("Message"))
        self.edit.setPlaceholderText(self.tr("Ask anything…"))
        if self.edit.send_key is SendKey.CTRL_ENTER:
            hint = self.tr("Ctrl+Enter to send, Enter for a new line")
        else:
            hint = self.tr("Enter to send, Shift+Enter for a new line")
        self.hint.setText(hint)
        self._update_buttons()
        self.edit_banner.setText(
            self.tr("Editing a sent message: sending replaces it and the answers after it.")
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self._update_icons()
        super().changeEvent(event)
