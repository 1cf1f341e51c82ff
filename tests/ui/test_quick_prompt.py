"""The quick prompt inside the real window with real services (`compose.build_services(tmp_path)`:
INI settings, SQLite history, HTTP client) against a local OpenAI-compatible server, on a qasync
loop. The window's desktop pieces get seams: a tray that may or may not exist, and a global
shortcut that grabs nothing (`FakeHotkey`, a `GlobalHotkey` like the real backends).

`DesktopApp`, `ChatAPI` and `FakeHotkey` are shared with test_tray.py and
test_discovery_first_run.py.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.core.messages import MessageStatus, Role
from tests.support.desktop import WAIT_MS, ChatAPI, answer_text, ask, configured

# -- tests -------------------------------------------------------------------------------------


def test_the_quick_prompt_is_a_small_window_centred_on_the_pointers_screen(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    window = make_app(configured(api)).open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    qtbot.waitExposed(quick)
    flags = quick.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert quick.view.isHidden()  # one line until there is an answer
    assert quick.edit.height() < 3 * quick.edit.fontMetrics().lineSpacing()
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert abs(quick.geometry().center().x() - screen.center().x()) <= 2
    qtbot.waitUntil(lambda: QApplication.focusWidget() is quick.edit, timeout=WAIT_MS)


def test_enter_streams_the_answer_in_place_and_saves_the_exchange(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "What is Parley?")
    qtbot.waitUntil(lambda: "Quick answer!" in answer_text(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not quick.is_streaming(), timeout=WAIT_MS)
    assert quick.view.isVisible()
    assert quick.view.renderer is window.renderer  # the window's markdown pipeline
    assert "What is Parley?" in answer_text(window)
    assert quick.edit.toPlainText() == ""
    body = api.chats()[-1]
    assert body["model"] == "small-model"
    assert body["messages"][-1] == {"role": "user", "content": "What is Parley?"}
    [conversation] = app.conversations()
    assert conversation.title == "What is Parley?"
    rows = app.messages(conversation.id)
    assert [(r.role, r.content, r.status) for r in rows] == [
        (Role.USER, "What is Parley?", MessageStatus.COMPLETE),
        (Role.ASSISTANT, "Quick answer!", MessageStatus.COMPLETE),
    ]
    # The window's sidebar lists it too, without a reload.
    qtbot.waitUntil(lambda: window.sidebar.conversation_ids() == [conversation.id], timeout=WAIT_MS)
    assert quick.copy_answer() == "Quick answer!"
    assert QGuiApplication.clipboard().text() == "Quick answer!"


def test_escape_hides_and_stops_the_answer_within_100_ms(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    api.hold_after = 1
    quick.show_at_pointer()
    ask(qtbot, window, "Tell me a long story")
    qtbot.waitUntil(lambda: "Quick" in answer_text(window), timeout=WAIT_MS)
    pressed = time.monotonic()
    qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()
    qtbot.waitUntil(api.server.disconnected.is_set, timeout=1000)
    assert api.server.disconnected_at is not None
    assert api.server.disconnected_at - pressed < 0.1
    [conversation] = app.conversations()
    answer = app.messages(conversation.id)[-1]
    assert (answer.content, answer.status) == ("Quick ", MessageStatus.STOPPED)


def test_open_in_parley_selects_the_conversation_and_it_continues_there(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    window.hide()  # Parley waits in the tray
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "First question")
    qtbot.waitUntil(lambda: not quick.is_streaming() and quick.open_button.isEnabled(), timeout=WAIT_MS)
    [conversation] = app.conversations()
    qtbot.mouseClick(quick.open_button, Qt.MouseButton.LeftButton)
    assert not quick.isVisible()
    assert window.isVisible()
    assert window.conversations.current == conversation.id
    assert window.sidebar.current_conversation() == conversation.id
    assert "Quick answer!" in window.chat_view.browser.toPlainText()
    api.answer = ["Second ", "answer"]
    qtbot.keyClicks(window.composer.edit, "And then?")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Second answer" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.streaming, timeout=WAIT_MS)
    assert [r.content for r in app.messages(conversation.id)] == [
        "First question",
        "Quick answer!",
        "And then?",
        "Second answer",
    ]
    assert api.chats()[-1]["messages"][:2] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "Quick answer!"},
    ]


def test_open_in_parley_mid_answer_shows_it_growing_in_the_window(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    """The window shows the same running answer (the workspace's), still growing, not a copy
    from history once it has ended."""
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    api.hold_after = 1
    quick.show_at_pointer()
    ask(qtbot, window, "Keep going")
    qtbot.waitUntil(lambda: "Quick" in answer_text(window), timeout=WAIT_MS)
    qtbot.mouseClick(quick.open_button, Qt.MouseButton.LeftButton)
    [conversation] = app.conversations()
    assert window.conversations.current == conversation.id
    assert window.conversations.is_streaming()
    assert window.composer.streaming  # Stop is offered in the window
    assert window.chat_view.browser.toPlainText().endswith("Quick")  # the answer so far
    api.release.set()  # the answer goes on
    qtbot.waitUntil(lambda: not window.conversations.is_streaming(), timeout=WAIT_MS)
    assert window.chat_view.browser.toPlainText().count("Quick answer!") == 1
    assert not window.composer.streaming
    assert app.messages(conversation.id)[-1].status is MessageStatus.COMPLETE


def test_showing_it_again_starts_a_new_exchange(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "one")
    qtbot.waitUntil(
        lambda: not quick.is_streaming() and "Quick answer!" in answer_text(window), timeout=WAIT_MS
    )
    quick.dismiss()
    quick.show_at_pointer()
    assert quick.view.isHidden()
    assert not quick.open_button.isEnabled()
    ask(qtbot, window, "two")
    qtbot.waitUntil(lambda: len(app.conversations()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not quick.is_streaming(), timeout=WAIT_MS)
    assert sorted(c.title for c in app.conversations()) == ["one", "two"]
    assert api.chats()[-1]["messages"] == [{"role": "user", "content": "two"}]  # nothing of "one"


def test_the_prompt_grows_for_long_text(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    window = make_app(configured(api)).open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    one_line = quick.height()
    for line in ("first line", "second line", "third line"):
        qtbot.keyClicks(quick.edit, line)
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: quick.height() > one_line + 2 * quick.edit.fontMetrics().lineSpacing(), timeout=WAIT_MS
    )
    assert api.chats() == []  # Shift+Enter adds lines; nothing was sent


def test_without_a_provider_the_quick_prompt_says_what_to_do(qtbot: QtBot, make_app: Any) -> None:
    window = make_app().open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "hello?")
    qtbot.waitUntil(lambda: "No provider is set up yet" in answer_text(window), timeout=WAIT_MS)
