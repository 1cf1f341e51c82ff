"""First-run help in the chat area: the welcome panel (no modal dialog) and the banner that says a
local model server was found and is being used."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.icons import app_icon

_CONTENT_WIDTH = 560


class _Choice(QFrame):
    """A framed option: a button and a paragraph that says what choosing it means."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.button = QPushButton(self)
        self.button.setMinimumHeight(34)
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.button)
        layout.addWidget(self.text)


class WelcomePanel(QWidget):
    """Shown in place of the conversation while no provider is configured."""

    yqcloud_chosen = Signal()
    api_key_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.logo = QLabel(self)
        self.logo.setPixmap(app_icon().pixmap(QSize(64, 64)))
        self.logo.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.heading = QLabel(self)
        self.heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        heading_font = QFont(self.font())
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.6)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.yqcloud = _Choice(self)
        self.yqcloud.button.setObjectName("welcomeYqcloud")
        self.api_key = _Choice(self)
        self.api_key.button.setObjectName("welcomeApiKey")

        column = QVBoxLayout()
        column.setSpacing(12)
        column.addWidget(self.logo)
        column.addWidget(self.heading)
        column.addWidget(self.intro)
        column.addSpacing(6)
        column.addWidget(self.yqcloud)
        column.addWidget(self.api_key)
        content = QWidget(self)
        content.setLayout(column)
        content.setMaximumWidth(_CONTENT_WIDTH)
        content.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(content, 100)
        centred.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)

        self.yqcloud.button.clicked.connect(self.yqcloud_chosen)
        self.api_key.button.clicked.connect(self.api_key_requested)
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Welcome to Parley"))
        self.intro.setText(
            self.tr("Choose where your answers come from. You can change it any time in Preferences.")
        )
        self.yqcloud.button.setText(self.tr("Try Yqcloud (no account)"))
        self.yqcloud.text.setText(
            self.tr(
                "Yqcloud is an unofficial third-party service, not affiliated with Parley. It sees "
                "your prompts, and it may be slow or unavailable at any time."
            )
        )
        self.api_key.button.setText(self.tr("Enter an API key…"))
        self.api_key.text.setText(
            self.tr(
                "Use OpenAI, OpenRouter, Groq, DeepSeek, Mistral or any OpenAI-compatible server, "
                "or a local Ollama. The key is kept in your system keychain."
            )
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class LocalServerBanner(QFrame):
    """ "Using llama.cpp at 127.0.0.1:8080, found on this computer — change in Preferences"."""

    preferences_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("localServerBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._server = ""
        self._address = ""
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.change = QPushButton(self)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.change)
        layout.addWidget(self.close_button)
        self.change.clicked.connect(self.preferences_requested)
        self.close_button.clicked.connect(self.hide)
        self.hide()
        self.retranslate()

    def show_server(self, server: str, address: str) -> None:
        self._server, self._address = server, address
        self.retranslate()
        self.show()

    def retranslate(self) -> None:
        self.message.setText(
            self.tr("Using {server} at {address}, found on this computer — change in Preferences.").format(
                server=self._server, address=self._address
            )
        )
        self.change.setText(self.tr("Preferences…"))
        self.close_button.setToolTip(self.tr("Hide this message"))
        self.close_button.setAccessibleName(self.tr("Hide this message"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
