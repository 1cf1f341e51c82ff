"""`parley --selftest`: the QApplication (offscreen unless QT_QPA_PLATFORM says otherwise), the
checks that need widgets — a widget grabbed, the app's icons drawn — and the order of all checks.
The other checks and the run itself are in `selftest.py`, which imports no widgets."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QLabel

from desktop_app import selftest
from desktop_app.selftest import Check, CheckFailedError, Scratch
from desktop_app.storage.paths import set_application_names
from desktop_app.ui.icons import ICON_DIR, app_icon


def run_selftest(data_dir: Path | None = None, *, out: TextIO | None = None) -> int:
    """Run every check; print one line per check to `out` (default stdout); return 0 if none
    failed, else 1."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    set_application_names()
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    return selftest.run(
        app, data_dir, lambda scratch: checks(data_dir, scratch), out=out if out is not None else sys.stdout
    )


def checks(data_dir: Path | None, scratch: Scratch) -> list[Check]:
    """Every check, in the order their lines are printed."""
    return [
        ("qt", check_qt),
        ("plugins", selftest.check_plugins),
        ("loop", selftest.check_loop),
        ("http", selftest.check_http),
        ("tls", selftest.check_tls),
        ("settings", lambda: selftest.check_settings(scratch)),
        ("history", lambda: selftest.check_history(scratch)),
        ("attach-image", lambda: selftest.check_attach_images(scratch)),
        ("attach-pdf", lambda: selftest.check_attach_pdf(scratch)),
        ("attach-xlsx", lambda: selftest.check_attach_xlsx(scratch)),
        ("attach-text", lambda: selftest.check_attach_text(scratch)),
        ("keychain", selftest.check_keychain),
        ("icons", check_icons),
        ("translations", selftest.check_translations),
        ("paths", lambda: selftest.check_paths(data_dir)),
    ]


async def check_qt() -> str:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise CheckFailedError("no QApplication")
    label = QLabel("Parley")
    try:
        label.resize(120, 40)
        pixmap = label.grab()
        ratio = pixmap.devicePixelRatio()
        size = (round(pixmap.width() / ratio), round(pixmap.height() / ratio))
        if pixmap.isNull() or size != (120, 40):
            raise CheckFailedError(f"grabbing a widget gave a {size[0]}x{size[1]} image, not 120x40")
    finally:
        label.deleteLater()
    return f"PySide6 {PySide6.__version__} / Qt {qVersion()}, platform {QGuiApplication.platformName()}"


async def check_icons() -> str:
    svgs = sorted(ICON_DIR.glob("*.svg"))
    if not svgs:
        raise CheckFailedError(f"no SVG icons in {ICON_DIR}")
    if app_icon().isNull():
        raise CheckFailedError("the app icon did not render (SVG image plugin missing?)")
    unreadable = [p.name for p in svgs if QIcon(str(p)).pixmap(32, 32).isNull()]
    if unreadable:
        raise CheckFailedError(f"SVG icon engine could not draw {', '.join(unreadable)}")
    return f"{len(svgs)} SVG icons in {ICON_DIR}"
