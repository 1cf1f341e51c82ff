"""Preferences → Network: proxy (off / system / manual with type, host, port, user, password) and
timeouts, with a Test connection button the dialog runs."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.preferences import PROXY_PASSWORD_KEY, Preferences, ProxyMode, ProxyType
from desktop_app.ui.preferences.fields import error_label, mark, show_error

MIN_TIMEOUT, MAX_TIMEOUT = 1, 3600
MAX_TOTAL_TIMEOUT = 86_400
_HOST_FORBIDDEN = set(" \t/\\@?#")


def host_problem(host: str) -> str | None:
    """Why `host` cannot be a proxy host, or None when it can (checked without resolving it)."""
    if not host:
        return QCoreApplication.translate("NetworkPage", "Enter the proxy's host name or IP address.")
    if "://" in host:
        return QCoreApplication.translate(
            "NetworkPage", "Enter only the host name (for example proxy.example.com), without http://."
        )
    if any(c in _HOST_FORBIDDEN for c in host):
        return QCoreApplication.translate("NetworkPage", "A host name has no spaces, slashes or @.")
    return None


def port_problem(text: str) -> str | None:
    if not text:
        return QCoreApplication.translate("NetworkPage", "Enter the proxy's port (1–65535).")
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        return QCoreApplication.translate("NetworkPage", "The port is a whole number from 1 to 65535.")
    return None


class NetworkPage(QWidget):
    validity_changed = Signal()
    test_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._password_saved = False
        self.mode_box = QGroupBox(self)
        self.mode_off = QRadioButton(self.mode_box)
        self.mode_system = QRadioButton(self.mode_box)
        self.mode_manual = QRadioButton(self.mode_box)
        self.modes = QButtonGroup(self)
        for index, button in enumerate((self.mode_off, self.mode_system, self.mode_manual)):
            self.modes.addButton(button, index)
        mode_layout = QVBoxLayout(self.mode_box)
        for button in (self.mode_off, self.mode_system, self.mode_manual):
            mode_layout.addWidget(button)

        self.manual = QWidget(self)
        self.proxy_type = QComboBox(self.manual)
        for proxy_type, label in (
            (ProxyType.HTTP, "HTTP"),
            (ProxyType.HTTPS, "HTTPS"),
            (ProxyType.SOCKS5, "SOCKS5"),
        ):
            self.proxy_type.addItem(label, proxy_type.value)
        self.host = QLineEdit(self.manual)
        self.host.setObjectName("proxyHost")
        self.host_error = error_label(self.manual)
        self.port = QLineEdit(self.manual)
        self.port.setObjectName("proxyPort")
        self.port.setMaxLength(5)
        self.port.setMaximumWidth(90)
        self.port_error = error_label(self.manual)
        self.user = QLineEdit(self.manual)
        self.password = QLineEdit(self.manual)
        self.password.setObjectName("proxyPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_note = QLabel(self.manual)
        self.password_note.setWordWrap(True)
        self.type_label = QLabel(self.manual)
        self.host_label = QLabel(self.manual)
        self.port_label = QLabel(self.manual)
        self.user_label = QLabel(self.manual)
        self.password_label = QLabel(self.manual)
        manual_form = QFormLayout(self.manual)
        manual_form.setContentsMargins(24, 0, 0, 0)
        manual_form.addRow(self.type_label, self.proxy_type)
        manual_form.addRow(self.host_label, self.host)
        manual_form.addRow("", self.host_error)
        manual_form.addRow(self.port_label, self.port)
        manual_form.addRow("", self.port_error)
        manual_form.addRow(self.user_label, self.user)
        manual_form.addRow(self.password_label, self.password)
        manual_form.addRow("", self.password_note)
        buddies: tuple[tuple[QLabel, QWidget], ...] = (
            (self.type_label, self.proxy_type),
            (self.host_label, self.host),
            (self.port_label, self.port),
            (self.user_label, self.user),
            (self.password_label, self.password),
        )
        for caption, field in buddies:
            caption.setBuddy(field)
        mode_layout.addWidget(self.manual)

        self.timeout = QSpinBox(self)
        self.timeout.setRange(MIN_TIMEOUT, MAX_TIMEOUT)
        self.total_timeout = QSpinBox(self)
        self.total_timeout.setRange(0, MAX_TOTAL_TIMEOUT)
        for spin in (self.timeout, self.total_timeout):
            spin.setMinimumWidth(120)
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.timeout_label = QLabel(self)
        self.timeout_label.setBuddy(self.timeout)
        self.total_timeout_label = QLabel(self)
        self.total_timeout_label.setBuddy(self.total_timeout)
        timeouts = QFormLayout()
        timeouts.addRow(self.timeout_label, self.timeout)
        timeouts.addRow(self.total_timeout_label, self.total_timeout)

        self.test_button = QPushButton(self)
        self.test_button.setObjectName("testConnection")
        self.test_result = QLabel(self)
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.mode_box)
        layout.addLayout(timeouts)
        layout.addLayout(test_row)
        layout.addStretch(1)

        self.modes.idToggled.connect(self._mode_changed)
        for field in (self.host, self.port):
            field.textChanged.connect(self._revalidate)
        self.test_button.clicked.connect(self.test_requested)
        self.retranslate()

    # -- load and collect ----------------------------------------------------------------------

    def load(self, preferences: Preferences) -> None:
        mode_ids = {ProxyMode.OFF: 0, ProxyMode.SYSTEM: 1, ProxyMode.MANUAL: 2}
        button = self.modes.button(mode_ids[preferences.proxy_mode])
        button.setChecked(True)
        self.proxy_type.setCurrentIndex(max(0, self.proxy_type.findData(preferences.proxy_type.value)))
        self.host.setText(preferences.proxy_host)
        self.port.setText(str(preferences.proxy_port))
        self.user.setText(preferences.proxy_user)
        self.password.clear()
        self.timeout.setValue(preferences.timeout)
        self.total_timeout.setValue(preferences.total_timeout)
        self._mode_changed()

    def apply(self, preferences: Preferences) -> Preferences:
        """`preferences` with this page's values (call only when `is_valid()`)."""
        mode = self.mode()
        port_text = self.port.text().strip()
        port = int(port_text) if port_problem(port_text) is None else preferences.proxy_port
        return dataclasses.replace(
            preferences,
            proxy_mode=mode,
            proxy_type=ProxyType(self.proxy_type.currentData()),
            proxy_host=self.host.text().strip(),
            proxy_port=port,
            proxy_user=self.user.text().strip(),
            timeout=self.timeout.value(),
            total_timeout=self.total_timeout.value(),
        )

    def mode(self) -> ProxyMode:
        return (ProxyMode.OFF, ProxyMode.SYSTEM, ProxyMode.MANUAL)[max(0, self.modes.checkedId())]

    def typed_password(self) -> str | None:
        """The password as typed, or None when the field was left alone (keep the saved one)."""
        return self.password.text() or None

    def secret_changes(self) -> dict[str, str | None]:
        """Keychain writes this page asks for: a typed password replaces the saved one."""
        typed = self.typed_password()
        if typed is not None and self.mode() is ProxyMode.MANUAL:
            return {PROXY_PASSWORD_KEY: typed}
        return {}

    def set_password_saved(self, saved: bool) -> None:
        self._password_saved = saved
        self.retranslate()

    # -- validity ------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        if self.mode() is not ProxyMode.MANUAL:
            return True
        return (
            host_problem(self.host.text().strip()) is None and port_problem(self.port.text().strip()) is None
        )

    def _revalidate(self) -> None:
        manual = self.mode() is ProxyMode.MANUAL
        host = host_problem(self.host.text().strip()) if manual else None
        port = port_problem(self.port.text().strip()) if manual else None
        mark(self.host, self.host_error, host)
        mark(self.port, self.port_error, port)
        self.validity_changed.emit()

    def _mode_changed(self, *_args: object) -> None:
        self.manual.setEnabled(self.mode() is ProxyMode.MANUAL)
        self._revalidate()

    # -- test connection -----------------------------------------------------------------------

    def test_started(self) -> None:
        self.test_button.setEnabled(False)
        show_error(self.test_result, None)
        self.test_result.setStyleSheet("")
        self.test_result.setText(self.tr("Connecting…"))
        self.test_result.show()

    def test_finished(self, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        if ok:
            self.test_result.setStyleSheet("")
            self.test_result.setText(message)
            self.test_result.show()
        else:
            show_error(self.test_result, message)

    # -- text ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.mode_box.setTitle(self.tr("Proxy"))
        self.mode_off.setText(self.tr("&No proxy"))
        self.mode_system.setText(self.tr("Use the &system proxy settings"))
        self.mode_manual.setText(self.tr("&Manual proxy:"))
        self.type_label.setText(self.tr("&Type:"))
        self.host_label.setText(self.tr("&Host:"))
        self.port_label.setText(self.tr("P&ort:"))
        self.user_label.setText(self.tr("&User name:"))
        self.password_label.setText(self.tr("Pass&word:"))
        self.host.setPlaceholderText(self.tr("proxy.example.com"))
        self.user.setPlaceholderText(self.tr("optional"))
        self.password.setPlaceholderText(
            self.tr("saved in the keychain; type to replace") if self._password_saved else self.tr("optional")
        )
        self.password_note.setText(self.tr("Kept in the system keychain, never in the settings file."))
        self.proxy_type.setAccessibleName(self.tr("Proxy type"))
        self.host.setAccessibleName(self.tr("Proxy host"))
        self.port.setAccessibleName(self.tr("Proxy port"))
        self.user.setAccessibleName(self.tr("Proxy user name"))
        self.password.setAccessibleName(self.tr("Proxy password"))
        self.timeout_label.setText(self.tr("T&imeout:"))
        self.total_timeout_label.setText(self.tr("Whole answer &limit:"))
        self.timeout.setSuffix(self.tr(" s"))
        self.timeout.setToolTip(
            self.tr("How long to wait for a server to connect and for each next piece of an answer.")
        )
        self.total_timeout.setSuffix(self.tr(" s"))
        self.total_timeout.setSpecialValueText(self.tr("No limit"))
        self.total_timeout.setToolTip(self.tr("Stop any answer that takes longer than this in total."))
        self.timeout.setAccessibleName(self.tr("Timeout in seconds"))
        self.total_timeout.setAccessibleName(self.tr("Whole answer limit in seconds"))
        self.test_button.setText(self.tr("Test &connection"))
        self._revalidate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
