"""Invalid input is marked where it is: a red frame on the field and a line under it that says
what is wrong (also given to screen readers as the field's description)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget

INVALID_STYLE = '*[invalid="true"] { border: 1px solid #d93025; border-radius: 3px; }'
_ERROR_LIGHT = QColor("#c5221f")
_ERROR_DARK = QColor("#f28b82")


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def error_colour(palette: QPalette) -> QColor:
    """Red that reads on this palette's window colour."""
    return _ERROR_DARK if palette.color(QPalette.ColorRole.Window).lightness() < 128 else _ERROR_LIGHT


def show_error(label: QLabel, message: str | None) -> None:
    """Show `message` in `label` in the error colour, or hide it when None."""
    if message:
        label.setStyleSheet(f"color: {error_colour(label.palette()).name()};")
        label.setText(message)
        label.show()
    else:
        label.clear()
        label.hide()


def mark(field: QWidget, label: QLabel, message: str | None) -> bool:
    """Mark `field` invalid with `message`, or valid when None. Returns whether it is valid."""
    invalid = bool(message)
    if field.property("invalid") != invalid:
        field.setProperty("invalid", invalid)
        field.style().unpolish(field)
        field.style().polish(field)
    field.setAccessibleDescription(message or "")
    show_error(label, message)
    return not invalid
