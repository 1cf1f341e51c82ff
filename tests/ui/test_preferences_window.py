"""Preferences as the main window opens and closes it."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot
from shiboken6 import Shiboken

from tests.support.desktop import ChatAPI, configured

WAIT_MS = 15_000


def test_preferences_opened_again_right_after_ok_is_a_new_dialog(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    """A dialog closed with OK is deleted on a later loop turn; opening Preferences before that
    (quick hands, a busy machine) once returned the dying dialog, whose widgets then vanished
    under the user (and a test: "Internal C++ object already deleted")."""
    window = make_app(configured(api)).open()
    first = window.open_preferences("general")
    first.accept()
    second = window.open_preferences("general")
    assert second is not first
    qtbot.waitUntil(lambda: not Shiboken.isValid(first), timeout=WAIT_MS)
    assert Shiboken.isValid(second)
    assert second.isVisible()
    assert second.general.desktop.scan_button.isEnabled()
    second.reject()
