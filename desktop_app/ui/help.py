"""Help menu content: the About box and the diagnostics a user can paste into a bug report.

Diagnostics name versions and folders only: never keys, prompts or answers.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app import __version__
from desktop_app.ui.icons import app_icon


def diagnostics(data_dir: Path, extra: Mapping[str, str] | None = None) -> str:
    """Plain text, one fact per line."""
    app = QApplication.instance()
    style = app.style().name() if isinstance(app, QApplication) else "?"
    lines = {
        "Parley": __version__,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "Qt": f"{qVersion()} (PySide6 {PySide6.__version__})",
        "OS": platform.platform(),
        "Qt platform": QGuiApplication.platformName(),
        "Style": style,
        "Locale": QLocale.system().name(),
        "Data folder": str(data_dir),
        "Executable": sys.executable,
        **(extra or {}),
    }
    return "\n".join(f"{name}: {value}" for name, value in lines.items())


def show_about(parent: QWidget, data_dir: Path) -> QMessageBox:
    """Open (not exec) the About box, so the event loop keeps running; returns it."""
    text = QCoreApplication.translate(
        "About",
        "<h3>Parley {version}</h3>"
        "<p>A desktop chat client for large language models.</p>"
        "<p>Qt {qt} · PySide6 {pyside} · Python {python}</p>"
        "<p>Data folder:<br><code>{folder}</code></p>",
    ).format(
        version=__version__,
        qt=qVersion(),
        pyside=PySide6.__version__,
        python=platform.python_version(),
        folder=str(data_dir).replace("&", "&amp;").replace("<", "&lt;"),
    )
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle(QCoreApplication.translate("About", "About Parley"))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(text)
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def open_folder(folder: Path) -> bool:
    """Show `folder` in the system file manager; False when the system has no handler."""
    folder.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
