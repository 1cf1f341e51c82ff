"""The main toolbar's pickers: which provider profile answers, and which model."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from desktop_app.core.preferences import ProviderProfile


class SourcePicker(QWidget):
    """`profile_chosen(id)` when the user picks a provider; `model_chosen(name)` when they pick or
    type a model (on Enter or leaving the field, not per keystroke)."""

    profile_chosen = Signal(str)
    model_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider_label = QLabel(self)
        self.provider = QComboBox(self)
        self.provider.setObjectName("providerPicker")
        self.provider.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.provider.setMinimumContentsLength(12)
        self.provider.setMaximumWidth(280)
        self.model_label = QLabel(self)
        self.model = QComboBox(self)
        self.model.setObjectName("modelPicker")
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model.setMinimumContentsLength(18)
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.model.setMaximumWidth(360)
        self.provider_label.setBuddy(self.provider)
        self.model_label.setBuddy(self.model)
        for label in (self.provider_label, self.model_label):
            label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.provider_label)
        layout.addWidget(self.provider)
        layout.addSpacing(8)
        layout.addWidget(self.model_label)
        layout.addWidget(self.model, 1)
        layout.addStretch(1)  # room the capped pickers cannot use stays at the end, not between labels
        self._committed_model = ""
        self.provider.activated.connect(self._provider_activated)
        self.model.activated.connect(self._commit_model)
        line_edit = self.model.lineEdit()
        assert line_edit is not None
        line_edit.editingFinished.connect(self._commit_model)
        self.retranslate()

    def set_profiles(self, profiles: Sequence[ProviderProfile], current: str) -> None:
        self.provider.blockSignals(True)
        try:
            self.provider.clear()
            for profile in profiles:
                self.provider.addItem(profile.label or profile.id, profile.id)
            if not profiles:
                self.provider.addItem(self.tr("Not set up"), "")
            index = self.provider.findData(current)
            self.provider.setCurrentIndex(index if index >= 0 else 0)
        finally:
            self.provider.blockSignals(False)
        self.provider.setEnabled(bool(profiles))

    def set_models(self, models: Sequence[str], current: str) -> None:
        self.model.blockSignals(True)
        try:
            self.model.clear()
            self.model.addItems(list(models))
            if current and current not in models:
                self.model.insertItem(0, current)
            self.model.setEditText(current)
            self._committed_model = current
        finally:
            self.model.blockSignals(False)

    def current_profile_id(self) -> str:
        data = self.provider.currentData()
        return data if isinstance(data, str) else ""

    def current_model(self) -> str:
        return self.model.currentText().strip()

    def _provider_activated(self, _index: int) -> None:
        profile_id = self.current_profile_id()
        if profile_id:
            self.profile_chosen.emit(profile_id)

    def _commit_model(self, *_args: object) -> None:
        model = self.current_model()
        if model != self._committed_model:
            self._committed_model = model
            self.model_chosen.emit(model)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return super().sizeHint().expandedTo(QSize(420, 0))

    def retranslate(self) -> None:
        self.provider_label.setText(self.tr("&Provider:"))
        self.model_label.setText(self.tr("&Model:"))
        self.provider.setAccessibleName(self.tr("Provider"))
        self.model.setAccessibleName(self.tr("Model"))
        self.model.setToolTip(self.tr("Pick a model the server offers, or type its name"))
        if self.provider.count() == 1 and not self.provider.itemData(0):
            self.provider.setItemText(0, self.tr("Not set up"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def focus_model(self) -> None:
        self.model.setFocus(Qt.FocusReason.ShortcutFocusReason)
