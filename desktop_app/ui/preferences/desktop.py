"""Preferences → General, desktop part: the quick prompt's global shortcut, the tray, notifications,
launch at login, and a scan for model servers running on this computer (each one added as a
provider profile in one click).

The section edits a copy of `Preferences` like the pages do. Launch at login is not a preference
but the state of the desktop itself (an autostart entry), so `commit()` switches it when the
dialog saves, through `DesktopSettingsBackend.launch_at_login`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.errors import ParleyError, shorten
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.ui.hotkey import HotkeyError, parse_sequence
from desktop_app.ui.preferences.backend import unique_id
from desktop_app.ui.preferences.fields import error_label, mark, show_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DetectedServer:
    """A model server found on this computer, as a profile ready to use."""

    name: str  # "llama.cpp"
    address: str  # "127.0.0.1:8080"
    profile: ProviderProfile
    models: tuple[str, ...] = ()


class LaunchAtLogin(Protocol):
    """The desktop's autostart entry for Parley (`autostart.for_platform()` in the app)."""

    def is_enabled(self) -> bool: ...

    def set_enabled(self, enabled: bool) -> None:
        """Raises `ParleyError` with one line for the user when it cannot be switched."""
        ...


@dataclass(frozen=True)
class DesktopSettingsBackend:
    tray_available: bool = False
    # Why the saved global shortcut is not working ("" when it is, or when there is none).
    hotkey_problem: str = ""
    launch_at_login: LaunchAtLogin | None = None
    scan_local_servers: Callable[[], Awaitable[list[DetectedServer]]] | None = None


def same_server(a: ProviderProfile, b: ProviderProfile) -> bool:
    return a.kind == b.kind and a.base_url.rstrip("/") == b.base_url.rstrip("/")


def with_servers(preferences: Preferences, servers: Sequence[DetectedServer]) -> Preferences:
    """`preferences` with a profile for each server not already set up (a fresh id each); the
    first becomes the current one when none is chosen yet."""
    profiles = list(preferences.profiles)
    current = preferences.current_profile
    for server in servers:
        if any(same_server(p, server.profile) for p in profiles):
            continue
        profile = dataclasses.replace(
            server.profile, id=unique_id(server.profile.id, [p.id for p in profiles])
        )
        profiles.append(profile)
        current = current or profile.id
    return dataclasses.replace(preferences, profiles=tuple(profiles), current_profile=current)


