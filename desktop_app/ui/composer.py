"""The message composer: a multi-line prompt field with Send and Stop.

Enter sends and Shift+Enter adds a line, or (with the Ctrl+Enter preference) Ctrl+Enter sends and
Enter adds a line. Send is disabled while the text is blank or an answer is streaming; Stop shows
instead of Send while streaming.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import SendKey
from desktop_app.ui.icons import palette_icon

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MIN_LINES = 2
_MAX_LINES = 10


class PromptEdit(QPlainTextEdit):
    """A plain-text field that turns the send chord into `submitted` and grows with its text."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        return self.sizeHint()


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
        self.edit = PromptEdit(self)
        self.edit.setObjectName("composerEdit")
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

        buttons = QVBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 6)
        column.setSpacing(3)
        column.addWidget(self.edit_banner)
        column.addLayout(row)
        column.addWidget(self.hint)

        self.edit.submitted.connect(self._submit)
        self.edit.textChanged.connect(self._update_buttons)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop_requested)
        self.setFocusProxy(self.edit)
        self._update_icons()
        self.retranslate()
        self._update_buttons()

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

    def _can_send(self) -> bool:
        return not self._streaming and bool(self.text().strip())

    def _submit(self) -> None:
        if not self._can_send():
            return
        text = self.text()
        self.edit.clear()
        self._end_edit()
        self.send_requested.emit(text)

    def _update_buttons(self) -> None:
        self.send_button.setEnabled(self._can_send())
        self.send_button.setVisible(not self._streaming)
        self.stop_button.setVisible(self._streaming)

    def _update_icons(self) -> None:
        palette = self.palette()
        self.send_button.setIcon(palette_icon("send", palette))
        self.stop_button.setIcon(palette_icon("stop", palette))

    def retranslate(self) -> None:
        self.send_button.setText(self.tr("Send"))
        self.stop_button.setText(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.edit.setAccessibleName(self.tr("Message"))
        self.edit.setPlaceholderText(self.tr("Ask anything…"))
        if self.edit.send_key is SendKey.CTRL_ENTER:
            hint = self.tr("Ctrl+Enter to send, Enter for a new line")
        else:
            hint = self.tr("Enter to send, Shift+Enter for a new line")
        self.hint.setText(hint)
        self.send_button.setToolTip(hint)
        self.edit_banner.setText(
            self.tr("Editing a sent message: sending replaces it and the answers after it.")
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self._update_icons()
        super().changeEvent(event)
