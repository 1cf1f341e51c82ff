"""Preferences → General: language, theme, the send key and the font size, then the desktop
section (global shortcut, tray, notifications, launch at login, local model servers)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import Language, Preferences, SendKey, Theme
from desktop_app.ui.preferences.desktop import DesktopSection

MIN_FONT, MAX_FONT = 0, 48  # 0 = the system's font size


class GeneralPage(QWidget):
    validity_changed = Signal()  # only the global shortcut can be invalid

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The page scrolls: with the desktop section it is taller than the dialog's default size.
        content = QWidget(self)
        self.language = QComboBox(content)
        self.language.setObjectName("language")
        self.theme = QComboBox(content)
        self.theme.setObjectName("theme")
        self.send_key = QComboBox(content)
        self.send_key.setObjectName("sendKey")
        self.font_size = QSpinBox(content)
        self.font_size.setObjectName("fontSize")
        self.font_size.setRange(MIN_FONT, MAX_FONT)
        self.language_label = QLabel(content)
        self.theme_label = QLabel(content)
        self.send_key_label = QLabel(content)
        self.font_size_label = QLabel(content)
        self.language_note = QLabel(content)
        self.language_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.language_label, self.language)
        form.addRow("", self.language_note)
        form.addRow(self.theme_label, self.theme)
        form.addRow(self.send_key_label, self.send_key)
        form.addRow(self.font_size_label, self.font_size)
        for label, field in (
            (self.language_label, self.language),
            (self.theme_label, self.theme),
            (self.send_key_label, self.send_key),
            (self.font_size_label, self.font_size),
        ):
            label.setBuddy(field)
        self.desktop = DesktopSection(content)
        self.desktop.validity_changed.connect(self.validity_changed)
        column = QVBoxLayout(content)
        column.addLayout(form)
        column.addSpacing(8)
        column.addWidget(self.desktop)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.retranslate()

    def load(self, preferences: Preferences) -> None:
        _select(self.language, preferences.language.value)
        _select(self.theme, preferences.theme.value)
        _select(self.send_key, preferences.send_key.value)
        self.font_size.setValue(preferences.font_size)
        self.desktop.load(preferences)

    def apply(self, preferences: Preferences) -> Preferences:
        general = dataclasses.replace(
            preferences,
            language=Language(self.language.currentData()),
            theme=Theme(self.theme.currentData()),
            send_key=SendKey(self.send_key.currentData()),
            font_size=self.font_size.value(),
        )
        return self.desktop.apply(general)

    def is_valid(self) -> bool:
        return self.desktop.is_valid()

    def retranslate(self) -> None:
        chosen = (self.language.currentData(), self.theme.currentData(), self.send_key.currentData())
        _fill(
            self.language,
            [
                (Language.SYSTEM.value, self.tr("System language")),
                (Language.ENGLISH.value, "English"),  # language names are shown in their own language
                (Language.RUSSIAN.value, "Русский"),
            ],
        )
        _fill(
            self.theme,
            [
                (Theme.SYSTEM.value, self.tr("Follow the system")),
                (Theme.LIGHT.value, self.tr("Light")),
                (Theme.DARK.value, self.tr("Dark")),
            ],
        )
        _fill(
            self.send_key,
            [
                (SendKey.ENTER.value, self.tr("Enter sends, Shift+Enter adds a line")),
                (SendKey.CTRL_ENTER.value, self.tr("Ctrl+Enter sends, Enter adds a line")),
            ],
        )
        for combo, value in zip((self.language, self.theme, self.send_key), chosen, strict=True):
            if value is not None:
                _select(combo, value)
        self.language_label.setText(self.tr("&Language:"))
        self.language_note.setText(self.tr("Menus and messages switch at once; answers keep their language."))
        self.theme_label.setText(self.tr("&Theme:"))
        self.send_key_label.setText(self.tr("&Send with:"))
        self.font_size_label.setText(self.tr("&Font size:"))
        self.font_size.setSuffix(self.tr(" pt"))
        self.font_size.setSpecialValueText(self.tr("System size"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    combo.blockSignals(True)
    combo.clear()
    for value, text in items:
        combo.addItem(text, value)
    combo.blockSignals(False)


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)
