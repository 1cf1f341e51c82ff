"""Preferences → Models: what Parley should assume about particular models (whether they take
images, how long their context window is) where servers do not say or say it wrong, and the size
limits for attachments."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import MAX_CONTEXT_TOKENS, ModelSetting, Preferences, model_settings
from desktop_app.ui.preferences.fields import error_label, mark

# The ranges `storage/settings.py` accepts for the two limits.
MIN_FILE_MB, MAX_FILE_MB = 1, 2048
MIN_IMAGE_SIDE, MAX_IMAGE_SIDE = 256, 8192
MODEL_COLUMN, IMAGES_COLUMN, CONTEXT_COLUMN = range(3)
_IMAGES_CHOICES = (None, True, False)  # Automatic, Yes, No: the combo box's item order
_DIGIT_SEPARATORS = str.maketrans("", "", " ,_'\u00a0\u202f")  # "32 768", "32,768", "32_768"


def context_value(text: str) -> int | None:
    """The context window typed as `text` (None when empty); `ValueError` when it is not one."""
    digits = text.strip().translate(_DIGIT_SEPARATORS)
    if not digits:
        return None
    if not digits.isascii() or not digits.isdigit() or not 0 < int(digits) <= MAX_CONTEXT_TOKENS:
        raise ValueError(digits)
    return int(digits)


def context_problem(model: str, text: str) -> str | None:
    try:
        context_value(text)
    except ValueError:
        return QCoreApplication.translate(
            "ModelsPage",
            "The context window of {model} is a whole number of tokens (for example 32768); "
            "leave it empty to use what the server says.",
        ).format(model=model)
    return None


class ModelsPage(QWidget):
    validity_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._suggestion = ""
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("modelTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab moves between the row's fields, then on
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(MODEL_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(IMAGES_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CONTEXT_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(120)  # the context column also fits "as the server says"
        header.setHighlightSections(False)
        self.table_error = error_label(self)

        self.new_model = QLineEdit(self)
        self.new_model.setObjectName("newModel")
        self.new_model.setClearButtonEnabled(True)
        self.new_model.installEventFilter(self)  # Enter adds the model instead of pressing OK
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("addModel")
        self.add_button.setAutoDefault(False)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("removeModel")
        self.remove_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_model, 1)
        buttons.addWidget(self.add_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.remove_button)

        self.limits_box = QGroupBox(self)
        self.max_file = QSpinBox(self.limits_box)
        self.max_file.setObjectName("attachmentMaxMb")
        self.max_file.setRange(MIN_FILE_MB, MAX_FILE_MB)
        self.image_side = QSpinBox(self.limits_box)
        self.image_side.setObjectName("imageMaxSide")
        self.image_side.setRange(MIN_IMAGE_SIDE, MAX_IMAGE_SIDE)
        self.image_side.setSingleStep(256)
        for spin in (self.max_file, self.image_side):
            spin.setMinimumWidth(120)
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.max_file_label = QLabel(self.limits_box)
        self.max_file_label.setBuddy(self.max_file)
        self.image_side_label = QLabel(self.limits_box)
        self.image_side_label.setBuddy(self.image_side)
        limits = QFormLayout(self.limits_box)
        limits.addRow(self.max_file_label, self.max_file)
        limits.addRow(self.image_side_label, self.image_side)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.table_error)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(self.limits_box)

        self.new_model.textChanged.connect(self._update_buttons)
        self.add_button.clicked.connect(self._add_typed)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.installEventFilter(self)  # Delete removes the selected models
        self.retranslate()
        self._update_buttons()

    # -- load and collect ----------------------------------------------------------------------

    def load(self, preferences: Preferences) -> None:
        self.table.setRowCount(0)
        for model, setting in preferences.models:
            self._append(model, setting)
        self.max_file.setValue(preferences.attachment_max_mb)
        self.image_side.setValue(preferences.image_max_side)
        self.suggest(preferences)
        self._revalidate()

    def suggest(self, preferences: Preferences) -> None:
        """Offer the current profile's model (and the other profiles' models) in the Add field."""
        current = preferences.profile(preferences.current_profile)
        self._suggestion = current.model.strip() if current is not None else ""
        known = sorted({p.model.strip() for p in preferences.profiles if p.model.strip()})
        completer = QCompleter(known, self.new_model)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.new_model.setCompleter(completer)
        if not self.new_model.text() and self._suggestion and self._row_of(self._suggestion) < 0:
            self.new_model.setText(self._suggestion)
        self.retranslate()

    def apply(self, preferences: Preferences) -> Preferences:
        """`preferences` with this page's values (an invalid context window keeps the saved one)."""
        entries: dict[str, ModelSetting] = {}
        for row in range(self.table.rowCount()):
            model = self.model_at(row)
            try:
                context = context_value(self.context_field(row).text())
            except ValueError:
                context = preferences.model_setting(model).context_tokens
            entries[model] = ModelSetting(takes_images=self._images_at(row), context_tokens=context)
        return dataclasses.replace(
            preferences,
            models=model_settings(entries),
            attachment_max_mb=self.max_file.value(),
            image_max_side=self.image_side.value(),
        )

    def is_valid(self) -> bool:
        return all(
            context_problem(self.model_at(row), self.context_field(row).text()) is None
            for row in range(self.table.rowCount())
        )

    # -- the table -----------------------------------------------------------------------------

    def models(self) -> list[str]:
        return [self.model_at(row) for row in range(self.table.rowCount())]

    def model_at(self, row: int) -> str:
        item = self.table.item(row, MODEL_COLUMN)
        return item.text() if item is not None else ""

    def images_combo(self, row: int) -> QComboBox:
        combo = self.table.cellWidget(row, IMAGES_COLUMN)
        assert isinstance(combo, QComboBox)
        return combo

    def context_field(self, row: int) -> QLineEdit:
        field = self.table.cellWidget(row, CONTEXT_COLUMN)
        assert isinstance(field, QLineEdit)
        return field

    def _images_at(self, row: int) -> bool | None:
        return _IMAGES_CHOICES[max(0, self.images_combo(row).currentIndex())]

    def _row_of(self, model: str) -> int:
        return next((row for row in range(self.table.rowCount()) if self.model_at(row) == model), -1)

    def add_model(self, model: str) -> int:
        """Add a row for `model` (or find its row) and select it; returns the row."""
        model = model.strip()
        row = self._row_of(model)
        if row < 0:
            row = self._append(model, ModelSetting())
            self._revalidate()
        self.table.selectRow(row)
        self.table.scrollTo(self.table.model().index(row, MODEL_COLUMN))
        return row

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows and self.table.rowCount():
            self.table.selectRow(min(rows[-1], self.table.rowCount() - 1))
        self._revalidate()

    def _add_typed(self) -> None:
        text = self.new_model.text().strip()
        if not text:
            return
        row = self.add_model(text)
        self.new_model.clear()
        self.images_combo(row).setFocus(Qt.FocusReason.OtherFocusReason)

    def _append(self, model: str, setting: ModelSetting) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        item = QTableWidgetItem(model)
        item.setToolTip(model)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.table.setItem(row, MODEL_COLUMN, item)
        combo = QComboBox(self.table)
        combo.setObjectName("takesImages")
        _fill_images(combo)
        combo.setCurrentIndex(_IMAGES_CHOICES.index(setting.takes_images))
        self.table.setCellWidget(row, IMAGES_COLUMN, combo)
        field = QLineEdit(self.table)
        field.setObjectName("contextTokens")
        field.setFrame(False)
        field.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if setting.context_tokens is not None:
            field.setText(str(setting.context_tokens))
        field.textChanged.connect(self._revalidate)
        self.table.setCellWidget(row, CONTEXT_COLUMN, field)
        self._name_row(row)
        return row

    def _name_row(self, row: int) -> None:
        model = self.model_at(row)
        self.images_combo(row).setAccessibleName(self.tr("Whether {model} takes images").format(model=model))
        self.images_combo(row).setToolTip(
            self.tr(
                "Automatic: as the server or the model's name says. No: images are replaced by their names."
            )
        )
        field = self.context_field(row)
        field.setAccessibleName(self.tr("Context window of {model} in tokens").format(model=model))
        field.setPlaceholderText(self.tr("as the server says"))

    # -- validity and buttons ------------------------------------------------------------------

    def _revalidate(self) -> None:
        first: str | None = None
        for row in range(self.table.rowCount()):
            field = self.context_field(row)
            problem = context_problem(self.model_at(row), field.text())
            if field.property("invalid") != bool(problem):
                field.setProperty("invalid", bool(problem))
                field.style().unpolish(field)
                field.style().polish(field)
            field.setAccessibleDescription(problem or "")
            first = first or problem
        mark(self.table, self.table_error, first)
        self._update_buttons()
        self.validity_changed.emit()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.new_model.text().strip()))
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        if watched is self.new_model and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            completer = self.new_model.completer()
            popup = completer.popup() if completer is not None else None
            if popup is None or not popup.isVisible():
                self._add_typed()
                return True
        if watched is self.table and (
            event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace
        ):
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    # -- text ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.intro.setText(
            self.tr(
                "Parley asks servers which models take images and how many tokens fit in their "
                "context window. Set a model here when its server does not say or says it wrong. "
                "When a server refuses a model's images, Parley sets it to “No” by itself."
            )
        )
        self.table.setHorizontalHeaderLabels(
            [self.tr("Model"), self.tr("Takes images"), self.tr("Context window (tokens)")]
        )
        self.table.setAccessibleName(self.tr("Model settings"))
        self.new_model.setAccessibleName(self.tr("Model id to add"))
        self.new_model.setPlaceholderText(
            self.tr("Model id, for example {model}").format(model=self._suggestion)
            if self._suggestion
            else self.tr("Model id, as the server names it")
        )
        self.add_button.setText(self.tr("A&dd"))
        self.remove_button.setText(self.tr("&Remove"))
        self.remove_button.setToolTip(self.tr("Forget the selected models' settings (Delete)"))
        self.limits_box.setTitle(self.tr("Attachments"))
        self.max_file_label.setText(self.tr("Largest &file:"))
        self.max_file.setSuffix(self.tr(" MB"))
        self.max_file.setToolTip(self.tr("Larger files are refused when you attach them."))
        self.max_file.setAccessibleName(self.tr("Largest attachment in megabytes"))
        self.image_side_label.setText(self.tr("Downscale &images to:"))
        self.image_side.setSuffix(self.tr(" px, longest side"))
        self.image_side.setToolTip(
            self.tr("Larger images are made smaller before they are sent; fewer pixels cost fewer tokens.")
        )
        self.image_side.setAccessibleName(self.tr("Longest image side in pixels"))
        for row in range(self.table.rowCount()):
            _fill_images(self.images_combo(row))
            self._name_row(row)
        self._revalidate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _fill_images(combo: QComboBox) -> None:
    """(Re)fill the Takes images choices in the current language, keeping the choice."""
    chosen = max(0, combo.currentIndex())
    texts = (
        QCoreApplication.translate("ModelsPage", "Automatic"),
        QCoreApplication.translate("ModelsPage", "Yes"),
        QCoreApplication.translate("ModelsPage", "No"),
    )
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(list(texts))
    combo.setCurrentIndex(chosen)
    combo.blockSignals(False)