class DesktopSection(QWidget):
    validity_changed = Signal()
    server_added = Signal(object)  # DetectedServer: the Providers page lists it at once

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._backend = DesktopSettingsBackend()
        self._profiles: tuple[ProviderProfile, ...] = ()
        self._found: list[DetectedServer] = []
        self._added: list[DetectedServer] = []
        self._saved_hotkey = ""
        self._tasks = OwnedTasks()
        tasks = self._tasks
        self.destroyed.connect(lambda: tasks.cancel_all())  # a scan never outlives the dialog

        self.desktop_box = QGroupBox(self)
        self.hotkey_label = QLabel(self.desktop_box)
        self.hotkey = QKeySequenceEdit(self.desktop_box)
        self.hotkey.setObjectName("hotkeyEdit")
        self.hotkey.setMaximumSequenceLength(1)
        self.hotkey.setClearButtonEnabled(True)
        self.hotkey_label.setBuddy(self.hotkey)
        self.hotkey_problem = error_label(self.desktop_box)
        self.hotkey_problem.setObjectName("hotkeyProblem")
        self.close_to_tray = QCheckBox(self.desktop_box)
        self.close_to_tray.setObjectName("closeToTray")
        self.tray_note = QLabel(self.desktop_box)
        self.tray_note.setWordWrap(True)
        self.notify_when_done = QCheckBox(self.desktop_box)
        self.notify_when_done.setObjectName("notifyWhenDone")
        self.launch_at_login = QCheckBox(self.desktop_box)
        self.launch_at_login.setObjectName("launchAtLogin")
        self.launch_problem = error_label(self.desktop_box)
        form = QFormLayout(self.desktop_box)
        form.addRow(self.hotkey_label, self.hotkey)
        form.addRow("", self.hotkey_problem)
        form.addRow(self.close_to_tray)
        form.addRow(self.tray_note)
        form.addRow(self.notify_when_done)
        form.addRow(self.launch_at_login)
        form.addRow(self.launch_problem)

        self.servers_box = QGroupBox(self)
        self.scan_button = QPushButton(self.servers_box)
        self.scan_button.setObjectName("scanLocalServers")
        self.scan_status = QLabel(self.servers_box)
        self.scan_status.setWordWrap(True)
        self.server_rows = QVBoxLayout()
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_button)
        scan_row.addWidget(self.scan_status, 1)
        servers = QVBoxLayout(self.servers_box)
        servers.addLayout(scan_row)
        servers.addLayout(self.server_rows)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.desktop_box)
        layout.addWidget(self.servers_box)

        self.hotkey.keySequenceChanged.connect(self._hotkey_edited)
        self.scan_button.clicked.connect(self.scan)
        self.retranslate()

    # -- the dialog's side ------------------------------------------------------------------------

    def attach(self, backend: DesktopSettingsBackend) -> None:
        """What only the running app knows: is there a tray, does the shortcut work, launch at
        login, scanning. Without it the section edits the preferences alone."""
        self._backend = backend
        self.tray_note.setVisible(not backend.tray_available)
        self.launch_at_login.setVisible(backend.launch_at_login is not None)
        if backend.launch_at_login is not None:
            self.launch_at_login.setChecked(backend.launch_at_login.is_enabled())
        self.servers_box.setVisible(backend.scan_local_servers is not None)
        self._hotkey_edited()

    def load(self, preferences: Preferences) -> None:
        self._profiles = preferences.profiles
        self._saved_hotkey = preferences.hotkey
        self.hotkey.setKeySequence(
            QKeySequence.fromString(preferences.hotkey, QKeySequence.SequenceFormat.PortableText)
        )
        self.close_to_tray.setChecked(preferences.close_to_tray)
        self.notify_when_done.setChecked(preferences.notify_when_done)
        self._show_servers()

    def apply(self, preferences: Preferences) -> Preferences:
        return dataclasses.replace(
            preferences,
            hotkey=self.hotkey_text(),
            close_to_tray=self.close_to_tray.isChecked(),
            notify_when_done=self.notify_when_done.isChecked(),
        )

    def is_valid(self) -> bool:
        return self._hotkey_error() is None

    def commit(self) -> str:
        """Switch launch at login as the box says (the dialog saved); returns "" or one line
        saying why it could not be switched."""
        switch = self._backend.launch_at_login
        if switch is None:
            return ""
        wanted = self.launch_at_login.isChecked()
        try:
            if switch.is_enabled() != wanted:
                switch.set_enabled(wanted)
        except ParleyError as exc:
            show_error(self.launch_problem, str(exc))
            self.launch_at_login.setChecked(not wanted)
            return str(exc)
        show_error(self.launch_problem, None)
        return ""

    def show_hotkey_problem(self, saved: str, problem: str) -> None:
        """The window registered `saved` after a save: `problem` says why it does not work."""
        self._saved_hotkey = saved
        self._backend = dataclasses.replace(self._backend, hotkey_problem=problem)
        self._hotkey_edited()

    def hotkey_text(self) -> str:
        return self.hotkey.keySequence().toString(QKeySequence.SequenceFormat.PortableText)

    # -- the shortcut --------------------------------------------------------------------------

    def _hotkey_error(self) -> str | None:
        text = self.hotkey_text()
        if not text:
            return None  # no global shortcut: the tray and `parley --quick` still open it
        try:
            parse_sequence(text)
        except HotkeyError as exc:
            return str(exc)
        return None

    def _hotkey_edited(self) -> None:
        error = self._hotkey_error()
        if error is None and self.hotkey_text() == self._saved_hotkey and self._backend.hotkey_problem:
            # Valid but not working (taken by another application, not possible on this desktop):
            # said in plain words; saving stays possible, the tray still opens the quick prompt.
            show_error(self.hotkey_problem, self._backend.hotkey_problem)
            self.hotkey.setAccessibleDescription(self._backend.hotkey_problem)
        else:
            mark(self.hotkey, self.hotkey_problem, error)
        self.validity_changed.emit()

    # -- local servers -------------------------------------------------------------------------

    def scan(self) -> None:
        if self._backend.scan_local_servers is None or self._tasks.running("scan"):
            return
        self.scan_button.setEnabled(False)
        self.scan_status.setText(self.tr("Looking for model servers on this computer…"))
        self._tasks.start(self._scan(self._backend.scan_local_servers), key="scan")

    async def _scan(self, scan: Callable[[], Awaitable[list[DetectedServer]]]) -> None:
        try:
            found = await scan()
        except ParleyError as exc:
            self.scan_status.setText(str(exc))
            found = []
        except Exception as exc:
            log.exception("The local server scan failed")
            self.scan_status.setText(shorten(f"{type(exc).__name__}: {exc}"))
            found = []
        else:
            if found:
                self.scan_status.setText(self.tr("%n server(s) answered.", "", len(found)))
            else:
                self.scan_status.setText(
                    self.tr(
                        "No model server answered on this computer (Ollama, LM Studio, llama.cpp, vLLM, Jan)."
                    )
                )
        finally:
            self.scan_button.setEnabled(True)
        self._found = found
        self._show_servers()

    def _show_servers(self) -> None:
        while self.server_rows.count():
            item = self.server_rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for server in self._found:
            self.server_rows.addWidget(self._server_row(server))

    def _server_row(self, server: DetectedServer) -> QWidget:
        row = QWidget(self.servers_box)
        text = QLabel(self._describe(server), row)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton(row)
        button.setObjectName("addLocalServer")
        button.setAccessibleName(self.tr("Add {server}").format(server=server.name))
        known = any(same_server(p, server.profile) for p in self._profiles)
        if known or server in self._added:
            button.setText(self.tr("Added") if server in self._added else self.tr("Already set up"))
            button.setEnabled(False)
        else:
            button.setText(self.tr("Add"))
            button.clicked.connect(lambda _checked=False, found=server: self._add(found))
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(text, 1)
        layout.addWidget(button)
        return row

    def _describe(self, server: DetectedServer) -> str:
        if not server.models:
            return self.tr("{server} at {address}: no models yet").format(
                server=server.name, address=server.address
            )
        listed = ", ".join(server.models[:4]) + (", …" if len(server.models) > 4 else "")
        return self.tr("{server} at {address}: {models}").format(
            server=server.name, address=server.address, models=listed
        )

    def _add(self, server: DetectedServer) -> None:
        """One click: the server is a provider profile in Providers at once (saved with OK or
        Apply, like every other change in the dialog)."""
        if server not in self._added:
            self._added.append(server)
            self.server_added.emit(server)
        self._show_servers()
        self.scan_status.setText(
            self.tr("{server} is now in Providers; OK or Apply saves it.").format(server=server.name)
        )
        self.validity_changed.emit()

    # -- text ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.desktop_box.setTitle(self.tr("Desktop"))
        self.hotkey_label.setText(self.tr("&Quick prompt shortcut:"))
        self.hotkey.setToolTip(
            self.tr("Opens the quick prompt from any application. Clear it to use only the tray icon.")
        )
        for button in self.hotkey.findChildren(QToolButton):  # the edit's own clear button
            button.setAccessibleName(self.tr("Clear the shortcut"))
        self.close_to_tray.setText(self.tr("&Keep Parley in the tray when its window is closed"))
        self.tray_note.setText(
            self.tr("No system tray was found on this desktop: closing the window quits Parley.")
        )
        self.notify_when_done.setText(
            self.tr("Notify me when an answer finishes while Parley is in the &background")
        )
        self.launch_at_login.setText(self.tr("Start Parley when I log &in"))
        self.servers_box.setTitle(self.tr("Model servers on this computer"))
        self.scan_button.setText(self.tr("S&can for local servers"))
        if not self.scan_status.text():
            self.scan_status.setText(
                self.tr("Finds Ollama, LM Studio, llama.cpp, vLLM and Jan running on this computer.")
            )
        self._show_servers()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.scan_status.clear()
            self.retranslate()
        super().changeEvent(event)
