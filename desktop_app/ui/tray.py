"""Parley on the desktop beside its main window: the tray icon and its menu, the quick prompt and
the global shortcut that opens it, arguments handed over by later starts, a tray message when an
answer finishes out of sight, and whether closing the window keeps Parley running in the tray.

The decisions are plain functions (`keeps_running_on_close`, `should_notify`) so they can be checked
without a tray; `TrayIcon` is the thin Qt part around `QSystemTrayIcon`; `DesktopShell` wires them
to the main window, which it sees only through the small `ShellWindow` protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from desktop_app.chat.workspace import AnswerFinished, ChatWorkspace
from desktop_app.core.errors import ParleyError
from desktop_app.core.messages import MessageStatus
from desktop_app.core.preferences import Preferences
from desktop_app.ui.icons import app_icon
from desktop_app.ui.preferences.desktop import DesktopSection, DesktopSettingsBackend, DetectedServer
from desktop_app.ui.quick_prompt import QuickPrompt
from desktop_app.ui.window_backend import DesktopBackend

log = logging.getLogger(__name__)

# A desktop panel may start after Parley (launch at login): look for a tray again for a while.
RETRY_INTERVAL_MS = 2000
RETRY_ATTEMPTS = 60
MESSAGE_MS = 6000
PREVIEW_CHARS = 120


def keeps_running_on_close(close_to_tray: bool, tray_shown: bool) -> bool:
    """Closing the main window hides it into the tray only when the user wants that and a tray
    icon is there to bring it back; otherwise closing quits as usual."""
    return close_to_tray and tray_shown


def should_notify(enabled: bool, parley_in_front: bool, status: MessageStatus) -> bool:
    """A tray message for a finished answer: only when wanted, while Parley is hidden or
    unfocused, and for an answer that ended on its own (complete or failed; a stopped one was
    stopped by a user who is therefore looking)."""
    return enabled and not parley_in_front and status in (MessageStatus.COMPLETE, MessageStatus.ERROR)


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of an answer on one line, for a notification."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class TrayIcon(QObject):
    """The icon. A left click asks for the quick prompt; the menu offers Quick prompt, Open Parley,
    New chat, Preferences and Quit, each reported as a signal."""

    quick_prompt_requested = Signal()
    open_requested = Signal()
    new_chat_requested = Signal()
    preferences_requested = Signal()
    quit_requested = Signal()
    message_clicked = Signal()
    message_shown = Signal(str, str)  # title, text: a notification went to the desktop

    def __init__(self, parent: QObject | None = None, *, available: Callable[[], bool]) -> None:
        super().__init__(parent)
        self._available = available
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.menu = QMenu()  # a QMenu takes a widget parent or none; deleted in `close()`
        self.menu.setObjectName("trayMenu")
        self.quick_action = self._add(self.quick_prompt_requested)
        self.open_action = self._add(self.open_requested)
        self.new_chat_action = self._add(self.new_chat_requested)
        self.preferences_action = self._add(self.preferences_requested)
        self.menu.addSeparator()
        self.quit_action = self._add(self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self.message_clicked)
        self._retries = 0
        self._retry_timer = QTimer(self)
        self._retry_timer.setInterval(RETRY_INTERVAL_MS)
        self._retry_timer.timeout.connect(self._retry)
        self.retranslate()

    def _add(self, signal: SignalInstance) -> QAction:
        action = self.menu.addAction("")
        action.triggered.connect(lambda _checked=False: signal.emit())
        return action

    def start(self) -> bool:
        """Show the icon if there is a tray; if not, look again every few seconds for a while.
        Returns whether the icon is shown now."""
        if self._available():
            self.icon.show()
            return True
        self._retries = 0
        self._retry_timer.start()
        return False

    def is_shown(self) -> bool:
        """The icon is in a tray now, so a hidden window can be brought back from it."""
        return self.icon.isVisible() and self._available()

    def close(self) -> None:
        self._retry_timer.stop()
        self.icon.hide()
        self.menu.deleteLater()

    def _retry(self) -> None:
        self._retries += 1
        if self._available():
            self._retry_timer.stop()
            self.icon.show()
        elif self._retries >= RETRY_ATTEMPTS:
            self._retry_timer.stop()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.quick_prompt_requested.emit()
        elif reason == QSystemTrayIcon.ActivationReason.MiddleClick:
            self.open_requested.emit()

    def notify(self, title: str, text: str) -> bool:
        """A desktop notification from the icon; False when there is no icon to show it."""
        if not self.is_shown():
            return False
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
        self.message_shown.emit(title, text)
        return True

    def retranslate(self) -> None:
        self.icon.setToolTip(self.tr("Parley"))
        self.quick_action.setText(self.tr("&Quick prompt"))
        self.open_action.setText(self.tr("&Open Parley"))
        self.new_chat_action.setText(self.tr("&New chat"))
        self.preferences_action.setText(self.tr("&Preferences…"))
        self.quit_action.setText(self.tr("&Quit Parley"))


class ShellWindow(Protocol):
    """What the desktop shell asks of the main window."""

    @property
    def preferences(self) -> Preferences: ...

    def bring_to_front(self) -> None: ...

    def open_conversation(self, conversation_id: int) -> None: ...

    def new_chat(self) -> None: ...

    def open_preferences(self, page: str = ...) -> object: ...

    def quit(self) -> None: ...

    def show_message(self, text: str) -> None: ...

    def use_local_server(self, server: DetectedServer) -> bool:
        """While no provider is chosen: use `server`, and say so."""
        ...


class DesktopShell(QObject):
    """The tray icon, the quick prompt and the global shortcut, wired to the main window."""

    def __init__(
        self,
        window: ShellWindow,
        backend: DesktopBackend,
        workspace: ChatWorkspace,
        quick: QuickPrompt,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._window = window
        self._backend = backend
        self._workspace = workspace
        self.tray = TrayIcon(self, available=backend.tray_available)
        self.quick = quick
        self.hotkey = backend.create_hotkey(self)
        self._tasks = workspace.tasks
        self._refused = ""  # the shortcut last refused, so the log says it once
        self._notified: int | None = None  # the conversation the last tray message was about

        tray = self.tray
        tray.quick_prompt_requested.connect(quick.show_at_pointer)
        tray.open_requested.connect(window.bring_to_front)
        tray.new_chat_requested.connect(self._new_chat)
        tray.preferences_requested.connect(self._open_preferences)
        tray.quit_requested.connect(window.quit)
        tray.message_clicked.connect(self._message_clicked)
        self.hotkey.activated.connect(quick.toggle)
        self.hotkey.failed.connect(lambda line: log.warning("Global shortcut refused: %s", line))
        quick.open_requested.connect(window.open_conversation)
        # Every answer that ends, in any conversation, shown or not, window visible or hidden.
        workspace.answer_finished.connect(self.answer_finished)

    def start(self) -> None:
        """Show the tray icon and register the global shortcut (once the window is up)."""
        self.tray.start()
        self.register_hotkey(self._window.preferences.hotkey)

    def register_hotkey(self, sequence: str) -> str:
        """Grab `sequence` system-wide unless it already is; "" (no shortcut) releases it.
        Returns why it does not work ("" when it does): shown in Preferences, never a dialog."""
        if not sequence.strip():
            self.hotkey.unregister()  # the tray and `parley --quick` still open the quick prompt
            return ""
        if self.hotkey.is_registered and self.hotkey.sequence == sequence:
            return ""
        if not self.hotkey.register(sequence) and sequence != self._refused:
            log.warning("Global shortcut %s not available: %s", sequence, self.hotkey.error_text)
        self._refused = "" if self.hotkey.is_registered else sequence  # said once in the log
        return self.hotkey.error_text

    def discover_local_servers(self) -> None:
        """First run (no provider chosen yet): look for a model server on this computer in the
        background, off the start-up path; the window uses the first one found."""
        scan = self._backend.scan_local_servers
        preferences = self._window.preferences
        if scan is not None and preferences.profile(preferences.current_profile) is None:
            self._tasks.start(self._discover(scan), key="discovery")

    async def _discover(self, scan: Callable[[], Awaitable[list[DetectedServer]]]) -> None:
        try:
            found = await scan()
        except ParleyError as exc:
            log.info("Local server discovery failed: %s", exc)
            return
        if found:
            self._window.use_local_server(found[0])

    def settings_backend(self) -> DesktopSettingsBackend:
        """For Preferences → General: what only the running app knows."""
        wanted = self._window.preferences.hotkey
        problem = self.hotkey.error_text if wanted.strip() and not self.hotkey.is_registered else ""
        return DesktopSettingsBackend(
            tray_available=self._backend.tray_available(),
            hotkey_problem=problem,
            launch_at_login=self._backend.launch_at_login,
            scan_local_servers=self._backend.scan_local_servers,
        )

    def preferences_saved(self, section: DesktopSection) -> None:
        """The dialog saved (the window applied the shortcut): the section says whether the
        shortcut works now, and switches launch at login."""
        section.show_hotkey_problem(self._window.preferences.hotkey, self.settings_backend().hotkey_problem)
        if problem := section.commit():
            self._window.show_message(problem)

    # -- the window closing, other starts --------------------------------------------------------

    def hide_on_close(self) -> bool:
        """Closing the window: True when Parley stays in the tray (said once, the first time)."""
        if not keeps_running_on_close(self._window.preferences.close_to_tray, self.tray.is_shown()):
            return False
        if not self._backend.tray_notice_shown() and self.tray.notify(
            self.tr("Parley is still running"),
            self.tr(
                "Parley stays in the tray so the quick prompt is one shortcut away. Choose Quit in "
                "this icon's menu to close it, or change this in Preferences → General."
            ),
        ):
            self._backend.remember_tray_notice()
        return True

    def handle_instance_args(self, args: list[str]) -> None:
        """Another start of Parley handed its arguments over: `--quick` opens the quick prompt,
        a plain start brings the window to the front."""
        log.info("Another start of Parley handed over: %s", " ".join(args) or "(no arguments)")
        if "--quick" in args:
            self.quick.show_at_pointer()
        else:
            self._window.bring_to_front()

    # -- answers ending out of sight --------------------------------------------------------------

    def answer_finished(self, finished: AnswerFinished) -> bool:
        """An answer ended: a tray message when Parley is out of sight and that is wanted.
        Returns whether one was shown."""
        in_front = QApplication.activeWindow() is not None
        if not should_notify(self._window.preferences.notify_when_done, in_front, finished.status):
            return False
        title = self._workspace.title(finished.conversation_id) or self.tr("New chat")
        if finished.status is MessageStatus.ERROR:
            heading = self.tr("The answer in “{title}” failed").format(title=title)
            text = finished.error
        else:
            heading = self.tr("Answer ready in “{title}”").format(title=title)
            text = finished.text
        if not self.tray.notify(heading, preview(text) or self.tr("(no text)")):
            return False
        self._notified = finished.conversation_id
        return True

    def _new_chat(self) -> None:
        self._window.bring_to_front()
        self._window.new_chat()

    def _open_preferences(self) -> None:
        self._window.bring_to_front()
        self._window.open_preferences("general")

    def _message_clicked(self) -> None:
        if self._notified is not None:
            self._window.open_conversation(self._notified)
        else:
            self._window.bring_to_front()

    # -- the end ---------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Release the shortcut, remove the icon, stop the quick prompt's answers (saved)."""
        self._tasks.cancel("discovery")
        self.hotkey.unregister()
        self.tray.close()
        await self.quick.aclose()
        self.quick.deleteLater()

    def retranslate(self) -> None:
        self.tray.retranslate()
