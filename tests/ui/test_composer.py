"""The composer's keys in both send-key modes, and when Send is allowed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.preferences import SendKey
from desktop_app.ui.composer import Composer

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier

# The offscreen platform cannot resize windows to their size hints and says so on every change.


@pytest.fixture
def composer(qtbot: QtBot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.edit.setFocus()
    return widget


def sent_by(qtbot: QtBot, composer: Composer, text: str, modifier: Qt.KeyboardModifier) -> list[str]:
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    qtbot.keyClicks(composer.edit, text)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, modifier)
    return sent


def test_enter_sends_and_clears_in_enter_mode(qtbot: QtBot, composer: Composer) -> None:
    sent = sent_by(qtbot, composer, "hello", NONE)
    assert sent == ["hello"]
    assert composer.text() == ""


def test_shift_enter_adds_a_line_in_enter_mode(qtbot: QtBot, composer: Composer) -> None:
    sent = sent_by(qtbot, composer, "one", SHIFT)
    qtbot.keyClicks(composer.edit, "two")
    assert sent == []
    assert composer.text() == "one\ntwo"  # a real newline, not U+2028
    qtbot.keyClick(
        composer.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier
    )  # keypad Enter sends too
    assert sent == ["one\ntwo"]


def test_ctrl_enter_mode_swaps_the_keys(qtbot: QtBot, composer: Composer) -> None:
    composer.set_send_key(SendKey.CTRL_ENTER)
    sent = sent_by(qtbot, composer, "first", NONE)
    assert sent == []
    assert composer.text() == "first\n"
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, SHIFT)
    assert sent == []
    qtbot.keyClicks(composer.edit, "second")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, CTRL)
    assert sent == ["first\n\nsecond"]
    assert "Ctrl+Enter" in composer.hint.text()


def test_send_is_disabled_while_blank(qtbot: QtBot, composer: Composer) -> None:
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    assert not composer.send_button.isEnabled()
    qtbot.keyClicks(composer.edit, "   ")
    assert not composer.send_button.isEnabled()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []  # Enter on blank text does nothing (and adds no line)
    qtbot.keyClicks(composer.edit, "x")
    assert composer.send_button.isEnabled()
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert sent == ["   x"]
    assert not composer.send_button.isEnabled()


def test_streaming_shows_stop_and_blocks_sending(qtbot: QtBot, composer: Composer) -> None:
    stops: list[bool] = []
    sent: list[str] = []
    composer.stop_requested.connect(lambda: stops.append(True))
    composer.send_requested.connect(sent.append)
    composer.set_streaming(True)
    assert composer.stop_button.isVisible()
    assert not composer.send_button.isVisible()
    qtbot.keyClicks(composer.edit, "next question")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []
    assert composer.text() == "next question"  # kept for when the answer is done
    qtbot.mouseClick(composer.stop_button, Qt.MouseButton.LeftButton)
    assert stops == [True]
    composer.set_streaming(False)
    assert composer.send_button.isVisible()
    assert composer.send_button.isEnabled()
    assert not composer.stop_button.isVisible()


def test_edit_mode_banner_and_cancel(qtbot: QtBot, composer: Composer) -> None:
    cancelled: list[bool] = []
    composer.edit_cancelled.connect(lambda: cancelled.append(True))
    composer.begin_edit("old text")
    assert composer.editing
    assert composer.edit_banner.isVisible()
    assert composer.text() == "old text"
    composer.cancel_edit()
    assert cancelled == [True]
    assert not composer.editing
    assert composer.text() == ""


def test_buttons_have_accessible_text(composer: Composer) -> None:
    assert composer.send_button.text()
    assert composer.stop_button.text()
    assert composer.edit.accessibleName()
    assert composer.send_button.focusPolicy() & Qt.FocusPolicy.TabFocus
