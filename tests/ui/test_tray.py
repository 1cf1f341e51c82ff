"""The tray, closing into it, notifications, the global shortcut and the desktop part of Preferences,
in the real window over real services (see test_quick_prompt.py for the harness). The offscreen
platform has no tray, so a seam says whether there is one; showing Qt's icon there makes Qt warn
about a missing platform signal, which those tests ignore."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Preferences
from desktop_app.storage.settings import Keys, Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.tray import keeps_running_on_close, preview, should_notify
from tests.support.desktop import WAIT_MS, ChatAPI, DesktopApp, configured

NO_PLATFORM_TRAY = "No such signal QPlatformNativeInterface::systemTrayWindowChanged"
with_a_tray = pytest.mark.qt_log_ignore(NO_PLATFORM_TRAY)


# -- the decisions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("close_to_tray", "tray_shown", "keeps_running"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_closing_keeps_parley_running_only_with_a_tray_and_the_preference(
    close_to_tray: bool, tray_shown: bool, keeps_running: bool
) -> None:
    assert keeps_running_on_close(close_to_tray, tray_shown) is keeps_running


@pytest.mark.parametrize(
    ("enabled", "in_front", "status", "notify"),
    [
        (True, False, MessageStatus.COMPLETE, True),
        (True, False, MessageStatus.ERROR, True),
        (True, False, MessageStatus.STOPPED, False),  # the user stopped it: they are looking
        (True, True, MessageStatus.COMPLETE, False),
        (False, False, MessageStatus.COMPLETE, False),
    ],
)
def test_a_notification_only_when_wanted_and_out_of_sight(
    enabled: bool, in_front: bool, status: MessageStatus, notify: bool
) -> None:
    assert should_notify(enabled, in_front, status) is notify


def test_the_preview_is_one_short_line() -> None:
    assert preview("Hello,\n\n  world") == "Hello, world"
    long = preview("word " * 100)
    assert len(long) == 120
    assert long.endswith("…")


# -- closing the window ------------------------------------------------------------------------


@with_a_tray
def test_closing_with_a_tray_hides_into_it_and_says_so_once(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app: DesktopApp = make_app(configured(api))
    app.tray = True
    window = app.open()
    assert window.desktop.tray.icon.isVisible()
    with qtbot.waitSignal(window.desktop.tray.message_shown, timeout=WAIT_MS) as notice:
        window.close()
    assert not window.isVisible()
    assert not window.close_requested.is_set()  # still running
    assert "still running" in notice.args[0]
    assert Settings(app.data_dir / "settings.ini").get(Keys.TRAY_NOTICE_SHOWN)
    shown: list[str] = []
    window.desktop.tray.message_shown.connect(lambda title, _text: shown.append(title))
    window.desktop.tray.open_action.trigger()
    assert window.isVisible()
    window.close()
    assert not window.isVisible()
    assert shown == []  # the notice is said only the first time


def test_closing_without_a_tray_quits(make_app: Any, api: ChatAPI) -> None:
    window = make_app(configured(api)).open()
    assert not window.desktop.tray.icon.isVisible()
    window.close()
    assert window.close_requested.is_set()


@with_a_tray
def test_closing_quits_when_the_preference_is_off(make_app: Any, api: ChatAPI) -> None:
    app = make_app(dataclasses.replace(configured(api), close_to_tray=False))
    app.tray = True
    window = app.open()
    window.close()
    assert window.close_requested.is_set()


# -- the tray menu -----------------------------------------------------------------------------


@with_a_tray
def test_the_tray_menu_actions(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    app.tray = True
    window: MainWindow = app.open()
    tray = window.desktop.tray
    assert [a.text().replace("&", "") for a in tray.menu.actions() if not a.isSeparator()] == [
        "Quick prompt",
        "Open Parley",
        "New chat",
        "Preferences…",
        "Quit Parley",
    ]
    window.hide()
    tray.open_action.trigger()
    assert window.isVisible()
    window.hide()
    tray.quick_action.trigger()
    assert window.desktop.quick.isVisible()
    window.desktop.quick.dismiss()
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # a left click
    assert window.desktop.quick.isVisible()
    window.desktop.quick.dismiss()
    window.hide()
    tray.new_chat_action.trigger()
    assert window.isVisible()
    assert window.conversations.current is None
    tray.preferences_action.trigger()
    dialog = window._preferences_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.general
    dialog.reject()
    tray.quit_action.trigger()
    assert window.close_requested.is_set()


def test_another_start_brings_the_window_or_the_quick_prompt(make_app: Any, api: ChatAPI) -> None:
    window = make_app(configured(api)).open()
    window.hide()
    window.desktop.handle_instance_args([])
    assert window.isVisible()
    window.desktop.handle_instance_args(["--quick"])
    assert window.desktop.quick.isVisible()


# -- notifications -----------------------------------------------------------------------------


def complete_answers(app: DesktopApp) -> int:
    return sum(
        1
        for conversation in app.conversations()
        for message in app.messages(conversation.id)
        if message.role is Role.ASSISTANT and message.status is MessageStatus.COMPLETE
    )


def send_from_window(qtbot: QtBot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.composer.edit, text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)


@with_a_tray
def test_an_answer_finishing_while_hidden_is_announced_and_clicking_opens_it(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    app.tray = True
    window = app.open()
    api.hold_after = 1
    send_from_window(qtbot, window, "Write a poem")
    qtbot.waitUntil(lambda: "Quick" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    window.hide()
    assert QApplication.activeWindow() is None
    with qtbot.waitSignal(window.desktop.tray.message_shown, timeout=WAIT_MS) as message:
        api.release.set()
    title, text = message.args
    assert title == "Answer ready in “Write a poem”"
    assert text == "Quick answer!"
    [conversation] = app.conversations()
    window.new_chat()
    window.desktop.tray.icon.messageClicked.emit()
    assert window.isVisible()
    assert window.conversations.current == conversation.id


@with_a_tray
def test_an_answer_of_a_conversation_not_shown_ends_while_hidden_with_one_notification(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    """The workspace announces every answer that ends; before it, only an answer the chat view
    rendered was announced, so one streaming in a conversation that was no longer shown (or in a
    hidden window that did not paint) ended silently."""
    app = make_app(configured(api))
    app.tray = True
    window = app.open()
    api.hold_after = 1
    send_from_window(qtbot, window, "Background poem")
    qtbot.waitUntil(lambda: "Quick" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    [streaming] = app.conversations()
    window.new_chat()  # the answer goes on, no longer shown
    window.hide()
    assert QApplication.activeWindow() is None
    shown: list[tuple[str, str]] = []
    window.desktop.tray.message_shown.connect(lambda title, text: shown.append((title, text)))
    api.release.set()
    qtbot.waitUntil(lambda: complete_answers(app) == 1 and bool(shown), timeout=WAIT_MS)
    assert shown == [("Answer ready in “Background poem”", "Quick answer!")]
    window.desktop.tray.icon.messageClicked.emit()
    assert window.conversations.current == streaming.id
    assert "Quick answer!" in window.chat_view.browser.toPlainText()


@with_a_tray
def test_no_notification_while_parley_is_in_front_or_when_turned_off(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    app.tray = True
    window = app.open()
    shown: list[str] = []
    window.desktop.tray.message_shown.connect(lambda title, _text: shown.append(title))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    send_from_window(qtbot, window, "in front")
    qtbot.waitUntil(lambda: complete_answers(app) == 1, timeout=WAIT_MS)
    window.apply_preferences(dataclasses.replace(window.preferences, notify_when_done=False))
    window.hide()
    assert QApplication.activeWindow() is None
    send_from_window(qtbot, window, "hidden, but notifications are off")
    qtbot.waitUntil(lambda: complete_answers(app) == 2, timeout=WAIT_MS)
    assert shown == []


# -- the global shortcut -----------------------------------------------------------------------


def test_the_shortcut_is_registered_at_start_and_toggles_the_quick_prompt(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    hotkey = app.hotkey
    assert hotkey.grabbed == ["Ctrl+Shift+Space"]
    quick = window.desktop.quick
    hotkey.press()
    qtbot.waitUntil(quick.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(quick.isActiveWindow, timeout=WAIT_MS)
    hotkey.press()
    qtbot.waitUntil(lambda: not quick.isVisible(), timeout=WAIT_MS)
    app.close()
    assert hotkey.released == 1  # let go at shutdown
    assert not hotkey.is_registered


def test_a_new_shortcut_from_preferences_is_registered(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    dialog = window.open_preferences("general")
    section = dialog.general.desktop
    section.hotkey.setKeySequence(QKeySequence("Ctrl+Alt+K"))
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.preferences.hotkey == "Ctrl+Alt+K", timeout=WAIT_MS)
    assert app.hotkey.grabbed[-1] == "Ctrl+Alt+K"
    assert app.hotkey.sequence == "Ctrl+Alt+K"
    assert Settings(app.data_dir / "settings.ini").load().hotkey == "Ctrl+Alt+K"
    section.hotkey.setKeySequence(QKeySequence("Shift+K"))  # would take K from every application
    assert not section.is_valid()
    assert not dialog.ok_button.isEnabled()
    assert "add Ctrl, Alt or Meta" in section.hotkey_problem.text()
    dialog.reject()


@with_a_tray
def test_a_refused_shortcut_is_explained_in_preferences_and_the_tray_still_works(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    app.tray = True
    app.hotkey_refusal = "Ctrl+Shift+Space is already used by another application; choose another shortcut."
    window = app.open()
    assert not app.hotkey.is_registered
    dialog = window.open_preferences("general")
    section = dialog.general.desktop
    assert section.hotkey_problem.isVisible()
    assert "already used by another application" in section.hotkey_problem.text()
    assert dialog.ok_button.isEnabled()  # a valid choice that does not work now; saving is allowed
    dialog.reject()
    window.desktop.tray.quick_action.trigger()
    assert window.desktop.quick.isVisible()


# -- launch at login ---------------------------------------------------------------------------


def test_launch_at_login_writes_and_removes_the_autostart_entry(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    entry = app.autostart_home / "autostart" / "org.parley.Parley.desktop"
    dialog = window.open_preferences("general")
    box = dialog.general.desktop.launch_at_login
    assert box.isVisibleTo(dialog)
    assert not box.isChecked()  # off by default
    box.setChecked(True)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(entry.is_file, timeout=WAIT_MS)
    assert "Exec=parley --data-dir x" in entry.read_text(encoding="utf-8")
    box.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not entry.exists(), timeout=WAIT_MS)


def test_preferences_keep_the_tray_choices(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    dialog = window.open_preferences("general")
    section = dialog.general.desktop
    assert section.close_to_tray.isChecked()
    assert section.notify_when_done.isChecked()
    assert section.tray_note.isVisibleTo(dialog)  # no tray here: closing quits, and it says so
    section.close_to_tray.setChecked(False)
    section.notify_when_done.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.preferences.close_to_tray, timeout=WAIT_MS)
    saved: Preferences = Settings(app.data_dir / "settings.ini").load()
    assert (saved.close_to_tray, saved.notify_when_done) == (False, False)
