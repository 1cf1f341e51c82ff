"""Preferences → Models: the per-model settings table (takes images, context window) and the
attachment limits, edited with real widgets and saved to a real QSettings INI under tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.preferences import ModelSetting, Preferences, ProviderProfile, Theme
from desktop_app.providers.registry import PRESETS
from desktop_app.storage.settings import Settings
from desktop_app.ui.preferences import PreferencesBackend, PreferencesDialog
from desktop_app.ui.preferences.models import ModelsPage
from tests.support.desktop import MemorySecrets

WAIT_MS = 15_000
OpenDialog = Callable[..., PreferencesDialog]


async def _no_models(_profile: ProviderProfile, _key: str | None) -> list[str]:
    return []


async def _no_test(_preferences: Preferences, _password: str | None) -> str:
    return "not used"


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def settings(ini: Path) -> Settings:
    return Settings(ini)


@pytest.fixture
def open_dialog(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, settings: Settings) -> OpenDialog:
    """The dialog on its Models page, saving through `settings` as the main window does."""

    def make(preferences: Preferences | None = None) -> PreferencesDialog:
        backend = PreferencesBackend(
            secrets=MemorySecrets(), presets=PRESETS, list_models=_no_models, test_connection=_no_test
        )
        dialog = PreferencesDialog(preferences or settings.load(), backend)
        dialog.applied.connect(settings.save)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.open_page("models")
        return dialog

    return make


def press_ok(qtbot: QtBot, dialog: PreferencesDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def add(qtbot: QtBot, page: ModelsPage, model: str) -> int:
    page.new_model.clear()
    qtbot.keyClicks(page.new_model, model)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    return page.models().index(model)


def test_table_edits_reach_the_ini_file_and_a_new_reader(
    qtbot: QtBot, settings: Settings, ini: Path, open_dialog: OpenDialog
) -> None:
    settings.set_model_setting("old-model", ModelSetting(context_tokens=8192))
    settings.set_model_setting("gpt-4o", ModelSetting(takes_images=True))
    dialog = open_dialog()
    page = dialog.models
    assert page.models() == ["gpt-4o", "old-model"]

    row = add(qtbot, page, "llava:13b")
    assert dialog.focusWidget() is page.images_combo(row)  # the next thing to set
    page.images_combo(row).setCurrentIndex(page.images_combo(row).findText("No"))
    qtbot.keyClicks(page.context_field(row), "32 768")  # a thousands separator is fine
    page.table.selectRow(page.models().index("old-model"))
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert page.models() == ["gpt-4o", "llava:13b"]
    press_ok(qtbot, dialog)

    assert Settings(ini).model_settings() == {
        "gpt-4o": ModelSetting(takes_images=True),
        "llava:13b": ModelSetting(takes_images=False, context_tokens=32_768),
    }
    assert "llava:13b" in ini.read_text(encoding="utf-8")
    reopened = open_dialog(Settings(ini).load()).models
    row = reopened.models().index("llava:13b")
    assert reopened.images_combo(row).currentText() == "No"
    assert reopened.context_field(row).text() == "32768"


def test_an_invalid_context_window_blocks_ok_until_fixed(
    qtbot: QtBot, settings: Settings, ini: Path, open_dialog: OpenDialog
) -> None:
    dialog = open_dialog()
    page = dialog.models
    row = add(qtbot, page, "qwen2.5:7b")
    field = page.context_field(row)
    qtbot.keyClicks(field, "12k")

    assert not dialog.ok_button.isEnabled()
    assert not dialog.apply_button.isEnabled()
    assert field.property("invalid") is True
    assert page.table_error.isVisible()
    assert "qwen2.5:7b" in page.table_error.text()
    assert "whole number" in field.accessibleDescription()
    qtbot.keyClick(field, Qt.Key.Key_Return)  # Enter must not press a disabled OK
    assert dialog.isVisible()

    field.clear()
    qtbot.keyClicks(field, "0")
    assert not dialog.ok_button.isEnabled()  # a window of no tokens is no window
    field.clear()
    assert dialog.ok_button.isEnabled()  # empty: as the server says
    qtbot.keyClicks(field, "4096")
    assert dialog.ok_button.isEnabled()
    assert field.property("invalid") is False
    assert not page.table_error.isVisible()
    press_ok(qtbot, dialog)
    assert Settings(ini).model_settings() == {"qwen2.5:7b": ModelSetting(context_tokens=4096)}


def test_removing_an_invalid_row_unblocks_ok(qtbot: QtBot, open_dialog: OpenDialog) -> None:
    dialog = open_dialog()
    page = dialog.models
    row = add(qtbot, page, "m")
    qtbot.keyClicks(page.context_field(row), "lots")
    assert not dialog.ok_button.isEnabled()
    page.table.selectRow(row)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert page.models() == []
    assert dialog.ok_button.isEnabled()
    assert not page.remove_button.isEnabled()  # nothing left to select


def test_attachment_limits_round_trip(qtbot: QtBot, ini: Path, open_dialog: OpenDialog) -> None:
    dialog = open_dialog()
    page = dialog.models
    assert (page.max_file.value(), page.image_side.value()) == (50, 2048)  # the defaults
    page.max_file.setValue(20)
    page.image_side.setValue(1024)
    press_ok(qtbot, dialog)

    loaded = Settings(ini).load()
    assert (loaded.attachment_max_mb, loaded.image_max_side) == (20, 1024)
    text = ini.read_text(encoding="utf-8")
    assert "max_file_mb=20" in text
    assert "image_max_side=1024" in text
    reopened = open_dialog(loaded).models
    assert (reopened.max_file.value(), reopened.image_side.value()) == (20, 1024)
    assert (reopened.max_file.minimum(), reopened.max_file.maximum()) == (1, 2048)
    assert (reopened.image_side.minimum(), reopened.image_side.maximum()) == (256, 8192)


def test_a_model_the_app_marked_text_only_shows_as_no(settings: Settings, open_dialog: OpenDialog) -> None:
    settings.set_model_setting("llava:7b", ModelSetting(takes_images=False))  # a server refused images

    page = open_dialog().models

    assert page.models() == ["llava:7b"]
    assert page.images_combo(0).currentText() == "No"
    assert page.context_field(0).text() == ""
    assert page.context_field(0).placeholderText() == "as the server says"


def test_a_mark_made_while_the_dialog_is_open_survives_its_ok(
    qtbot: QtBot, settings: Settings, ini: Path, open_dialog: OpenDialog
) -> None:
    settings.set_model_setting("mine", ModelSetting(context_tokens=16_000))
    dialog = open_dialog()
    settings.set_model_setting("llava:7b", ModelSetting(takes_images=False))  # meanwhile, a refusal
    dialog.general.theme.setCurrentIndex(dialog.general.theme.findData(Theme.DARK.value))
    page = dialog.models
    page.images_combo(page.models().index("mine")).setCurrentIndex(1)  # Yes
    press_ok(qtbot, dialog)

    assert Settings(ini).model_settings() == {
        "llava:7b": ModelSetting(takes_images=False),
        "mine": ModelSetting(takes_images=True, context_tokens=16_000),
    }
    assert Settings(ini).load().theme is Theme.DARK


def test_the_current_profiles_model_is_suggested_and_enter_adds_it(
    qtbot: QtBot, open_dialog: OpenDialog
) -> None:
    profile = ProviderProfile("local", "ollama", "Ollama", "http://127.0.0.1:11434", "gemma3:4b")
    dialog = open_dialog(Preferences(profiles=(profile,), current_profile="local"))
    page = dialog.models
    assert page.new_model.text() == "gemma3:4b"
    assert "gemma3:4b" in page.new_model.placeholderText()

    page.new_model.setFocus()
    qtbot.keyClick(page.new_model, Qt.Key.Key_Return)  # adds; does not press OK

    assert dialog.isVisible()
    assert page.models() == ["gemma3:4b"]
    assert page.new_model.text() == ""
    assert not page.add_button.isEnabled()
    assert page.images_combo(0).currentText() == "Automatic"
    assert page.table.selectionModel().isRowSelected(0)
    page.table.clearSelection()
    page.new_model.setText("gemma3:4b")  # already listed: selected, not added twice
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.models() == ["gemma3:4b"]
    assert page.table.selectionModel().isRowSelected(0)
