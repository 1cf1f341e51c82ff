"""Parley's own SVG icons, tinted to the current palette so they read well in light and dark themes.

The SVGs draw with `currentColor`; Qt's SVG reader does not resolve it, so the colour is substituted
before rendering. Rendering goes through the image reader (the `svg` image plugin) at a few sizes,
so icons stay sharp on high-DPI screens without importing QtSvg.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QImageReader, QPalette, QPixmap

ICON_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
_SIZES = (16, 24, 32, 48, 64)


def icon_path(name: str) -> Path:
    return ICON_DIR / f"{name}.svg"


def _render(svg: bytes, size: int) -> QPixmap:
    return QPixmap.fromImage(_render_image(svg, size))


def _render_image(svg: bytes, size: int) -> QImage:
    data = QByteArray(svg)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, QByteArray(b"svg"))
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    buffer.close()
    return image


def tinted_icon(name: str, color: QColor, disabled: QColor | None = None) -> QIcon:
    """The icon `name` drawn in `color` (and `disabled` for the disabled state). A missing file
    gives an empty icon: buttons keep their text, nothing crashes."""
    path = icon_path(name)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return QIcon()
    result = QIcon()
    variants = [(color, QIcon.Mode.Normal)]
    if disabled is not None:
        variants.append((disabled, QIcon.Mode.Disabled))
    for tint, mode in variants:
        svg = source.replace("currentColor", tint.name(QColor.NameFormat.HexRgb)).encode("utf-8")
        for size in _SIZES:
            pixmap = _render(svg, size)
            if not pixmap.isNull():
                result.addPixmap(pixmap, mode)
    return result


def palette_icon(name: str, palette: QPalette) -> QIcon:
    """The icon in the palette's button text colour, greyed out when disabled."""
    return tinted_icon(
        name,
        palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText),
        palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText),
    )


def app_icon() -> QIcon:
    """The application icon (full colour, not tinted). Needs a QGuiApplication, as any pixmap does."""
    if QGuiApplication.instance() is None:
        # Checked here so the cache below never keeps what was rendered before Qt was ready.
        raise RuntimeError("app_icon() needs a QGuiApplication")
    result = QIcon()
    for image in _app_icon_images():
        result.addPixmap(QPixmap.fromImage(image))
    return result


@functools.cache
def _app_icon_images() -> tuple[QImage, ...]:
    """The app icon at every size, rendered once: the window, tray, welcome page and About box
    all ask for it at start-up, and SVG rendering is the slow part. Images rather than pixmaps or
    a QIcon, because images do not depend on the QGuiApplication the cache may outlive."""
    path = icon_path("parley")  # the one source the installers' icons are made from too
    if not path.is_file():
        return ()
    svg = path.read_bytes()
    images = (_render_image(svg, size) for size in (*_SIZES, 128, 256))
    return tuple(image for image in images if not image.isNull())
