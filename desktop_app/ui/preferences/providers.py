"""Preferences → Providers: the provider profiles (Yqcloud, presets, custom OpenAI-compatible
servers, Ollama), which one new chats use, and each one's key and default model."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.ui.preferences.backend import PresetLike, api_key_name, preset_profile, unique_id
from desktop_app.ui.preferences.desktop import DetectedServer, same_server
from desktop_app.ui.preferences.fields import error_colour
from desktop_app.ui.preferences.profile_form import ProfileForm, profile_problem

_ID_ROLE = Qt.ItemDataRole.UserRole


class ProvidersPage(QWidget):
    validity_changed = Signal()
    key_status_needed = Signal(str)  # profile id whose saved-key state is unknown
    models_requested = Signal(object, object)  # ProviderProfile, typed key (str | None)

    def __init__(self, presets: Sequence[PresetLike], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._presets = list(presets)
        self._profiles: list[ProviderProfile] = []
        self._typed_keys: dict[str, str] = {}
        self._key_saved: dict[str, bool] = {}
        self._removed_with_key: set[str] = set()
        self.default_label = QLabel(self)
        self.default_profile = QComboBox(self)
        self.default_profile.setObjectName("defaultProfile")
        self.default_label.setBuddy(self.default_profile)
        self.list = QListWidget(self)
        self.list.setObjectName("profileList")
        self.list.setMaximumWidth(220)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("addProfile")
        self.add_menu = QMenu(self)
        self.add_button.setMenu(self.add_menu)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("removeProfile")
        self.form = ProfileForm(self)

        top = QFormLayout()
        top.addRow(self.default_label, self.default_profile)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.form, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.list.currentRowChanged.connect(self._select_row)
        self.remove_button.clicked.connect(self._remove_current)
        self.form.edited.connect(self._profile_edited)
        self.form.key_typed.connect(self._key_typed)
        self.form.refresh_requested.connect(self._refresh_models)
        self.retranslate()

    # -- load and collect ----------------------------------------------------------------------

    def load(self, preferences: Preferences) -> None:
        self._profiles = list(preferences.profiles)
        self._typed_keys.clear()
        self._removed_with_key.clear()
        self._rebuild(select=preferences.current_profile or None)
        _select_data(self.default_profile, preferences.current_profile)

    def apply(self, preferences: Preferences) -> Preferences:
        current = self.default_profile.currentData()
        return dataclasses.replace(
            preferences,
            profiles=tuple(self._profiles),
            current_profile=current if isinstance(current, str) else "",
        )

    def secret_changes(self) -> dict[str, str | None]:
        """New keys typed for profiles (written), and keys of removed profiles (deleted)."""
        changes: dict[str, str | None] = {api_key_name(i): None for i in self._removed_with_key}
        kept = {p.id for p in self._profiles}
        for profile_id, key in self._typed_keys.items():
            if key.strip() and profile_id in kept:
                changes[api_key_name(profile_id)] = key.strip()
        return changes

    def is_valid(self) -> bool:
        return all(profile_problem(p) is None for p in self._profiles)

    def current_profile(self) -> ProviderProfile | None:
        row = self.list.currentRow()
        return self._profiles[row] if 0 <= row < len(self._profiles) else None

    # -- answers from the dialog ---------------------------------------------------------------

    def set_key_saved(self, profile_id: str, saved: bool) -> None:
        self._key_saved[profile_id] = saved
        current = self.current_profile()
        if current is not None and current.id == profile_id:
            self.form.set_key_saved(saved)

    def show_models(self, profile_id: str, models: list[str]) -> None:
        current = self.current_profile()
        if current is not None and current.id == profile_id:
            self.form.show_models(models)

    def show_models_error(self, profile_id: str, message: str) -> None:
        current = self.current_profile()
        if current is not None and current.id == profile_id:
            self.form.show_models_error(message)

    def add_preset(self, preset_id: str) -> ProviderProfile | None:
        """Add a profile from the preset `preset_id` and select it (the welcome panel's
        "Enter an API key" path uses this)."""
        preset = next((p for p in self._presets if p.id == preset_id), None)
        if preset is None:
            return None
        profile = preset_profile(preset, [p.id for p in self._profiles])
        self._add(profile)
        return profile

    def add_server(self, server: DetectedServer) -> ProviderProfile | None:
        """A model server found by the scan (Preferences → General) becomes a profile here at
        once, unless one for it exists; the first becomes the default when none is chosen."""
        if any(same_server(p, server.profile) for p in self._profiles):
            return None
        profile = dataclasses.replace(
            server.profile, id=unique_id(server.profile.id, [p.id for p in self._profiles])
        )
        self._add(profile)
        return profile

    def focus_key(self) -> None:
        self.form.api_key.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- internals -----------------------------------------------------------------------------

    def _add(self, profile: ProviderProfile) -> None:
        self._profiles.append(profile)
        if not self.default_profile.currentData():
            self._rebuild(select=profile.id, default=profile.id)
        else:
            self._rebuild(select=profile.id)
        self.validity_changed.emit()

    def _add_custom(self, kind: ProviderKind) -> None:
        taken = [p.id for p in self._profiles]
        if kind is ProviderKind.OPENAI:
            profile = ProviderProfile(unique_id("custom", taken), kind, self.tr("Custom server"))
        else:  # named after its kind, at its usual address
            facts = kind.facts
            profile = ProviderProfile(unique_id(kind.value, taken), kind, facts.name, facts.url.default)
        self._add(profile)
        self.form.base_url.setFocus(Qt.FocusReason.OtherFocusReason)

    def _remove_current(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._profiles):
            return
        removed = self._profiles.pop(row)
        self._typed_keys.pop(removed.id, None)
        if self._key_saved.get(removed.id):
            self._removed_with_key.add(removed.id)
        default = self.default_profile.currentData()
        if default == removed.id:
            default = self._profiles[0].id if self._profiles else ""
        self._rebuild(
            select=self._profiles[min(row, len(self._profiles) - 1)].id if self._profiles else None,
            default=default,
        )
        self.validity_changed.emit()

    def _rebuild(self, *, select: str | None, default: str | None = None) -> None:
        chosen_default = default if default is not None else self.default_profile.currentData()
        self.list.blockSignals(True)
        self.default_profile.blockSignals(True)
        try:
            self.list.clear()
            self.default_profile.clear()
            for profile in self._profiles:
                self.list.addItem(QListWidgetItem(profile.label or profile.id))
                self.default_profile.addItem(profile.label or profile.id, profile.id)
            if not self._profiles:
                self.default_profile.addItem(self.tr("None yet: add a provider"), "")
            _select_data(self.default_profile, chosen_default if isinstance(chosen_default, str) else "")
            index = next(
                (i for i, p in enumerate(self._profiles) if p.id == select), 0 if self._profiles else -1
            )
            self.list.setCurrentRow(index)
        finally:
            self.list.blockSignals(False)
            self.default_profile.blockSignals(False)
        self._refresh_marks()
        self._select_row(self.list.currentRow())

    def _select_row(self, row: int) -> None:
        profile = self._profiles[row] if 0 <= row < len(self._profiles) else None
        self.remove_button.setEnabled(profile is not None)
        if profile is None:
            self.form.load(None, "", None)
            return
        self.form.load(profile, self._typed_keys.get(profile.id, ""), self._key_saved.get(profile.id))
        if profile.kind.facts.uses_api_key and profile.id not in self._key_saved:
            self.key_status_needed.emit(profile.id)

    def _profile_edited(self, edited: object) -> None:
        assert isinstance(edited, ProviderProfile)
        row = self.list.currentRow()
        if not 0 <= row < len(self._profiles) or self._profiles[row].id != edited.id:
            return
        self._profiles[row] = edited
        name = edited.label or edited.id
        self.list.item(row).setText(name)
        index = self.default_profile.findData(edited.id)
        if index >= 0:
            self.default_profile.setItemText(index, name)
        self._refresh_marks()
        self.validity_changed.emit()

    def _refresh_marks(self) -> None:
        """Profiles with a problem show it in the list too, so a hidden one is not missed."""
        for row, profile in enumerate(self._profiles):
            item = self.list.item(row)
            problem = profile_problem(profile)
            item.setForeground(QBrush(error_colour(self.palette())) if problem else QBrush())
            item.setToolTip(problem or "")

    def _key_typed(self, text: str) -> None:
        profile = self.current_profile()
        if profile is not None:
            self._typed_keys[profile.id] = text

    def _refresh_models(self) -> None:
        profile = self.current_profile()
        if profile is None or profile_problem(profile) is not None:
            return
        typed = self._typed_keys.get(profile.id, "").strip() or None
        self.form.models_loading()
        self.models_requested.emit(profile, typed)

    def _fill_add_menu(self) -> None:
        self.add_menu.clear()
        for preset in self._presets:
            action = self.add_menu.addAction(preset.label)
            action.setData(preset.id)
            action.triggered.connect(lambda _checked=False, preset_id=preset.id: self.add_preset(preset_id))
        self.add_menu.addSeparator()
        self.add_menu.addAction(
            self.tr("Other OpenAI-compatible server…"), lambda: self._add_custom(ProviderKind.OPENAI)
        )
        self.add_menu.addAction(
            self.tr("Ollama on another address…"), lambda: self._add_custom(ProviderKind.OLLAMA)
        )

    def retranslate(self) -> None:
        self.default_label.setText(self.tr("New chats &use:"))
        self.add_button.setText(self.tr("&Add"))
        self.remove_button.setText(self.tr("&Remove"))
        self.list.setAccessibleName(self.tr("Provider profiles"))
        self._fill_add_menu()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self._refresh_marks()  # problems named in the list's tooltips
            if not self._profiles:
                self.default_profile.setItemText(0, self.tr("None yet: add a provider"))
        super().changeEvent(event)


def _select_data(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)
