"""Per-conversation settings: system prompt, temperature and maximum answer length."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.history_types import ConversationSettings

MAX_TEMPERATURE = 2.0
MAX_TOKENS = 1_000_000


class ConversationSettingsDialog(QDialog):
    """Edits a copy of `ConversationSettings`; `applied(settings)` on OK."""

    applied = Signal(object)  # ConversationSettings

    def __init__(self, settings: ConversationSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationSettings")
        self._settings = settings
        self.system_prompt = QPlainTextEdit(self)
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setPlainText(settings.system_prompt)
        self.use_temperature = QCheckBox(self)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, MAX_TEMPERATURE)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(settings.temperature if settings.temperature is not None else 0.7)
        self.use_temperature.setChecked(settings.temperature is not None)
        self.use_max_tokens = QCheckBox(self)
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(1, MAX_TOKENS)
        self.max_tokens.setValue(settings.max_tokens if settings.max_tokens is not None else 2048)
        self.use_max_tokens.setChecked(settings.max_tokens is not None)
        for spin in (self.temperature, self.max_tokens):
            spin.setMaximumWidth(140)
        self.prompt_label = QLabel(self)
        self.prompt_label.setBuddy(self.system_prompt)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.use_temperature, self.temperature)
        form.addRow(self.use_max_tokens, self.max_tokens)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt_label)
        layout.addWidget(self.system_prompt, 1)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.use_temperature.toggled.connect(self.temperature.setEnabled)
        self.use_max_tokens.toggled.connect(self.max_tokens.setEnabled)
        self.temperature.setEnabled(self.use_temperature.isChecked())
        self.max_tokens.setEnabled(self.use_max_tokens.isChecked())
        self.resize(520, 380)
        self.retranslate()

    def result_settings(self) -> ConversationSettings:
        return dataclasses.replace(
            self._settings,
            system_prompt=self.system_prompt.toPlainText().strip(),
            temperature=round(self.temperature.value(), 2) if self.use_temperature.isChecked() else None,
            max_tokens=self.max_tokens.value() if self.use_max_tokens.isChecked() else None,
        )

    def _accept(self) -> None:
        self.applied.emit(self.result_settings())
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Conversation settings"))
        self.prompt_label.setText(
            self.tr("&System prompt (instructions the model gets before your messages):")
        )
        self.system_prompt.setAccessibleName(self.tr("System prompt"))
        self.use_temperature.setText(self.tr("&Temperature:"))
        self.use_max_tokens.setText(self.tr("&Longest answer (tokens):"))
        self.temperature.setAccessibleName(self.tr("Temperature"))
        self.max_tokens.setAccessibleName(self.tr("Longest answer in tokens"))
        self.note.setText(
            self.tr("Unchecked values are left to the server. The changes apply to the next answer.")
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
