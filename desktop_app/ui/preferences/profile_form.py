"""The form for one provider profile: name, base URL, API key (masked, kept in the keychain) and
the default model with a Refresh button that asks the server for its models."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from desktop_app.core.preferences import ProviderProfile
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.ui.icons import palette_icon
from desktop_app.ui.preferences.fields import error_label, mark, show_error


def kind_label(kind: ProviderKind) -> str:
    """The kind as the form names it, in the UI language (a kind without a translated name here
    shows its plain name from core)."""
    labels = {
        ProviderKind.YQCLOUD: QCoreApplication.translate("ProfileForm", "Yqcloud (unofficial, no account)"),
        ProviderKind.OPENAI: QCoreApplication.translate("ProfileForm", "OpenAI-compatible API"),
        ProviderKind.OLLAMA: QCoreApplication.translate("ProfileForm", "Ollama"),
    }
    return labels.get(kind, kind.facts.name)


def base_url_problem(profile: ProviderProfile) -> str | None:
    url = profile.base_url.strip()
    if not url:
        if profile.kind.facts.url.required:
            return QCoreApplication.translate(
                "ProfileForm", "Enter the API's base URL, for example http://127.0.0.1:8080/v1."
            )
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return QCoreApplication.translate(
            "ProfileForm", "The base URL starts with http:// or https:// and names a server."
        )
    return None


def label_problem(profile: ProviderProfile) -> str | None:
    if not profile.label.strip():
        return QCoreApplication.translate("ProfileForm", "Give this provider a name.")
    return None


def profile_problem(profile: ProviderProfile) -> str | None:
    return label_problem(profile) or base_url_problem(profile)


class ProfileForm(QWidget):
    """Edits one profile at a time; `edited(profile)` follows every change the user makes."""

    edited = Signal(object)  # ProviderProfile
    key_typed = Signal(str)  # the API key field's text ("" = keep the saved key)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._profile: ProviderProfile | None = None
        self._key_saved: bool | None = None
        self._loading = False
        self.label = QLineEdit(self)
        self.label.setObjectName("profileLabel")
        self.label_error = error_label(self)
        self.kind = QLabel(self)
        self.base_url = QLineEdit(self)
        self.base_url.setObjectName("profileBaseUrl")
        self.base_url_error = error_label(self)
        self.api_key = QLineEdit(self)
        self.api_key.setObjectName("profileApiKey")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_key = QToolButton(self)
        self.show_key.setCheckable(True)
        self.key_note = QLabel(self)
        self.key_note.setWordWrap(True)
        self.model = QComboBox(self)
        self.model.setObjectName("profileModel")
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.refresh = QToolButton(self)
        self.refresh.setObjectName("refreshModels")
        self.refresh.setIconSize(QSize(16, 16))
        self.model_status = error_label(self)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)

        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.show_key)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.refresh)
        self.label_caption = QLabel(self)
        self.kind_caption = QLabel(self)
        self.base_url_caption = QLabel(self)
        self.api_key_caption = QLabel(self)
        self.model_caption = QLabel(self)
        self.label_caption.setBuddy(self.label)
        self.base_url_caption.setBuddy(self.base_url)
        self.api_key_caption.setBuddy(self.api_key)
        self.model_caption.setBuddy(self.model)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow(self.label_caption, self.label)
        self.form.addRow("", self.label_error)
        self.form.addRow(self.kind_caption, self.kind)
        self.form.addRow(self.base_url_caption, self.base_url)
        self.form.addRow("", self.base_url_error)
        self.form.addRow(self.api_key_caption, key_row)
        self.form.addRow("", self.key_note)
        self.form.addRow(self.model_caption, model_row)
        self.form.addRow("", self.model_status)
        self.form.addRow("", self.notice)

        self.label.textEdited.connect(self._changed)
        self.base_url.textEdited.connect(self._changed)
        self.model.editTextChanged.connect(self._changed)
        self.api_key.textEdited.connect(self.key_typed)
        self.show_key.toggled.connect(self._toggle_key_visible)
        self.refresh.clicked.connect(self.refresh_requested)
        self.refresh.setIcon(palette_icon("refresh", self.palette()))
        self.retranslate()

    # -- what the page tells the form ----------------------------------------------------------

    def load(self, profile: ProviderProfile | None, typed_key: str, key_saved: bool | None) -> None:
        self._loading = True
        try:
            self._profile = profile
            self._key_saved = key_saved
            self.setEnabled(profile is not None)
            profile = profile or ProviderProfile(id="", kind=ProviderKind.OPENAI, label="")
            self.label.setText(profile.label)
            self.kind.setText(kind_label(profile.kind))
            self.base_url.setText(profile.base_url)
            self.api_key.setText(typed_key)
            self.model.clear()
            if profile.model:
                self.model.addItem(profile.model)
            self.model.setEditText(profile.model)
            show_error(self.model_status, None)
            self._update_kind_rows(profile.kind)
            self.retranslate()
        finally:
            self._loading = False
        self.validate()

    def set_key_saved(self, saved: bool | None) -> None:
        self._key_saved = saved
        self.retranslate()

    def show_models(self, models: list[str]) -> None:
        current = self.model.currentText()
        self._loading = True
        try:
            self.model.clear()
            self.model.addItems(models)
            self.model.setEditText(current or (models[0] if models else ""))
        finally:
            self._loading = False
        self.refresh.setEnabled(True)
        if models:
            self.model_status.setStyleSheet("")
            self.model_status.setText(self.tr("%n model(s) offered by the server.", "", len(models)))
            self.model_status.show()
        else:
            self.model_status.setStyleSheet("")
            self.model_status.setText(self.tr("The server did not list any models; type the model's name."))
            self.model_status.show()
        if not current and models:
            self._changed()

    def show_models_error(self, message: str) -> None:
        self.refresh.setEnabled(True)
        show_error(self.model_status, message)

    def models_loading(self) -> None:
        self.refresh.setEnabled(False)
        self.model_status.setStyleSheet("")
        self.model_status.setText(self.tr("Asking the server for its models…"))
        self.model_status.show()

    def validate(self) -> bool:
        profile = self._profile
        if profile is None:
            return True
        label_ok = mark(self.label, self.label_error, label_problem(profile))
        url_ok = mark(self.base_url, self.base_url_error, base_url_problem(profile))
        return label_ok and url_ok

    # -- internals -----------------------------------------------------------------------------

    def _changed(self, *_args: object) -> None:
        if self._loading or self._profile is None:
            return
        self._profile = dataclasses.replace(
            self._profile,
            label=self.label.text(),
            base_url=self.base_url.text().strip(),
            model=self.model.currentText().strip(),
        )
        self.validate()
        self.edited.emit(self._profile)

    def _toggle_key_visible(self, visible: bool) -> None:
        self.api_key.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)
        self.retranslate()

    def _update_kind_rows(self, kind: ProviderKind) -> None:
        facts = kind.facts
        self.form.setRowVisible(self.base_url, facts.url.editable)
        for row in (self.api_key_caption, self.key_note):
            self.form.setRowVisible(row, facts.uses_api_key)
        self.refresh.setEnabled(facts.lists_models)
        self.notice.setVisible(kind is ProviderKind.YQCLOUD)  # the notice is about Yqcloud

    def retranslate(self) -> None:
        self.label_caption.setText(self.tr("&Name:"))
        self.kind_caption.setText(self.tr("Kind:"))
        self.base_url_caption.setText(self.tr("&Base URL:"))
        self.api_key_caption.setText(self.tr("API &key:"))
        self.model_caption.setText(self.tr("Default &model:"))
        self.show_key.setText(self.tr("Hide") if self.show_key.isChecked() else self.tr("Show"))
        self.show_key.setAccessibleName(self.tr("Show the API key"))
        self.refresh.setToolTip(self.tr("Ask the server which models it offers"))
        self.refresh.setAccessibleName(self.tr("Refresh the model list"))
        self.base_url.setPlaceholderText(self.tr("http://127.0.0.1:8080/v1"))
        if self._key_saved:
            self.api_key.setPlaceholderText(self.tr("A key is saved; type to replace it"))
        else:
            self.api_key.setPlaceholderText(self.tr("Paste the API key"))
        self.key_note.setText(
            self.tr(
                "Kept in the system keychain (service “Parley”), never in the settings file; sent "
                "only to this provider. Local servers usually need no key."
            )
        )
        self.notice.setText(
            self.tr(
                "Yqcloud is an unofficial third-party service: it sees your prompts and may be "
                "unavailable at any time. It needs no account and offers one model."
            )
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            if self._profile is not None:  # the kind and any problem shown, in the new language
                self.kind.setText(kind_label(self._profile.kind))
                self.validate()
        elif event.type() == QEvent.Type.PaletteChange:
            self.refresh.setIcon(palette_icon("refresh", self.palette()))
        super().changeEvent(event)
